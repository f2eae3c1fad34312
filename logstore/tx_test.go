package logstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
)

// TestUsersByID_asUserCalls checks the batch reads against one User or
// UserByEmail call per key, in a read and in a write transaction whose own
// writes (a changed user, a new one, a changed email) they must see, and
// that the write transaction remembers the users it found as User does.
func TestUsersByID_asUserCalls(t *testing.T) {
	s, err := OpenOptions(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	mk := func(i int) *openchime.User {
		return &openchime.User{ID: fmt.Sprintf("u%d", i), AccountID: "a", PrimaryEmail: fmt.Sprintf("P%d@example.com", i),
			LicenseType: openchime.Pro, UserType: openchime.PrivateUser, RegistrationStatus: openchime.Registered,
			CreatedAt: at.Add(time.Duration(i) * time.Millisecond), Settings: openchime.DefaultUserSettings}
	}
	err = s.Update(ctx, func(tx openchime.Tx) error {
		for i := range 6 {
			u := mk(i)
			if i == 5 {
				u.RemovedAt = at.Add(time.Hour)
			}
			if err := tx.PutUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"u3", "nobody", "u0", "u5", "u1", "u9", "u3"}
	emails := []string{"p3@example.com", "p5@example.com", "nobody@example.com", "p0@example.com", "new@example.com", "p1@example.com"}
	check := func(tx openchime.ReadTx) {
		t.Helper()
		var want []*openchime.User
		for _, id := range ids {
			if u, err := tx.User(ctx, "a", id); err == nil {
				want = append(want, u)
			} else if !openchime.IsCode(err, openchime.NotFound) {
				t.Fatal(err)
			}
		}
		got, err := tx.(openchime.UserBatchReader).UsersByID(ctx, "a", ids)
		if err != nil {
			t.Fatal(err)
		}
		byID := func(list []*openchime.User) map[string]*openchime.User {
			m := map[string]*openchime.User{}
			for _, u := range list {
				m[u.ID] = u
			}
			return m
		}
		if diff := cmp.Diff(byID(want), byID(got)); diff != "" {
			t.Errorf("UsersByID (-User calls +batch):\n%s", diff)
		}
		if len(got) != len(want) {
			t.Errorf("UsersByID returned %d users, User calls %d", len(got), len(want))
		}
		for _, u := range got {
			u.DisplayName = "spoiled" // the caller's to change
		}
		want = want[:0]
		for _, e := range emails {
			if u, err := tx.UserByEmail(ctx, "a", e); err == nil {
				want = append(want, u)
			} else if !openchime.IsCode(err, openchime.NotFound) {
				t.Fatal(err)
			}
		}
		got, err = tx.(openchime.UserBatchReader).UsersByEmail(ctx, "a", emails)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(byID(want), byID(got)); diff != "" {
			t.Errorf("UsersByEmail (-UserByEmail calls +batch):\n%s", diff)
		}
		if got, err := tx.(openchime.UserBatchReader).UsersByID(ctx, "other", ids); err != nil || len(got) != 0 {
			t.Errorf("UsersByID of another account = %v, %v; want none", got, err)
		}
	}
	if err := s.View(ctx, func(tx openchime.ReadTx) error { check(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx openchime.Tx) error {
		// What the batch read found is remembered as User remembers it.
		if _, err := tx.(openchime.UserBatchReader).UsersByID(ctx, "a", ids); err != nil {
			return err
		}
		w := tx.(*wtx)
		for _, id := range []string{"u0", "u1", "u3", "u5"} {
			_, want, _ := w.base.userSlot("a", id)
			if slot, ok := w.slotOf("a", id); !ok || slot != want {
				t.Errorf("slotOf(%s) = %d, %v after UsersByID; want %d, true", id, slot, ok, want)
			}
		}
		if _, ok := w.slotOf("a", "nobody"); ok {
			t.Error("UsersByID remembered a user it did not find")
		}
		check(tx)
		changed, added, moved := mk(0), mk(7), mk(1)
		changed.DisplayName = "changed"
		added.PrimaryEmail = "new@example.com"
		moved.PrimaryEmail = "moved@example.com"
		for _, u := range []*openchime.User{changed, added, moved} {
			if err := tx.PutUser(ctx, u); err != nil {
				return err
			}
		}
		ids = append(ids, "u7")
		emails = append(emails, "moved@example.com")
		check(tx)
		got, err := tx.(openchime.UserBatchReader).UsersByID(ctx, "a", []string{"u0"})
		if err != nil || len(got) != 1 || got[0].DisplayName != "changed" {
			t.Errorf("UsersByID after a PutUser = %v, %v; want the transaction's version", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The spoiled copies changed nothing; the committed writes are there.
	err = s.View(ctx, func(tx openchime.ReadTx) error {
		got, err := tx.(openchime.UserBatchReader).UsersByID(ctx, "a", []string{"u0", "u3", "u7"})
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, u := range got {
			names[u.ID] = u.DisplayName
		}
		if diff := cmp.Diff(map[string]string{"u0": "changed", "u3": "", "u7": ""}, names); diff != "" {
			t.Errorf("after commit (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
