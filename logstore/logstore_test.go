package logstore_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/logstore"
	"github.com/openchime/openchime/storetest"
)

// MustOpen opens a store in dir and closes it when the test ends.
func MustOpen(tb testing.TB, dir string, opts logstore.Options) *logstore.Store {
	tb.Helper()
	s, err := logstore.OpenOptions(dir, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestStore_Conformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) openchime.Store { return MustOpen(tb, tb.TempDir(), logstore.Options{}) })
}

// TestStore_ConformanceAfterReopen runs the suite on stores that checkpoint
// after every transaction, so the snapshot path is exercised too.
func TestStore_ConformanceCheckpointing(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) openchime.Store {
		return MustOpen(tb, tb.TempDir(), logstore.Options{CheckpointBytes: 1})
	})
}

var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func user(acct string, i int) *openchime.User {
	return &openchime.User{ID: fmt.Sprintf("u%05d", i), AccountID: acct, PrimaryEmail: fmt.Sprintf("p%d@example.com", i),
		LicenseType: openchime.Pro, UserType: openchime.PrivateUser, RegistrationStatus: openchime.Registered,
		CreatedAt: base.Add(time.Duration(i%7) * time.Millisecond), PersonalPIN: "0123456789", Settings: openchime.DefaultUserSettings}
}

func seed(t *testing.T, s openchime.Store, n int) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx openchime.Tx) error {
		if err := tx.PutAccount(ctx, &openchime.Account{ID: "a", AwsAccountID: "111111111111", Name: "A",
			Type: openchime.EnterpriseLWA, Status: openchime.AccountActive, DefaultLicense: openchime.Pro, CreatedAt: base}); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := tx.PutUser(ctx, user("a", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func suspend(t *testing.T, s openchime.Store, ids ...int) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx openchime.Tx) error {
		for _, i := range ids {
			u := user("a", i)
			u.RegistrationStatus = openchime.Suspended
			if err := tx.PutUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func statuses(t *testing.T, s openchime.Store) map[string]openchime.RegistrationStatus {
	t.Helper()
	got := map[string]openchime.RegistrationStatus{}
	err := s.View(context.Background(), func(tx openchime.ReadTx) error {
		var after *openchime.Cursor
		for {
			list, err := tx.Users(context.Background(), openchime.UserFilter{AccountID: "a", After: after, Limit: 7})
			if err != nil || len(list) == 0 {
				return err
			}
			for _, u := range list {
				if _, dup := got[u.ID]; dup {
					return fmt.Errorf("user %s listed twice", u.ID)
				}
				got[u.ID] = u.RegistrationStatus
			}
			last := list[len(list)-1]
			after = &openchime.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestStore_Reopen(t *testing.T) {
	for _, ckpt := range []int64{0, 1, 4096} {
		t.Run(fmt.Sprint("checkpoint=", ckpt), func(t *testing.T) {
			dir := t.TempDir()
			s, err := logstore.OpenOptions(dir, logstore.Options{CheckpointBytes: ckpt})
			if err != nil {
				t.Fatal(err)
			}
			seed(t, s, 100)
			for i := 0; i < 100; i += 3 {
				suspend(t, s, i)
			}
			want := statuses(t, s)
			if len(want) != 100 {
				t.Fatalf("listed %d users, want 100", len(want))
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2 := MustOpen(t, dir, logstore.Options{})
			got := statuses(t, s2)
			for id, st := range want {
				if got[id] != st {
					t.Errorf("after reopen %s is %s, want %s", id, got[id], st)
				}
			}
		})
	}
}

// frames returns the offsets of the log's frames (u32 length | u32 CRC |
// payload), up to the zeros after the last one.
func frames(data []byte) []int {
	var offs []int
	for off := 0; off+8 <= len(data); {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		if n == 0 || off+8+n > len(data) {
			break
		}
		offs = append(offs, off)
		off += 8 + n
	}
	return offs
}

// TestStore_TornTail tears the last frame of the log as a crash in the middle
// of its write leaves it: sectors of it missing (zeros, the file's
// preallocation), its header's sector missing while the rest landed, the file
// cut inside it. Reopening keeps every earlier transaction, drops the torn
// one, and goes on appending. Stray bytes in the zeroed space after the last
// frame are dropped too: no frame lies there.
func TestStore_TornTail(t *testing.T) {
	dir := t.TempDir()
	s, err := logstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, s, 200)
	suspend(t, s, 1, 2)
	want := statuses(t, s)
	many := make([]int, 100)
	for i := range many {
		many[i] = 100 + i
	}
	suspend(t, s, many...) // the frame to tear: several sectors long
	// Simulate a crash: copy the files while the store is still open.
	crashed := t.TempDir()
	logstore.CopyFiles(t, dir, crashed)
	s.Close()
	logs, _ := filepath.Glob(filepath.Join(crashed, "wal-*.log"))
	if len(logs) != 1 {
		t.Fatalf("logs = %v", logs)
	}
	data, _ := os.ReadFile(logs[0])
	offs := frames(data)
	if len(offs) != 3 {
		t.Fatalf("the log has %d frames, want 3", len(offs))
	}
	lastAt := offs[2]
	lastEnd := lastAt + 8 + int(binary.LittleEndian.Uint32(data[lastAt:]))
	sector := func(off int) int { return (off/512 + 1) * 512 }
	if lastEnd-sector(lastAt) < 1024 {
		t.Fatalf("the last frame (%d..%d) is too short to tear", lastAt, lastEnd)
	}
	zero := func(from, to int) func([]byte) []byte {
		return func(b []byte) []byte { clear(b[from:to]); return b }
	}
	for name, tear := range map[string]func([]byte) []byte{
		"last sectors missing":    zero(sector(lastAt)+512, lastEnd),
		"a middle sector missing": zero(sector(lastAt)+512, sector(lastAt)+1024),
		"header sector missing":   zero(lastAt, sector(lastAt)),
		"cut inside the frame":    func(b []byte) []byte { return b[:lastEnd-100] },
		"stray bytes after it":    func(b []byte) []byte { zero(lastAt, lastEnd)(b); b[len(b)/2] = 7; return b },
	} {
		t.Run(name, func(t *testing.T) {
			torn := t.TempDir()
			logstore.CopyFiles(t, crashed, torn)
			path := filepath.Join(torn, filepath.Base(logs[0]))
			if err := os.WriteFile(path, tear(slices.Clone(data)), 0o644); err != nil {
				t.Fatal(err)
			}
			s2 := MustOpen(t, torn, logstore.Options{})
			got := statuses(t, s2)
			for id, st := range want {
				if got[id] != st {
					t.Errorf("after torn tail %s is %s, want %s", id, got[id], st)
				}
			}
			// The store keeps appending after the truncated tail.
			suspend(t, s2, 3)
			s2.Close()
			s3 := MustOpen(t, torn, logstore.Options{})
			if got := statuses(t, s3); got["u00003"] != openchime.Suspended || got["u00001"] != openchime.Suspended {
				t.Errorf("after recovery u00001 is %s, u00003 %s; want both Suspended", got["u00001"], got["u00003"])
			}
		})
	}
}

func TestStore_FailedCallbackWritesNothing(t *testing.T) {
	s := MustOpen(t, t.TempDir(), logstore.Options{})
	seed(t, s, 10)
	boom := errors.New("boom")
	ctx := context.Background()
	err := s.Update(ctx, func(tx openchime.Tx) error {
		u := user("a", 1)
		u.RegistrationStatus = openchime.Suspended
		tx.PutUser(ctx, u)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if st := statuses(t, s)["u00001"]; st != openchime.Registered {
		t.Fatalf("u00001 is %s after a failed transaction", st)
	}
}

func TestStore_SecondOpenRefused(t *testing.T) {
	dir := t.TempDir()
	MustOpen(t, dir, logstore.Options{})
	if s, err := logstore.Open(dir); err == nil {
		s.Close()
		t.Fatal("a second Open of the same directory succeeded")
	}
}

// TestStore_CrashAfterCheckpoints copies the directory of an open store that
// has rotated its log several times (as a crash would leave it: logs with
// their zeroed preallocation, maybe an older snapshot) and reopens the copy.
func TestStore_CrashAfterCheckpoints(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir, logstore.Options{CheckpointBytes: 2048})
	seed(t, s, 50)
	for i := 0; i < 50; i += 2 {
		suspend(t, s, i)
	}
	want := statuses(t, s)
	crashed := t.TempDir()
	logstore.CopyFiles(t, dir, crashed)
	got := statuses(t, MustOpen(t, crashed, logstore.Options{}))
	for id, st := range want {
		if got[id] != st {
			t.Errorf("after crash %s is %s, want %s", id, got[id], st)
		}
	}
}

// TestStore_IndexRebuiltOnLoad: the resource indexes are not in the files
// but derived from the records as the log and the snapshot load
// (TestApplier_ResourceIndex shows an old log's legacy records dropped).
func TestStore_IndexRebuiltOnLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := logstore.OpenOptions(dir, logstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx openchime.Tx) error {
		for _, r := range storetest.PreIndexResources() {
			if r.ID == "+15550101" {
				r.Data = []byte(`{"E164":"+15550101"}`) // this store never let two numbers hold u1
			}
			if err := tx.PutResource(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	t.Run("Log", func(t *testing.T) {
		s := MustOpen(t, dir, logstore.Options{})
		storetest.CheckMigratedIndexes(t, s)
		if err := s.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
	t.Run("Snapshot", func(t *testing.T) {
		storetest.CheckMigratedIndexes(t, MustOpen(t, dir, logstore.Options{}))
	})
}
