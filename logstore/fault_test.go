package logstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	openchime "github.com/openchime/openchime"
)

// faultFS is the real file system with a disk's faults injected on demand.
type faultFS struct {
	osFS
	mu sync.Mutex
	// full makes every write past a file's current end fail with ENOSPC,
	// after writing what fits before it (a full disk).
	full bool
	// syncErr is returned by the next sync of a log file.
	syncErr error
	// short makes the next write of a log frame write half of it and fail.
	short bool
	// tear makes the next write of a log frame write its first sectors
	// only, after which the machine is gone: no later write or sync of any
	// file reaches the disk.
	tear, dead bool
	// renameErr fails the rename that publishes a snapshot.
	renameErr error
}

type faultFile struct {
	osFile
	fs   *faultFS
	name string
}

func (fs *faultFS) OpenFile(name string, flag int, perm os.FileMode) (file, error) {
	f, err := fs.osFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{osFile: f.(osFile), fs: fs, name: filepath.Base(name)}, nil
}

func (fs *faultFS) Rename(from, to string) error {
	fs.mu.Lock()
	err := fs.renameErr
	fs.mu.Unlock()
	if err != nil {
		return err
	}
	return fs.osFS.Rename(from, to)
}

func (f *faultFile) isLog() bool { return strings.HasPrefix(f.name, "wal-") }

// room is how much of a write of n bytes at off a full disk takes.
func (f *faultFile) room(off int64, n int) int {
	info, err := f.File.Stat()
	if err != nil {
		return 0
	}
	return int(max(0, min(int64(n), info.Size()-off)))
}

func (f *faultFile) WriteAt(b []byte, off int64) (int, error) {
	fs := f.fs
	fs.mu.Lock()
	defer fs.mu.Unlock()
	switch {
	case fs.dead:
		return 0, syscall.EIO
	case fs.full:
		if n := f.room(off, len(b)); n < len(b) {
			f.File.WriteAt(b[:n], off)
			return n, syscall.ENOSPC
		}
	case f.isLog() && fs.tear && !allZero(b):
		fs.tear, fs.dead = false, true
		n := (int(off)+len(b)/2)/sectorSize*sectorSize - int(off)
		f.File.WriteAt(b[:max(0, n)], off)
		return max(0, n), syscall.EIO
	case f.isLog() && fs.short && !allZero(b):
		fs.short = false
		n, _ := f.File.WriteAt(b[:len(b)/2], off)
		return n, io.ErrShortWrite
	}
	return f.File.WriteAt(b, off)
}

func (f *faultFile) Write(b []byte) (int, error) {
	fs := f.fs
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.dead || fs.full {
		return 0, syscall.ENOSPC
	}
	return f.File.Write(b)
}

func (f *faultFile) sync(real func() error) error {
	fs := f.fs
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.dead {
		return syscall.EIO
	}
	if err := fs.syncErr; err != nil && f.isLog() {
		fs.syncErr = nil
		return err
	}
	return real()
}

func (f *faultFile) Sync() error     { return f.sync(f.File.Sync) }
func (f *faultFile) Datasync() error { return f.sync(f.osFile.Datasync) }

func openFaulty(t *testing.T, dir string) (*Store, *faultFS) {
	t.Helper()
	fs := &faultFS{}
	s, err := OpenOptions(dir, Options{fs: fs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, fs
}

func putUser(s *Store, i int, status openchime.RegistrationStatus) error {
	ctx := context.Background()
	return s.Update(ctx, func(tx openchime.Tx) error { return tx.PutUser(ctx, testUser(i, status)) })
}

func seedUsers(t *testing.T, s *Store, n int) map[string]openchime.RegistrationStatus {
	t.Helper()
	ctx := context.Background()
	want := map[string]openchime.RegistrationStatus{}
	err := s.Update(ctx, func(tx openchime.Tx) error {
		if err := tx.PutAccount(ctx, &openchime.Account{ID: "a", AwsAccountID: "111111111111", Name: "A",
			Type: openchime.EnterpriseLWA, Status: openchime.AccountActive, DefaultLicense: openchime.Pro, CreatedAt: t0}); err != nil {
			return err
		}
		for i := range n {
			want[fmt.Sprintf("u%05d", i)] = openchime.Registered
			if err := tx.PutUser(ctx, testUser(i, openchime.Registered)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

func wantUnavailable(t *testing.T, what string, err error, msg string) {
	t.Helper()
	if !openchime.IsCode(err, openchime.ServiceUnavailable) {
		t.Fatalf("%s: err = %v, want ServiceUnavailable", what, err)
	}
	if !strings.Contains(openchime.ErrorMessage(err), msg) {
		t.Errorf("%s: message %q does not say %q", what, openchime.ErrorMessage(err), msg)
	}
}

// reopened opens a copy of dir's files, as a restart after a crash finds
// them, with the real file system.
func reopened(t *testing.T, dir string) *Store {
	t.Helper()
	copyDir := t.TempDir()
	CopyFiles(t, dir, copyDir)
	s, err := Open(copyDir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStore_FsyncFailureAcknowledgesNothingMore fails one fsync of the log
// with EIO. The write it covered is refused, and so is every later one, even
// though the disk works again (a later fsync would not report the pages the
// failed one dropped); reads refuse too, since memory holds the refused
// write. A restart recovers every acknowledged write.
func TestStore_FsyncFailureAcknowledgesNothingMore(t *testing.T) {
	dir := t.TempDir()
	s, fs := openFaulty(t, dir)
	want := seedUsers(t, s, 10)
	if err := putUser(s, 1, openchime.Suspended); err != nil {
		t.Fatal(err)
	}
	want["u00001"] = openchime.Suspended
	fs.mu.Lock()
	fs.syncErr = syscall.EIO
	fs.mu.Unlock()
	wantUnavailable(t, "the write whose fsync failed", putUser(s, 2, openchime.Suspended), "restarted")
	for i := 3; i < 6; i++ {
		wantUnavailable(t, "a later write", putUser(s, i, openchime.Suspended), "restarted")
	}
	err := s.View(context.Background(), func(openchime.ReadTx) error { return nil })
	wantUnavailable(t, "a read", err, "restarted")
	logsBefore, _ := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	if err := s.Checkpoint(); err == nil {
		t.Error("a checkpoint succeeded after the failed fsync: it would make the refused write durable")
	}
	// The failed log gets no successor: its last frames may not be on
	// disk, and a next log would begin after them.
	if logsAfter, _ := filepath.Glob(filepath.Join(dir, "wal-*.log")); len(logsAfter) != len(logsBefore) {
		t.Errorf("the failed checkpoint left logs %v, had %v", logsAfter, logsBefore)
	}
	got := reopened(t, dir)
	want["u00002"] = "" // refused: either outcome
	for id, st := range want {
		u, err := userOf(got, id)
		if err != nil {
			t.Fatal(err)
		}
		if st != "" && u != st {
			t.Errorf("after restart %s is %s, want %s", id, u, st)
		}
	}
	for i := 3; i < 6; i++ {
		if u, _ := userOf(got, fmt.Sprintf("u%05d", i)); u != openchime.Registered {
			t.Errorf("after restart u%05d is %s: a write refused after the failure is there", i, u)
		}
	}
}

func userOf(s *Store, id string) (openchime.RegistrationStatus, error) {
	var st openchime.RegistrationStatus
	err := s.View(context.Background(), func(tx openchime.ReadTx) error {
		u, err := tx.User(context.Background(), "a", id)
		if err == nil {
			st = u.RegistrationStatus
		}
		return err
	})
	return st, err
}

// TestStore_DiskFull fills the disk: a write that needs the log to grow,
// an audit event (a cold record) and a checkpoint are refused with a 503
// that says so, nothing is applied or damaged, and once there is space again
// writes go on and a restart finds every acknowledged one.
func TestStore_DiskFull(t *testing.T) {
	defer func(n int64) { preallocChunk = n }(preallocChunk)
	preallocChunk = 4096
	dir := t.TempDir()
	s, fs := openFaulty(t, dir)
	want := seedUsers(t, s, 10)
	setFull := func(v bool) { fs.mu.Lock(); fs.full = v; fs.mu.Unlock() }
	setFull(true)
	var refused error
	i := 0
	for ; i < 100 && refused == nil; i++ {
		refused = putUser(s, i%10, openchime.Suspended)
		if refused == nil {
			want[fmt.Sprintf("u%05d", i%10)] = openchime.Suspended
		}
	}
	wantUnavailable(t, "a write into a full disk", refused, "disk is full")
	refusedID := fmt.Sprintf("u%05d", (i-1)%10)
	if st, err := userOf(s, refusedID); err != nil || st != want[refusedID] {
		t.Fatalf("the refused write was applied: %s is %s (%v), want %s", refusedID, st, err, want[refusedID])
	}
	ctx := context.Background()
	err := s.Update(ctx, func(tx openchime.Tx) error {
		return tx.PutResource(ctx, &openchime.Resource{Kind: openchime.AuditKind, ID: "e1", Scope: "a", CreatedAt: t0, Data: []byte(`{}`)})
	})
	if err == nil { // refused by the log's reserve or by the cold segment
		t.Fatal("an audit event was written into a full disk")
	}
	wantUnavailable(t, "an audit event into a full disk", err, "disk is full")
	if err := s.Checkpoint(); err == nil {
		t.Error("a checkpoint succeeded on a full disk")
	}
	setFull(false)
	for i := range 10 {
		if err := putUser(s, i, openchime.Registered); err != nil {
			t.Fatalf("once there is space: %v", err)
		}
		want[fmt.Sprintf("u%05d", i)] = openchime.Registered
	}
	if err := putUser(s, 4, openchime.Suspended); err != nil {
		t.Fatal(err)
	}
	want["u00004"] = openchime.Suspended
	if err := s.Checkpoint(); err != nil {
		t.Fatalf("checkpoint once there is space: %v", err)
	}
	if err := putUser(s, 5, openchime.Suspended); err != nil {
		t.Fatal(err)
	}
	want["u00005"] = openchime.Suspended
	checkUsers(t, reopened(t, dir), want)
}

// TestStore_ShortWrite makes a write of the log write half a frame and
// fail: the write is refused, and so is every later one (the log's end is
// unknown), and a restart finds every acknowledged write and opens: the half
// frame was overwritten with zeros.
func TestStore_ShortWrite(t *testing.T) {
	dir := t.TempDir()
	s, fs := openFaulty(t, dir)
	want := seedUsers(t, s, 10)
	if err := putUser(s, 1, openchime.Suspended); err != nil {
		t.Fatal(err)
	}
	want["u00001"] = openchime.Suspended
	fs.mu.Lock()
	fs.short = true
	fs.mu.Unlock()
	wantUnavailable(t, "a short write", putUser(s, 2, openchime.Suspended), "restarted")
	wantUnavailable(t, "a later write", putUser(s, 3, openchime.Suspended), "restarted")
	checkUsers(t, reopened(t, dir), want)
}

// TestStore_TornWrite stops the machine in the middle of a frame's write:
// its first sectors reach the disk, nothing after. The restart drops the
// torn frame and keeps every acknowledged write.
func TestStore_TornWrite(t *testing.T) {
	dir := t.TempDir()
	s, fs := openFaulty(t, dir)
	want := seedUsers(t, s, 300)
	fs.mu.Lock()
	fs.tear = true
	fs.mu.Unlock()
	ctx := context.Background()
	err := s.Update(ctx, func(tx openchime.Tx) error {
		for i := range 300 {
			if err := tx.PutUser(ctx, testUser(i, openchime.Suspended)); err != nil {
				return err
			}
		}
		return nil
	})
	wantUnavailable(t, "a torn write", err, "restarted")
	logs, _ := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	data, _ := os.ReadFile(logs[0])
	if _, n, _ := nextFrame(data); n == 0 || allZero(data[n:n+sectorSize]) {
		t.Fatal("the torn frame left nothing on disk: the test tears nothing")
	}
	checkUsers(t, reopened(t, dir), want)
}

// TestStore_DamageInOlderLog damages a log that a later one follows (left
// by a checkpoint whose snapshot failed): its end can be no torn write.
func TestStore_DamageInOlderLog(t *testing.T) {
	dir := t.TempDir()
	s, fs := openFaulty(t, dir)
	seedUsers(t, s, 300)
	fs.mu.Lock()
	fs.renameErr = syscall.EIO
	fs.mu.Unlock()
	if err := s.Checkpoint(); err == nil {
		t.Fatal("the checkpoint succeeded")
	}
	if err := putUser(s, 1, openchime.Suspended); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	if len(logs) != 2 {
		t.Fatalf("logs = %v, want two", logs)
	}
	copyDir := t.TempDir()
	CopyFiles(t, dir, copyDir)
	older := filepath.Join(copyDir, filepath.Base(logs[0]))
	data, _ := os.ReadFile(older)
	_, n, _ := nextFrame(data)
	// The frame's last sectors missing: in the last log, a torn tail.
	clear(data[(n/sectorSize-2)*sectorSize : n])
	os.WriteFile(older, data, 0o644)
	_, err := Open(copyDir)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Path != older || ce.Offset != 0 || !ce.Repairable {
		t.Fatalf("err = %v, want the damage at offset 0 of %s", err, older)
	}
}

// TestStore_ColdRecordDamagedWhileOpen damages a cold record after the open
// checked it: reading it fails with the file and offset, and never returns
// the damaged bytes.
func TestStore_ColdRecordDamagedWhileOpen(t *testing.T) {
	dir := t.TempDir()
	s, _ := openFaulty(t, dir)
	putResources(t, s, auditEvent(1), auditEvent(2))
	path := filepath.Join(dir, coldName(s.cold.cur))
	data, _ := os.ReadFile(path)
	data[len(data)-20] ^= 1
	os.WriteFile(path, data, 0o644)
	ctx := context.Background()
	// The transaction's records lie in either order: one of them is hit.
	var errs []error
	s.View(ctx, func(tx openchime.ReadTx) error {
		for _, id := range []string{"e00001", "e00002"} {
			if _, err := tx.Resource(ctx, openchime.AuditKind, id); err != nil {
				errs = append(errs, err)
			}
		}
		return nil
	})
	var ce *CorruptError
	if len(errs) != 1 || !errors.As(errs[0], &ce) || ce.Path != path {
		t.Fatalf("reading a damaged cold record: errors %v, want one *CorruptError naming %s", errs, path)
	}
}
