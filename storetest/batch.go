package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
)

// testUserBatches checks the optional many-users reads and writes
// (openchime.UserBatchReader, UserBatchWriter) against what one call per
// user gives. A store whose transactions have neither skips it.
func testUserBatches(t *testing.T, s openchime.Store) {
	ctx := context.Background()
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	MustPutAccount(t, s, account("b", "111111111111", "B", base))
	live, gone, other := user("a", "u1", "Pat@example.com", base), user("a", "u2", "sam@example.com", base), user("b", "u3", "kim@example.com", base)
	gone.RemovedAt = base.Add(time.Millisecond)
	for _, u := range []*openchime.User{live, gone, other} {
		MustPutUser(t, s, u)
	}
	byID := func(list []*openchime.User) []*openchime.User {
		slices.SortFunc(list, func(x, y *openchime.User) int { return strings.Compare(x.ID, y.ID) })
		return list
	}
	var batched bool
	err := s.Update(ctx, func(tx openchime.Tx) error {
		r, ok := tx.(openchime.UserBatchReader)
		if !ok {
			return nil
		}
		batched = true
		got, err := r.UsersByID(ctx, "a", []string{"u2", "nobody", "u1", "u3"})
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]*openchime.User{live, gone}, byID(got)); diff != "" {
			t.Errorf("UsersByID (-want +got):\n%s", diff)
		}
		got, err = r.UsersByEmail(ctx, "a", []string{"pat@example.com", "kim@example.com", "sam@example.com"})
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]*openchime.User{live, gone}, byID(got)); diff != "" {
			t.Errorf("UsersByEmail (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !batched {
		t.Skip("the store's transactions read and write one user at a time")
	}
	w := func(tx openchime.Tx) openchime.UserBatchWriter {
		b, ok := tx.(openchime.UserBatchWriter)
		if !ok {
			t.Fatal("the transaction reads users in batches but does not write them so")
		}
		return b
	}

	first, second, added := live.Clone(), live.Clone(), user("a", "u4", "lee@example.com", base)
	first.DisplayName, second.DisplayName = "first", "second"
	if err := s.Update(ctx, func(tx openchime.Tx) error { return w(tx).PutUsers(ctx, []*openchime.User{first, added, second}) }); err != nil {
		t.Fatalf("PutUsers: %v", err)
	}
	got := readUsers(t, s, openchime.UserFilter{AccountID: "a", IncludeRemoved: true})
	if diff := cmp.Diff([]*openchime.User{second, gone, added}, byID(got)); diff != "" {
		t.Errorf("after PutUsers, the last of two writes of u1 wins (-want +got):\n%s", diff)
	}

	// An email another user holds is a Conflict, and the whole batch is gone.
	clash, fresh := user("a", "u5", "SAM@example.com", base), user("a", "u6", "ann@example.com", base)
	err = s.Update(ctx, func(tx openchime.Tx) error { return w(tx).PutUsers(ctx, []*openchime.User{fresh, clash}) })
	if !openchime.IsCode(err, openchime.Conflict) {
		t.Fatalf("PutUsers with a taken email: err=%v, want Conflict", err)
	}
	if got := listUsers(t, s, openchime.UserFilter{AccountID: "a", IncludeRemoved: true}); len(got) != 3 {
		t.Errorf("after a refused PutUsers the account has %d users, want 3", len(got))
	}
}

// testRowLockedUpdates runs concurrent read-modify-write transactions on
// one user, each marked openchime.WithRowLocks and reading the account as
// the Service's per-user paths do: none may lose an update, whatever
// isolation the store runs them at.
func testRowLockedUpdates(t *testing.T, s openchime.Store) {
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	MustPutUser(t, s, user("a", "u1", "pat@example.com", base))
	MustPutUser(t, s, user("a", "u2", "sam@example.com", base))
	ctx := openchime.WithRowLocks(context.Background())
	const workers, rounds = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				errs <- s.Update(ctx, func(tx openchime.Tx) error {
					if _, err := tx.Account(ctx, "a"); err != nil {
						return err
					}
					users := []*openchime.User{}
					// Half the rounds read through the batch read, if the
					// store has one, both users in the order of the worker.
					ids := []string{"u1", "u2"}
					if w%2 == 1 {
						ids = []string{"u2", "u1"}
					}
					if r, ok := tx.(openchime.UserBatchReader); ok && i%2 == 0 {
						list, err := r.UsersByID(ctx, "a", ids)
						if err != nil {
							return err
						}
						users = list
					} else {
						for _, id := range ids {
							u, err := tx.User(ctx, "a", id)
							if err != nil {
								return err
							}
							users = append(users, u)
						}
					}
					for _, u := range users {
						var n int
						fmt.Sscan(u.DisplayName, &n)
						u.DisplayName = fmt.Sprint(n + 1)
						if err := tx.PutUser(ctx, u); err != nil {
							return err
						}
					}
					return nil
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("row-locked update: %v", err)
		}
	}
	for _, u := range readUsers(t, s, openchime.UserFilter{AccountID: "a"}) {
		if u.DisplayName != fmt.Sprint(workers*rounds) {
			t.Errorf("user %s counter = %s, want %d (lost updates)", u.ID, u.DisplayName, workers*rounds)
		}
	}
}

// readUsers returns the users that match f.
func readUsers(t *testing.T, s openchime.Store, f openchime.UserFilter) []*openchime.User {
	t.Helper()
	var out []*openchime.User
	err := s.View(context.Background(), func(tx openchime.ReadTx) (err error) {
		out, err = tx.Users(context.Background(), f)
		return err
	})
	if err != nil {
		t.Fatalf("Users(%+v): %v", f, err)
	}
	return out
}
