package main

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestBatchedRequests_KeepsOrderAndFlushes checks that request lines wait
// (for the delay or the next other line) and that the order of lines is kept.
func TestBatchedRequests_KeepsOrderAndFlushes(t *testing.T) {
	out := &syncBuffer{}
	buf := newLogBuffer(out)
	log := slog.New(batchedRequests{Handler: slog.NewTextHandler(buf, nil), buf: buf}).With("k", "v")
	log.Info("request", "n", 1)
	log.Info("request", "n", 2)
	if got := out.String(); got != "" {
		t.Fatalf("request lines written at once: %q", got)
	}
	log.Warn("slow")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "n=1") || !strings.Contains(lines[1], "n=2") || !strings.Contains(lines[2], "msg=slow") {
		t.Fatalf("after a warning: %q", lines)
	}
	log.Info("request", "n", 3)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "n=3") {
		if time.Now().After(deadline) {
			t.Fatal("a request line was never written")
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.Info("request", "big", strings.Repeat("x", logFlushBytes))
	if !strings.Contains(out.String(), "big=") {
		t.Error("a full buffer was not written at once")
	}
}

// TestAppendJSONLine compares the request line written by hand with
// slog.JSONHandler's on random records: where appendJSONLine writes a line,
// it is slog's to the byte, and it declines only what it says it declines.
func TestAppendJSONLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	strs := []string{"", "BatchSuspendUser", "POST", "/accounts/a/users", "ok", "with space", "q\"uote", "back\\slash",
		"tab\t", "\x7f", "Zoë", "<&>", "\u2028", "\xff"}
	floats := []float64{0, 0.001, 1.5, 12.345, 1e-7, 123456789.25, 1e21, 1e20, -3.5, math.Inf(1), math.NaN(), 0.1 + 0.2}
	wrote := 0
	for i := 0; i < 5000; i++ {
		msg := strs[rng.IntN(len(strs))]
		if rng.IntN(2) == 0 {
			msg = "request"
		}
		r := slog.NewRecord(time.Date(2026, 12, 4, 3, 4, 5, rng.IntN(1e9), time.UTC), slog.LevelInfo, msg, 0)
		for range rng.IntN(7) {
			key := strs[rng.IntN(len(strs))]
			switch rng.IntN(4) {
			case 0:
				r.AddAttrs(slog.String(key, strs[rng.IntN(len(strs))]))
			case 1:
				r.AddAttrs(slog.Int(key, rng.IntN(1000)-500))
			case 2:
				r.AddAttrs(slog.Float64(key, floats[rng.IntN(len(floats))]))
			case 3:
				r.AddAttrs(slog.Bool(key, true))
			}
		}
		var want bytes.Buffer
		if err := slog.NewJSONHandler(&want, nil).Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		got, ok := appendJSONLine(nil, r)
		if !ok {
			continue
		}
		wrote++
		if string(got) != want.String() {
			t.Fatalf("record %d:\n got  %s\n slog %s", i, got, want.String())
		}
	}
	if wrote < 500 {
		t.Fatalf("only %d of 5000 records written by hand; the test no longer covers the fast path", wrote)
	}
	// The request line itself is written by hand.
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
	r.AddAttrs(slog.String("op", "BatchSuspendUser"), slog.String("method", "POST"), slog.String("path", "/accounts/x/users"),
		slog.Int("status", 200), slog.Float64("latency_ms", 0.734), slog.String("request_id", "0b4d5c7e-4c1b-4a58-9d55-1f7c2d7d9e11"))
	if _, ok := appendJSONLine(nil, r); !ok {
		t.Error("the request line goes to slog")
	}
}
