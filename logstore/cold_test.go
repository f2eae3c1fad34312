package logstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
)

func auditEvent(i int) *openchime.Resource {
	return &openchime.Resource{Kind: openchime.AuditKind, ID: fmt.Sprintf("e%05d", i), Scope: fmt.Sprintf("acct%d", i%3),
		CreatedAt: t0.Add(time.Duration(i/2) * time.Millisecond), Data: fmt.Appendf(nil, `{"n":%d,"pad":"%0200d"}`, i, i)}
}

func putResources(t *testing.T, s *Store, rs ...*openchime.Resource) {
	t.Helper()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx openchime.Tx) error {
		for _, r := range rs {
			if err := tx.PutResource(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// checkAudit lists the events of a scope in pages and reads each by id.
func checkAudit(t *testing.T, s *Store, want map[string]bool) {
	t.Helper()
	ctx := context.Background()
	err := s.View(ctx, func(tx openchime.ReadTx) error {
		for scope := range 3 {
			var after *openchime.Cursor
			var got []string
			for {
				list, err := tx.Resources(ctx, openchime.ResourceFilter{Kind: openchime.AuditKind, Scope: fmt.Sprint("acct", scope), After: after, Limit: 7})
				if err != nil {
					return err
				}
				for _, r := range list {
					got = append(got, r.ID)
				}
				if len(list) < 7 {
					break
				}
				last := list[len(list)-1]
				after = &openchime.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
			}
			var wantIDs []string
			for id := range want {
				var i int
				fmt.Sscanf(id, "e%d", &i)
				if i%3 == scope {
					wantIDs = append(wantIDs, id)
				}
			}
			slices.Sort(wantIDs) // ids sort as their times do
			if !slices.Equal(got, wantIDs) {
				return fmt.Errorf("scope %d listed %d events %v, want %d", scope, len(got), got, len(wantIDs))
			}
		}
		for id := range want {
			var i int
			fmt.Sscanf(id, "e%d", &i)
			r, err := tx.Resource(ctx, openchime.AuditKind, id)
			if err != nil {
				return err
			}
			if string(r.Data) != string(auditEvent(i).Data) || r.Scope != auditEvent(i).Scope || !r.CreatedAt.Equal(auditEvent(i).CreatedAt) {
				return fmt.Errorf("event %s read back as %+v", id, r)
			}
		}
		all, err := tx.AllResources(ctx)
		if err != nil {
			return err
		}
		if len(all) != len(want) {
			return fmt.Errorf("AllResources has %d records, want %d", len(all), len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStore_ColdRecords writes audit events (kept on disk), deletes some as
// retention does, and checks them through checkpoints, segment rotations, a
// crash (a copy of the open store's files) and a reopen.
func TestStore_ColdRecords(t *testing.T) {
	defer func(n int64) { coldSegmentBytes = n }(coldSegmentBytes)
	coldSegmentBytes = 4096
	dir := t.TempDir()
	s, err := OpenOptions(dir, Options{CheckpointBytes: 20000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := map[string]bool{}
	for i := 0; i < 600; i += 3 {
		putResources(t, s, auditEvent(i), auditEvent(i+1), auditEvent(i+2))
		for j := i; j < i+3; j++ {
			want[fmt.Sprintf("e%05d", j)] = true
		}
		if i%30 == 0 && i >= 150 { // prune the oldest, as --audit-retention does
			var oldest []*openchime.Resource
			s.View(ctx, func(tx openchime.ReadTx) (err error) {
				oldest, err = tx.Resources(ctx, openchime.ResourceFilter{Kind: openchime.AuditKind, Limit: 40})
				return err
			})
			if err := s.Update(ctx, func(tx openchime.Tx) error {
				for _, r := range oldest {
					delete(want, r.ID)
					if err := tx.DeleteResource(ctx, r.Kind, r.ID); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, ok := s.st.resources[openchime.AuditKind]; ok {
		t.Error("audit events are held in memory")
	}
	checkAudit(t, s, want)
	// Background checkpoints may lag on a busy machine: one more, in the
	// foreground, removes the segments the pruning emptied.
	if err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	segs, _ := s.cold.segments()
	if len(segs) < 2 || segs[0] == 1 {
		t.Errorf("segments %v: want several, the first ones (all pruned) removed", segs)
	}
	crashed := t.TempDir()
	s.ckptWG.Wait() // a copy taken during a checkpoint could miss both snapshots
	CopyFiles(t, dir, crashed)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, crashed} {
		s2, err := Open(d)
		if err != nil {
			t.Fatal(err)
		}
		checkAudit(t, s2, want)
		putResources(t, s2, auditEvent(900))
		s2.Close()
	}
}

// TestStore_ColdWriteFailureAppliesNothing makes the segment unwritable and
// checks that the transaction fails whole.
func TestStore_ColdWriteFailureAppliesNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	putResources(t, s, auditEvent(1))
	// Replace the open segment with a read-only handle.
	f, err := os.Open(filepath.Join(dir, coldName(s.cold.cur)))
	if err != nil {
		t.Fatal(err)
	}
	s.cold.mu.Lock()
	s.cold.files[s.cold.cur].Close()
	s.cold.files[s.cold.cur] = osFile{f}
	s.cold.mu.Unlock()
	ctx := context.Background()
	err = s.Update(ctx, func(tx openchime.Tx) error {
		tx.PutResource(ctx, &openchime.Resource{Kind: "bot", ID: "b", Scope: "x", CreatedAt: t0, Data: []byte(`{}`)})
		return tx.PutResource(ctx, auditEvent(2))
	})
	if err == nil {
		t.Fatal("the update succeeded with an unwritable segment")
	}
	s.View(ctx, func(tx openchime.ReadTx) error {
		if _, err := tx.Resource(ctx, "bot", "b"); !openchime.IsCode(err, openchime.NotFound) {
			t.Errorf("the failed transaction's bot is there: %v", err)
		}
		return nil
	})
}

// TestColdSet_PruningLeavesNoDeadHead deletes the oldest entries, as audit
// retention does, and checks that the order starts at the oldest live one
// (a dead prefix would make every listing from the start step over it) and
// that the set is rebuilt once most of it is deleted.
func TestColdSet_PruningLeavesNoDeadHead(t *testing.T) {
	var s coldSet
	for i := range 100 {
		s.put(coldEntry{created: int64(i), id: fmt.Sprintf("e%03d", i), scope: "a", loc: coldLoc{seg: 1, off: int64(i), len: 1}})
	}
	for i := range 60 {
		if _, ok := s.remove(fmt.Sprintf("e%03d", i)); !ok {
			t.Fatalf("e%03d not found", i)
		}
	}
	if len(s.order) != 40 {
		t.Fatalf("order holds %d slots after deleting the 60 oldest of 100, want the 40 live ones", len(s.order))
	}
	if e, _ := s.entry(s.order[0]); e.id != "e060" {
		t.Fatalf("order starts at %q, want e060", e.id)
	}
	if !s.mostlyDead() {
		t.Fatal("60 of 100 deleted, yet the set does not ask for a rebuild")
	}
	r := s.rebuilt()
	if len(r.refs) != 40 || r.ids.n != 40 || r.mostlyDead() {
		t.Fatalf("rebuilt set: %d slots, %d ids", len(r.refs), r.ids.n)
	}
}
