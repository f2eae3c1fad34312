package logstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/logstore"
)

// crashedStore writes a snapshot that refers to cold records (audit events),
// then more transactions into a new log, and returns a copy of the files as
// a crash leaves them, with the log's frame offsets.
func crashedStore(t *testing.T) (dir string, log string, offs []int) {
	t.Helper()
	live := t.TempDir()
	s := MustOpen(t, live, logstore.Options{})
	seed(t, s, 20)
	ctx := context.Background()
	for i := range 5 {
		err := s.Update(ctx, func(tx openchime.Tx) error {
			return tx.PutResource(ctx, &openchime.Resource{Kind: openchime.AuditKind, ID: fmt.Sprintf("e%d", i), Scope: "a",
				CreatedAt: base, Data: fmt.Appendf(nil, `{"n":%d,"pad":"%0300d"}`, i, i)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		suspend(t, s, 2*i, 2*i+1)
	}
	dir = t.TempDir()
	logstore.CopyFiles(t, live, dir)
	logs, _ := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	if len(logs) != 1 {
		t.Fatalf("logs = %v", logs)
	}
	data, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	offs = frames(data)
	if len(offs) != 4 {
		t.Fatalf("the log has %d frames, want 4", len(offs))
	}
	return dir, logs[0], offs
}

func flip(t *testing.T, path string, off int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x5a
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStore_DamageRefusesToOpen flips one byte in each region of each kind
// of file, after a crash, and checks that the store refuses to open with an
// error naming the file, the offset and what to do, instead of starting
// without the writes after the damage.
func TestStore_DamageRefusesToOpen(t *testing.T) {
	type where struct {
		file func(dir, log string) string
		off  func(t *testing.T, path string, offs []int) int // the byte to flip
		at   func(path string, offs []int) int64             // the offset the error names, -1: any
	}
	snap := func(dir, _ string) string {
		m, _ := filepath.Glob(filepath.Join(dir, "snap-*.bin"))
		return m[0]
	}
	cold := func(dir, _ string) string {
		m, _ := filepath.Glob(filepath.Join(dir, "cold-*.dat"))
		return m[0]
	}
	wal := func(_, log string) string { return log }
	frame := func(k, delta int) func(*testing.T, string, []int) int {
		return func(_ *testing.T, _ string, offs []int) int { return offs[k] + delta }
	}
	atFrame := func(k int) func(string, []int) int64 {
		return func(_ string, offs []int) int64 { return int64(offs[k]) }
	}
	// inPayload finds a byte of a user record's email inside frame k, so
	// that only the CRC can tell the frame is damaged: the record still
	// decodes.
	inPayload := func(k int) func(*testing.T, string, []int) int {
		return func(t *testing.T, path string, offs []int) int {
			data, _ := os.ReadFile(path)
			i := bytes.Index(data[offs[k]:], []byte("@example.com"))
			if i < 0 {
				t.Fatalf("no email in frame %d", k)
			}
			return offs[k] + i + 3
		}
	}
	fileSize := func(path string) int {
		info, _ := os.Stat(path)
		return int(info.Size())
	}
	cases := map[string]where{
		"log, first frame's length":             {wal, frame(0, 1), atFrame(0)},
		"log, first frame's checksum":           {wal, frame(0, 5), atFrame(0)},
		"log, first frame's payload":            {wal, inPayload(0), atFrame(0)},
		"log, middle frame's length":            {wal, frame(2, 1), atFrame(2)},
		"log, middle frame's length, high byte": {wal, frame(2, 3), atFrame(2)},
		"log, middle frame's checksum":          {wal, frame(2, 6), atFrame(2)},
		"log, middle frame's payload":           {wal, inPayload(2), atFrame(2)},
		"log, middle frame's header zeroed": {wal, func(_ *testing.T, p string, offs []int) int {
			data, _ := os.ReadFile(p)
			clear(data[offs[2] : offs[2]+8])
			data[offs[2]+4] ^= 0x5a // flip puts it back
			os.WriteFile(p, data, 0o644)
			return offs[2] + 4
		}, atFrame(2)},
		"log, last frame's length":           {wal, frame(3, 1), atFrame(3)},
		"log, last frame's length, low byte": {wal, frame(3, 0), atFrame(3)},
		"log, last frame's checksum":         {wal, frame(3, 7), atFrame(3)},
		"log, last frame's payload":          {wal, inPayload(3), atFrame(3)},
		"snapshot header, magic":             {snap, func(*testing.T, string, []int) int { return 2 }, func(string, []int) int64 { return 0 }},
		"snapshot header, sequence": {snap, func(*testing.T, string, []int) int { return 9 },
			func(p string, _ []int) int64 { return int64(fileSize(p) - 4) }}, // the CRC covers the header
		"snapshot body": {snap, func(_ *testing.T, p string, _ []int) int { return fileSize(p) / 2 },
			func(p string, _ []int) int64 { return int64(fileSize(p) - 4) }},
		"snapshot trailer": {snap, func(_ *testing.T, p string, _ []int) int { return fileSize(p) - 2 },
			func(p string, _ []int) int64 { return int64(fileSize(p) - 4) }},
		"cold segment, first record": {cold, func(*testing.T, string, []int) int { return 10 }, func(string, []int) int64 { return 0 }},
		"cold segment, a later record": {cold, func(_ *testing.T, p string, _ []int) int { return fileSize(p) - 10 },
			func(string, []int) int64 { return -1 }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir, log, offs := crashedStore(t)
			path := c.file(dir, log)
			flip(t, path, c.off(t, path, offs))
			s, err := logstore.Open(dir)
			if err == nil {
				s.Close()
				t.Fatal("the store opened with a damaged file")
			}
			var ce *logstore.CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CorruptError", err)
			}
			if ce.Path != path {
				t.Errorf("the error names %s, want %s", ce.Path, path)
			}
			if want := c.at(path, offs); want >= 0 && ce.Offset != want {
				t.Errorf("the error names offset %d, want %d (%v)", ce.Offset, want, err)
			}
			if wantRepair := path == log; ce.Repairable != wantRepair || !strings.Contains(err.Error(), "restore") ||
				wantRepair != strings.Contains(err.Error(), "openchime repair") {
				t.Errorf("the error does not say what to do: %v", err)
			}
		})
	}
}

// TestStore_UndamagedCrashOpens is the control of the test above: the same
// files, undamaged, open with every write.
func TestStore_UndamagedCrashOpens(t *testing.T) {
	dir, _, _ := crashedStore(t)
	got := statuses(t, MustOpen(t, dir, logstore.Options{}))
	for i := range 20 {
		want := openchime.Registered
		if i < 8 {
			want = openchime.Suspended
		}
		if id := fmt.Sprintf("u%05d", i); got[id] != want {
			t.Errorf("%s is %s, want %s", id, got[id], want)
		}
	}
}

// TestVerify_And_Repair verifies an undamaged crashed store, damages the
// log's second frame, and checks that verify names the damage, that repair
// keeps a copy of the log, cuts it there and counts the transactions it
// drops, and that the store then opens with the transactions before it.
func TestVerify_And_Repair(t *testing.T) {
	dir, log, offs := crashedStore(t)
	var out strings.Builder
	if err := logstore.Verify(dir, &out); err != nil {
		t.Fatalf("verify of an undamaged store: %v\n%s", err, out.String())
	}
	for _, want := range []string{"snap-", "cold segments: 5 records", "4 frames", "ok: the store holds transactions up to"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("verify's report lacks %q:\n%s", want, out.String())
		}
	}
	if rep, err := logstore.Repair(dir); err != nil || rep.Cut != "" {
		t.Fatalf("repair of an undamaged store: %+v, %v", rep, err)
	}
	flip(t, log, offs[1]+5)
	var ce *logstore.CorruptError
	if err := logstore.Verify(dir, io.Discard); !errors.As(err, &ce) || ce.Path != log || ce.Offset != int64(offs[1]) {
		t.Fatalf("verify of a damaged log: %v", err)
	}
	MustOpenErr(t, dir)
	rep, err := logstore.Repair(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cut != log || rep.Offset != int64(offs[1]) || rep.Dropped != 3 {
		t.Errorf("repair = %+v, want the log cut at %d and 3 transactions dropped", rep, offs[1])
	}
	if kept, err := os.ReadFile(rep.Kept); err != nil || len(kept) < offs[3] {
		t.Errorf("the copy of the log: %d bytes, %v", len(kept), err)
	}
	got := statuses(t, MustOpen(t, dir, logstore.Options{}))
	for i := range 20 {
		want := openchime.Registered
		if i < 2 {
			want = openchime.Suspended // the first frame after the snapshot
		}
		if id := fmt.Sprintf("u%05d", i); got[id] != want {
			t.Errorf("after repair %s is %s, want %s", id, got[id], want)
		}
	}
}

// MustOpenErr checks that a damaged store does not open.
func MustOpenErr(t *testing.T, dir string) error {
	t.Helper()
	s, err := logstore.Open(dir)
	if err == nil {
		s.Close()
		t.Fatal("the damaged store opened")
	}
	return err
}

func TestRepair_RefusesWhileOpen(t *testing.T) {
	dir := t.TempDir()
	MustOpen(t, dir, logstore.Options{})
	if _, err := logstore.Repair(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("repair of an open store: %v", err)
	}
	if err := logstore.Verify(dir, io.Discard); err == nil {
		t.Fatal("verify ran on an open store")
	}
}

// TestStore_MissingColdSegmentRefused: a cold segment the snapshot refers
// to that is gone refuses the open, naming it, and the refused open leaves
// it gone rather than creating it empty.
func TestStore_MissingColdSegmentRefused(t *testing.T) {
	dir, _, _ := crashedStore(t)
	segs, _ := filepath.Glob(filepath.Join(dir, "cold-*.dat"))
	if len(segs) == 0 {
		t.Fatal("the crashed store has no cold segment")
	}
	if err := os.Remove(segs[0]); err != nil {
		t.Fatal(err)
	}
	s, err := logstore.Open(dir)
	if err == nil {
		s.Close()
		t.Fatal("the store opened without a cold segment its snapshot refers to")
	}
	var ce *logstore.CorruptError
	if !errors.As(err, &ce) || ce.Path != segs[0] || !strings.Contains(ce.Why, "missing") {
		t.Fatalf("err = %v, want a *CorruptError naming %s as missing", err, segs[0])
	}
	if _, err := os.Stat(segs[0]); !os.IsNotExist(err) {
		t.Errorf("the refused open created %s (stat: %v)", segs[0], err)
	}
}
