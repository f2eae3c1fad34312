package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestBatchedRequests_KeepsOrderAndFlushes checks that request lines wait
// (for the delay or the next other line) and that the order of lines is kept.
func TestBatchedRequests_KeepsOrderAndFlushes(t *testing.T) {
	out := &syncBuffer{}
	buf := newLogBuffer(out)
	log := slog.New(batchedRequests{slog.NewTextHandler(buf, nil), buf}).With("k", "v")
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
