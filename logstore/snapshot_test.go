package logstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
	"unsafe"

	openchime "github.com/openchime/openchime"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func testUser(i int, status openchime.RegistrationStatus) *openchime.User {
	return &openchime.User{ID: fmt.Sprintf("u%05d", i), AccountID: "a", PrimaryEmail: fmt.Sprintf("P%d@example.com", i),
		LicenseType: openchime.Pro, UserType: openchime.PrivateUser, RegistrationStatus: status,
		CreatedAt: t0.Add(time.Duration(i%5) * time.Millisecond), Settings: openchime.DefaultUserSettings}
}

// checkUsers reads every user by id, by email and through the listing.
func checkUsers(t *testing.T, s *Store, want map[string]openchime.RegistrationStatus) {
	t.Helper()
	ctx := context.Background()
	err := s.View(ctx, func(tx openchime.ReadTx) error {
		for id, st := range want {
			u, err := tx.User(ctx, "a", id)
			if err != nil {
				return err
			}
			if u.RegistrationStatus != st {
				return fmt.Errorf("%s is %s, want %s", id, u.RegistrationStatus, st)
			}
			byEmail, err := tx.UserByEmail(ctx, "a", openchime.NormalizeEmail(u.PrimaryEmail))
			if err != nil || byEmail.ID != id {
				return fmt.Errorf("by email %s: %v, %v", u.PrimaryEmail, byEmail, err)
			}
		}
		list, err := tx.Users(ctx, openchime.UserFilter{AccountID: "a"})
		if err != nil {
			return err
		}
		if len(list) != len(want) {
			return fmt.Errorf("listed %d users, want %d", len(list), len(want))
		}
		for i := 1; i < len(list); i++ {
			if cmpKey(msOf(list[i-1]), list[i-1].ID, msOf(list[i]), list[i].ID) >= 0 {
				return fmt.Errorf("listing out of order at %d", i)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStore_CompactionWhileWriting checkpoints (which compacts the arenas)
// while writers replace users and add new ones, then checks every user in
// memory and after reopening.
func TestStore_CompactionWhileWriting(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := map[string]openchime.RegistrationStatus{}
	put := func(users ...*openchime.User) error {
		return s.Update(ctx, func(tx openchime.Tx) error {
			for _, u := range users {
				if err := tx.PutUser(ctx, u); err != nil {
					return err
				}
			}
			return nil
		})
	}
	s.Update(ctx, func(tx openchime.Tx) error {
		return tx.PutAccount(ctx, &openchime.Account{ID: "a", AwsAccountID: "111111111111", Name: "A", Type: openchime.EnterpriseLWA, Status: openchime.AccountActive, CreatedAt: t0})
	})
	for i := range 2000 {
		want[fmt.Sprintf("u%05d", i)] = openchime.Registered
		if err := put(testUser(i, openchime.Registered)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 300 {
				i := (w*7919 + round*131) % 2500 // some new users among the replaced ones
				st := openchime.Suspended
				if round%2 == 0 {
					st = openchime.Registered
				}
				mu.Lock()
				err := put(testUser(i, st))
				if err == nil {
					want[fmt.Sprintf("u%05d", i)] = st
				}
				mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// One writer also moves users in the order and changes their emails,
	// which change the order and the email index in place.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for round := range 200 {
			i := 2500 + round%50 // users only this writer touches
			u := testUser(i, openchime.Registered)
			u.PrimaryEmail = fmt.Sprintf("moved%d-%d@example.com", i, round)
			u.CreatedAt = t0.Add(time.Duration(round%7) * time.Second)
			mu.Lock()
			err := put(u)
			if err == nil {
				want[u.ID] = u.RegistrationStatus
			}
			mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 5 {
		if err := s.Checkpoint(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	// As a crash would leave it: the last snapshot, written while the
	// writers ran, and the log after it.
	crashed := t.TempDir()
	CopyFiles(t, dir, crashed)
	s3, err := Open(crashed)
	if err != nil {
		t.Fatal(err)
	}
	checkUsers(t, s3, want)
	s3.Close()
	if err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	checkUsers(t, s, want)
	set := s.st.users["a"]
	if got := len(set.arena.chunks); got > 2 {
		t.Errorf("after a quiet checkpoint the arena has %d chunks, want the compacted one (and at most one more)", got)
	}
	reopenAndCheck(t, s, dir, want)
}

// TestStore_ReadsSnapshotFormat1 writes a snapshot in the first format (user
// records only, indexes rebuilt on load) and opens it.
func TestStore_ReadsSnapshotFormat1(t *testing.T) {
	dir := t.TempDir()
	const seq = 7
	b := []byte(snapMagicV1)
	b = binary.LittleEndian.AppendUint64(b, seq)
	acct := appendAccount(nil, &openchime.Account{ID: "a", AwsAccountID: "111111111111", Name: "A", Type: openchime.EnterpriseLWA, Status: openchime.AccountActive, CreatedAt: t0})
	b = append(b, kindAccount)
	b = binary.AppendUvarint(b, uint64(len(acct)))
	b = append(b, acct...)
	want := map[string]openchime.RegistrationStatus{}
	var recs []string
	for i := range 300 {
		u := testUser(i, openchime.Suspended)
		recs = append(recs, encodeUser(u))
		want[u.ID] = u.RegistrationStatus
	}
	b = append(b, kindUserBlock)
	b = binary.AppendUvarint(b, 1)
	b = append(b, 'a')
	b = binary.AppendUvarint(b, uint64(len(recs)))
	for _, r := range recs {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	if err := os.WriteFile(filepath.Join(dir, snapName(seq)), b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkUsers(t, s, want)
	// A checkpoint rewrites it in the current format, which reads back.
	if err := s.Update(context.Background(), func(tx openchime.Tx) error {
		return tx.PutUser(context.Background(), testUser(1, openchime.Registered))
	}); err != nil {
		t.Fatal(err)
	}
	want["u00001"] = openchime.Registered
	reopenAndCheck(t, s, dir, want)
}

// TestStore_CaptureStaysAsCaptured captures a snapshot, then changes users
// in every way a writer can (status, email, creation time, new users)
// before the snapshot is written, and checks the written snapshot holds the
// state of the capture.
func TestStore_CaptureStaysAsCaptured(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	put := func(u *openchime.User) {
		t.Helper()
		if err := s.Update(ctx, func(tx openchime.Tx) error { return tx.PutUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		put(testUser(i, openchime.Registered))
	}
	want := map[string]openchime.RegistrationStatus{}
	for i := range 300 {
		want[fmt.Sprintf("u%05d", i)] = openchime.Registered
	}
	s.wmu.Lock()
	data := s.capture(s.seq)
	s.wmu.Unlock()
	for i := 0; i < 300; i += 3 {
		put(testUser(i, openchime.Suspended))
	}
	for i := 1; i < 300; i += 10 {
		u := testUser(i, openchime.Registered)
		u.PrimaryEmail = fmt.Sprintf("moved%d@example.com", i)
		u.CreatedAt = t0.Add(time.Hour)
		put(u)
	}
	for i := 300; i < 400; i++ {
		put(testUser(i, openchime.Registered))
	}
	dir := t.TempDir()
	if _, err := writeSnapshot(osFS{}, dir, data); err != nil {
		t.Fatal(err)
	}
	st, _, err := loadSnapshot(osFS{}, filepath.Join(dir, snapName(data.seq)), data.seq, newColdFiles(dir, osFS{}))
	if err != nil {
		t.Fatal(err)
	}
	captured := &Store{st: st, cold: newColdFiles(dir, osFS{}), wal: newWAL(nil, 0, 0, true)}
	checkUsers(t, captured, want)
	s.wmu.Lock()
	data.release()
	s.wmu.Unlock()
}

// reopenAndCheck closes the store and checks the users of the reopened one.
func reopenAndCheck(t *testing.T, s *Store, dir string, want map[string]openchime.RegistrationStatus) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	checkUsers(t, s2, want)
}

// TestStore_SnapshotBufferIsReleased checks that nothing the state keeps
// beyond the sets' first arena chunks points into the snapshot's bytes: a map
// key that did (the account id of a user set) kept the whole buffer alive
// after compaction had replaced the records in it, 134 MB at 1M users.
func TestStore_SnapshotBufferIsReleased(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 50 {
		if err := s.Update(ctx, func(tx openchime.Tx) error { return tx.PutUser(ctx, testUser(i, openchime.Registered)) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Update(ctx, func(tx openchime.Tx) error { return tx.PutResource(ctx, auditEvent(1)) }); err != nil {
		t.Fatal(err)
	}
	seq := s.seq
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, snapName(seq))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := parseSnapshot(path, data, seq, newColdFiles(dir, osFS{}))
	if err != nil {
		t.Fatal(err)
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	hi := lo + uintptr(len(data))
	within := func(str string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(str)))
		return len(str) > 0 && p >= lo && p < hi
	}
	for k := range st.users {
		if within(k) {
			t.Errorf("the key of user set %q points into the snapshot's bytes", k)
		}
	}
	for k := range st.cold {
		if within(k) {
			t.Errorf("the key of cold set %q points into the snapshot's bytes", k)
		}
	}
	for k, rec := range st.accounts {
		if within(k) || within(rec) {
			t.Errorf("account %q points into the snapshot's bytes", k)
		}
	}
	if len(st.users) == 0 || len(st.cold) == 0 {
		t.Fatalf("the snapshot has %d user sets and %d cold sets", len(st.users), len(st.cold))
	}
}
