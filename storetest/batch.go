package storetest

import (
	"context"
	"errors"
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
	updateConcurrently(t, s, ctx, workers, rounds, func(tx openchime.Tx, w, i int) error {
		if _, err := tx.Account(ctx, "a"); err != nil {
			return err
		}
		users := []*openchime.User{}
		// Half the rounds read through the batch read, if the
		// store has one, which is asked for the users in the
		// order of the worker and must lock them in an order of
		// its own; the others read one user at a time, in one
		// order, as a single-user path does.
		ids := []string{"u1", "u2"}
		if r, ok := tx.(openchime.UserBatchReader); ok && i%2 == 0 {
			if w%2 == 1 {
				ids = []string{"u2", "u1"}
			}
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

// testResourceReadYourWrites checks that a transaction sees its own
// resource writes through every read (Resource, Resources, AllResources),
// also after a listing and after DeleteAll, that everything it wrote is
// there after commit, and nothing of a transaction that failed. A store
// that holds writes back (postgres) must send them before a listing and
// before the commit.
func testResourceReadYourWrites(t *testing.T, s openchime.Store) {
	ctx := context.Background()
	res := func(kind, id string, created time.Duration, data string) *openchime.Resource {
		return &openchime.Resource{Kind: kind, ID: id, Scope: "acct1", CreatedAt: base.Add(created), Data: []byte(data)}
	}
	b1, b2, room := res("bot", "b1", 0, `{"v":1}`), res("bot", "b2", time.Millisecond, `{}`), res("room", "r1", 0, `{}`)
	err := s.Update(ctx, func(tx openchime.Tx) error {
		for _, r := range []*openchime.Resource{b1, b2, room} {
			if err := tx.PutResource(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	get := func(tx openchime.ReadTx, kind, id string) *openchime.Resource {
		t.Helper()
		r, err := tx.Resource(ctx, kind, id)
		if openchime.IsCode(err, openchime.NotFound) {
			return nil
		}
		if err != nil {
			t.Fatalf("Resource(%s, %s): %v", kind, id, err)
		}
		return r
	}
	list := func(tx openchime.ReadTx, f openchime.ResourceFilter) []*openchime.Resource {
		t.Helper()
		rs, err := tx.Resources(ctx, f)
		if err != nil {
			t.Fatalf("Resources(%+v): %v", f, err)
		}
		return rs
	}
	all := func(tx openchime.ReadTx) []*openchime.Resource {
		t.Helper()
		rs, err := tx.AllResources(ctx)
		if err != nil {
			t.Fatalf("AllResources: %v", err)
		}
		return rs
	}
	check := func(what string, want, got any) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}

	b1v2, b3 := res("bot", "b1", 0, `{"v":2}`), res("bot", "b3", 2*time.Millisecond, `{"v":3}`)
	b1v3, b4, b5 := res("bot", "b1", 0, `{"v":3}`), res("bot", "b4", 3*time.Millisecond, `{}`), res("bot", "b5", 4*time.Millisecond, `{}`)
	err = s.Update(ctx, func(tx openchime.Tx) error {
		// Read first, as a batch's prefetch does, then write over what was
		// read.
		if r, ok := tx.(openchime.ResourceBatchReader); ok {
			if _, err := r.ResourcesByKey(ctx, []openchime.ResourceKey{{Kind: "bot", ID: "b1"}, {Kind: "bot", ID: "b2"}, {Kind: "bot", ID: "b3"}}); err != nil {
				return err
			}
		}
		check("b1 before writes", b1, get(tx, "bot", "b1"))
		mine := res("bot", "b3", 2*time.Millisecond, `{"v":3}`)
		for _, err := range []error{tx.PutResource(ctx, b1v2), tx.DeleteResource(ctx, "bot", "b2"), tx.PutResource(ctx, mine)} {
			if err != nil {
				return err
			}
		}
		mine.Data[0] = 'X' // what was put is the store's copy
		check("b1 after its put", b1v2, get(tx, "bot", "b1"))
		check("b2 after its delete", (*openchime.Resource)(nil), get(tx, "bot", "b2"))
		check("b3 after its put", b3, get(tx, "bot", "b3"))
		check("the listing after the writes", []*openchime.Resource{b1v2, b3}, list(tx, openchime.ResourceFilter{Kind: "bot", Scope: "acct1"}))
		check("AllResources after the writes", []*openchime.Resource{b1v2, b3, room}, all(tx))

		// Writes after a listing are seen by the next one, and by commit.
		for _, err := range []error{tx.PutResource(ctx, b4), tx.DeleteResource(ctx, "bot", "b3"), tx.PutResource(ctx, b1v3)} {
			if err != nil {
				return err
			}
		}
		check("the second listing", []*openchime.Resource{b1v3, b4}, list(tx, openchime.ResourceFilter{Kind: "bot"}))
		check("b3 after its delete", (*openchime.Resource)(nil), get(tx, "bot", "b3"))
		if err := tx.PutResource(ctx, b5); err != nil {
			return err
		}
		return tx.DeleteResource(ctx, "bot", "b4")
	})
	if err != nil {
		t.Fatal(err)
	}
	committed := []*openchime.Resource{b1v3, b5, room}
	view := func(what string, want []*openchime.Resource) {
		t.Helper()
		err := s.View(ctx, func(tx openchime.ReadTx) error {
			check(what+": AllResources", want, all(tx))
			for _, r := range want {
				check(what+": Resource("+r.ID+")", r, get(tx, r.Kind, r.ID))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	view("after commit", committed)

	// A transaction that fails leaves nothing, what a listing made it send
	// included.
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx openchime.Tx) error {
		for _, err := range []error{tx.PutResource(ctx, res("bot", "x1", 0, `{}`)), tx.DeleteResource(ctx, "bot", "b1"), tx.PutResource(ctx, res("room", "r1", 0, `{"v":9}`))} {
			if err != nil {
				return err
			}
		}
		list(tx, openchime.ResourceFilter{Kind: "bot"})
		if err := tx.PutResource(ctx, res("bot", "x2", 0, `{}`)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err=%v, want the callback's error", err)
	}
	view("after a failed transaction", committed)

	// DeleteAll removes what the transaction wrote before it, not after.
	b6, b7 := res("bot", "b6", 0, `{}`), res("bot", "b7", 0, `{}`)
	err = s.Update(ctx, func(tx openchime.Tx) error {
		if err := tx.PutResource(ctx, b6); err != nil {
			return err
		}
		if err := tx.DeleteAll(ctx); err != nil {
			return err
		}
		check("b1 after DeleteAll", (*openchime.Resource)(nil), get(tx, "bot", "b1"))
		check("b6 after DeleteAll", (*openchime.Resource)(nil), get(tx, "bot", "b6"))
		if err := tx.PutResource(ctx, b7); err != nil {
			return err
		}
		check("AllResources after DeleteAll", []*openchime.Resource{b7}, all(tx))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	view("after DeleteAll", []*openchime.Resource{b7})
}

// testResourceBatches checks the optional many-resources read
// (openchime.ResourceBatchReader) against what one Resource call per key
// gives, the transaction's own writes included. A store whose transactions
// lack it skips it.
func testResourceBatches(t *testing.T, s openchime.Store) {
	ctx := context.Background()
	b1 := &openchime.Resource{Kind: "bot", ID: "b1", Scope: "acct1", CreatedAt: base, Data: []byte(`{"v":1}`)}
	b2 := &openchime.Resource{Kind: "bot", ID: "b2", Scope: "acct2", CreatedAt: base, Data: []byte(`{}`)}
	room := &openchime.Resource{Kind: "room", ID: "b1", Scope: "acct1", CreatedAt: base, Data: []byte(`{}`)}
	b3 := &openchime.Resource{Kind: "bot", ID: "b3", Scope: "acct1", CreatedAt: base, Data: []byte(`{}`)}
	sorted := func(list []*openchime.Resource) []*openchime.Resource {
		slices.SortFunc(list, func(x, y *openchime.Resource) int {
			if c := strings.Compare(x.Kind, y.Kind); c != 0 {
				return c
			}
			return strings.Compare(x.ID, y.ID)
		})
		return list
	}
	var batched bool
	err := s.Update(ctx, func(tx openchime.Tx) error {
		_, ok := tx.(openchime.ResourceBatchReader)
		if !ok {
			return nil
		}
		batched = true
		for _, x := range []*openchime.Resource{b1, b2, room} {
			if err := tx.PutResource(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !batched {
		t.Skip("the store's transactions read one resource at a time")
	}
	keys := []openchime.ResourceKey{{Kind: "bot", ID: "b2"}, {Kind: "bot", ID: "none"}, {Kind: "bot", ID: "b1"}, {Kind: "room", ID: "b1"}, {Kind: "bot", ID: "b1"}, {Kind: "bot", ID: "b3"}}
	err = s.Update(ctx, func(tx openchime.Tx) error {
		r := tx.(openchime.ResourceBatchReader)
		got, err := r.ResourcesByKey(ctx, keys)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]*openchime.Resource{b1, b2, room}, sorted(got)); diff != "" {
			t.Errorf("ResourcesByKey (-want +got):\n%s", diff)
		}
		for _, x := range got {
			x.Data[0] = 'X' // what a read returns is the caller's
		}
		if _, err := tx.Resource(ctx, "bot", "none"); !openchime.IsCode(err, openchime.NotFound) {
			t.Errorf("Resource of a key ResourcesByKey did not find: err=%v, want NotFound", err)
		}
		if got, err := tx.Resource(ctx, "bot", "b1"); err != nil || !cmp.Equal(got, b1) {
			t.Errorf("Resource after ResourcesByKey = %+v, %v; want %+v", got, err, b1)
		}
		if got, err := r.ResourcesByKey(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("ResourcesByKey(nil) = %v, %v; want none", got, err)
		}

		// It sees the transaction's writes.
		if err := tx.PutResource(ctx, b3); err != nil {
			return err
		}
		if err := tx.DeleteResource(ctx, "bot", "b1"); err != nil {
			return err
		}
		got, err = r.ResourcesByKey(ctx, keys)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]*openchime.Resource{b2, b3, room}, sorted(got)); diff != "" {
			t.Errorf("ResourcesByKey after writes (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testRowLockedResources is testRowLockedUpdates for resources: concurrent
// row-locked read-modify-write transactions on two counters, read half the
// time through ResourcesByKey first (when the store has it), lose no
// update: what a batch read returns and later point reads answer from it
// must be locked as a point read would have locked it.
func testRowLockedResources(t *testing.T, s openchime.Store) {
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	ctx := openchime.WithRowLocks(context.Background())
	counter := func(id string, n int) *openchime.Resource {
		return &openchime.Resource{Kind: "count", ID: id, Scope: "a", CreatedAt: base, Data: []byte(fmt.Sprint(n))}
	}
	err := s.Update(ctx, func(tx openchime.Tx) error {
		return errors.Join(tx.PutResource(ctx, counter("c1", 0)), tx.PutResource(ctx, counter("c2", 0)))
	})
	if err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 4, 10
	updateConcurrently(t, s, ctx, workers, rounds, func(tx openchime.Tx, w, i int) error {
		if _, err := tx.Account(ctx, "a"); err != nil {
			return err
		}
		keys := []openchime.ResourceKey{{Kind: "count", ID: "c1"}, {Kind: "count", ID: "c2"}}
		// One by one, the counters are read in one order, as
		// the Service reads a batch's rows; the batch read
		// is asked for them in either.
		if r, ok := tx.(openchime.ResourceBatchReader); ok && i%2 == 0 {
			if w%2 == 1 {
				keys[0], keys[1] = keys[1], keys[0]
			}
			if _, err := r.ResourcesByKey(ctx, keys); err != nil {
				return err
			}
		}
		for _, k := range keys {
			c, err := tx.Resource(ctx, k.Kind, k.ID)
			if err != nil {
				return err
			}
			var n int
			fmt.Sscan(string(c.Data), &n)
			if err := tx.PutResource(ctx, counter(k.ID, n+1)); err != nil {
				return err
			}
		}
		return nil
	})
	err = s.View(ctx, func(tx openchime.ReadTx) error {
		for _, id := range []string{"c1", "c2"} {
			c, err := tx.Resource(ctx, "count", id)
			if err != nil {
				return err
			}
			if string(c.Data) != fmt.Sprint(workers*rounds) {
				t.Errorf("counter %s = %s, want %d (lost updates)", id, c.Data, workers*rounds)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// updateConcurrently runs workers goroutines that each run rounds Updates of
// fn (w is the worker, i the round) at once, and fails the test on the first
// error.
func updateConcurrently(t *testing.T, s openchime.Store, ctx context.Context, workers, rounds int, fn func(tx openchime.Tx, w, i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				errs <- s.Update(ctx, func(tx openchime.Tx) error { return fn(tx, w, i) })
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
}
