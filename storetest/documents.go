package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
)

// The invariants of the indexed document kinds (openchime.IndexEntries,
// documents.go): the store derives each resource's index keys from its
// document and gives a key to at most one resource of the kind.

func phoneDoc(e164 string, users ...string) []byte {
	as := ""
	for i, u := range users {
		if i > 0 {
			as += ","
		}
		as += fmt.Sprintf(`{"Name":"UserId","Value":%q}`, u)
	}
	return fmt.Appendf(nil, `{"E164":%q,"Associations":[%s]}`, e164, as)
}

func phone(id, e164 string, users ...string) *openchime.Resource {
	return &openchime.Resource{Kind: "phone-number", ID: id, Scope: "111111111111", CreatedAt: base, Data: phoneDoc(e164, users...)}
}

func room(id, account, token string) *openchime.Resource {
	return &openchime.Resource{Kind: "room", ID: id, Scope: account, CreatedAt: base,
		Data: fmt.Appendf(nil, `{"ID":%q,"AccountID":%q,"ClientRequestToken":%q}`, id, account, token)}
}

func membership(id, roomID, member string) *openchime.Resource {
	return &openchime.Resource{Kind: "room-membership", ID: id, Scope: roomID, CreatedAt: base,
		Data: fmt.Appendf(nil, `{"RoomID":%q,"Member":{"ID":%q}}`, roomID, member)}
}

func webhook(id, member, roomID string) *openchime.Resource {
	return &openchime.Resource{Kind: "incoming-webhook", ID: id, Scope: "a", CreatedAt: base,
		Data: fmt.Appendf(nil, `{"ID":%q,"MemberID":%q,"RoomID":%q}`, id, member, roomID)}
}

// put writes the resources in one transaction.
func put(s openchime.Store, rs ...*openchime.Resource) error {
	ctx := context.Background()
	return s.Update(ctx, func(tx openchime.Tx) error {
		for _, r := range rs {
			if err := tx.PutResource(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func mustPut(t *testing.T, s openchime.Store, rs ...*openchime.Resource) {
	t.Helper()
	if err := put(s, rs...); err != nil {
		t.Fatalf("PutResource: %v", err)
	}
}

func wantConflict(t *testing.T, what string, err error) {
	t.Helper()
	if !openchime.IsCode(err, openchime.Conflict) {
		t.Errorf("%s: err=%v, want Conflict", what, err)
	}
}

// byIndex returns the id of the resource holding the key, "" for none.
func byIndex(t *testing.T, s openchime.Store, kind, index, key string) string {
	t.Helper()
	var id string
	err := s.View(context.Background(), func(tx openchime.ReadTx) error {
		r, err := tx.ResourceByIndex(context.Background(), kind, index, key)
		if openchime.IsCode(err, openchime.NotFound) {
			return nil
		}
		if err == nil {
			id = r.ID
		}
		return err
	})
	if err != nil {
		t.Fatalf("ResourceByIndex(%s, %s, %s): %v", kind, index, key, err)
	}
	return id
}

func idsByIndex(ctx context.Context, tx openchime.ReadTx, kind, index, prefix string) ([]string, error) {
	rs, err := tx.ResourcesByIndex(ctx, kind, index, prefix)
	ids := []string{}
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids, err
}

func exists(t *testing.T, s openchime.Store, kind, id string) bool {
	t.Helper()
	err := s.View(context.Background(), func(tx openchime.ReadTx) error {
		_, err := tx.Resource(context.Background(), kind, id)
		return err
	})
	if err != nil && !openchime.IsCode(err, openchime.NotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// testPhoneNumberIndexes: an E.164 number is held by at most one
// phone-number record, and a user by at most one number.
func testPhoneNumberIndexes(t *testing.T, s openchime.Store) {
	mustPut(t, s, phone("+15550100", "+15550100", "u1"), phone("+15550101", "+15550101"))
	wantConflict(t, "a second record of +15550100", put(s, phone("other", "+15550100")))
	if exists(t, s, "phone-number", "other") {
		t.Errorf("the refused record was kept")
	}
	wantConflict(t, "a second number of user u1", put(s, phone("+15550101", "+15550101", "u1")))
	if got := byIndex(t, s, "phone-number", "user", "u1"); got != "+15550100" {
		t.Errorf("number of u1 = %q, want +15550100", got)
	}
	// Two writes of one transaction that together break the rule fail it
	// whole, at the write or at the commit.
	wantConflict(t, "two numbers taking u2 in one transaction",
		put(s, phone("+15550102", "+15550102", "u2"), phone("+15550103", "+15550103", "u2")))
	if exists(t, s, "phone-number", "+15550102") {
		t.Errorf("a write of the failed transaction was kept")
	}
	// Moving the user in one transaction, released first, is no conflict.
	mustPut(t, s, phone("+15550100", "+15550100"), phone("+15550101", "+15550101", "u1"))
	if got := byIndex(t, s, "phone-number", "user", "u1"); got != "+15550101" {
		t.Errorf("number of u1 after the move = %q, want +15550101", got)
	}
	// Deleting a number frees its keys.
	if err := s.Update(context.Background(), func(tx openchime.Tx) error {
		return tx.DeleteResource(context.Background(), "phone-number", "+15550101")
	}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, phone("again", "+15550101", "u1"))
	if got := byIndex(t, s, "phone-number", "e164", "+15550101"); got != "again" {
		t.Errorf("holder of +15550101 = %q, want again", got)
	}
}

// testRoomTokenIndex: a ClientRequestToken names at most one room of an
// account, for as long as the room lives.
func testRoomTokenIndex(t *testing.T, s openchime.Store) {
	mustPut(t, s, room("r1", "a", "tok"), room("r2", "b", "tok"), room("r3", "a", ""), room("r4", "a", ""))
	wantConflict(t, "a second room of token tok in account a", put(s, room("r5", "a", "tok")))
	if exists(t, s, "room", "r5") {
		t.Errorf("the refused room was kept")
	}
	if got := byIndex(t, s, "room", "token", "a/tok"); got != "r1" {
		t.Errorf("room of a/tok = %q, want r1", got)
	}
	if got := byIndex(t, s, "room", "token", "c/tok"); got != "" {
		t.Errorf("room of c/tok = %q, want none", got)
	}
	ctx := context.Background()
	err := s.Update(ctx, func(tx openchime.Tx) error {
		if err := tx.DeleteResource(ctx, "room", "r1"); err != nil {
			return err
		}
		if err := tx.PutResource(ctx, room("r5", "a", "tok")); err != nil {
			return err
		}
		// The transaction reads its own writes through the index.
		r, err := tx.ResourceByIndex(ctx, "room", "token", "a/tok")
		if err != nil || r.ID != "r5" {
			return fmt.Errorf("room of a/tok in the transaction = %v, %v; want r5", r, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reusing the token of a deleted room: %v", err)
	}
	if err := s.Update(ctx, func(tx openchime.Tx) error { return tx.DeleteAll(ctx) }); err != nil {
		t.Fatal(err)
	}
	if got := byIndex(t, s, "room", "token", "a/tok"); got != "" {
		t.Errorf("room of a/tok after DeleteAll = %q, want none", got)
	}
	mustPut(t, s, room("r6", "a", "tok"))
	// A resource read, then written with its keys changed or unchanged (a
	// store may skip rewriting keys it knows unchanged, never changed ones).
	for _, token := range []string{"tok", "tok2", "tok2"} {
		err := s.Update(ctx, func(tx openchime.Tx) error {
			if _, err := tx.Resource(ctx, "room", "r6"); err != nil {
				return err
			}
			return tx.PutResource(ctx, room("r6", "a", token))
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := byIndex(t, s, "room", "token", "a/"+token); got != "r6" {
			t.Errorf("room of a/%s after the rewrite = %q, want r6", token, got)
		}
	}
	if got := byIndex(t, s, "room", "token", "a/tok"); got != "" {
		t.Errorf("room of a/tok after r6 took tok2 = %q, want none", got)
	}
}

// testMembershipIndexes: one membership per (room, member), and a member's
// memberships listed by the member index.
func testMembershipIndexes(t *testing.T, s openchime.Store) {
	mustPut(t, s, membership("r2/m1", "r2", "m1"), membership("r1/m1", "r1", "m1"), membership("r1/m2", "r1", "m2"),
		membership("r1/m10", "r1", "m10"))
	wantConflict(t, "a second membership of (r1, m1)", put(s, membership("dup", "r1", "m1")))
	ctx := context.Background()
	list := func(prefix string) []string {
		t.Helper()
		var ids []string
		if err := s.View(ctx, func(tx openchime.ReadTx) (err error) {
			ids, err = idsByIndex(ctx, tx, "room-membership", "member", prefix)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := list("m1/"); !cmp.Equal(got, []string{"r1/m1", "r2/m1"}) {
		t.Errorf("memberships of m1 = %v, want [r1/m1 r2/m1]", got)
	}
	if got := list("m3/"); len(got) != 0 {
		t.Errorf("memberships of m3 = %v, want none", got)
	}
	err := s.Update(ctx, func(tx openchime.Tx) error {
		if err := tx.DeleteResource(ctx, "room-membership", "r1/m1"); err != nil {
			return err
		}
		if err := tx.PutResource(ctx, membership("r3/m1", "r3", "m1")); err != nil {
			return err
		}
		got, err := idsByIndex(ctx, tx, "room-membership", "member", "m1/")
		if err == nil && !cmp.Equal(got, []string{"r2/m1", "r3/m1"}) {
			err = fmt.Errorf("memberships of m1 in the transaction = %v, want [r2/m1 r3/m1]", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := list("m1/"); !cmp.Equal(got, []string{"r2/m1", "r3/m1"}) {
		t.Errorf("memberships of m1 after the change = %v, want [r2/m1 r3/m1]", got)
	}
}

// testConcurrentIndexUnique: transactions racing to give one key to
// different resources, without reading first: exactly one wins, the others
// get Conflict from the store's unique index.
func testConcurrentIndexUnique(t *testing.T, s openchime.Store) {
	const workers = 6
	errs := make(chan error, workers)
	for w := range workers {
		go func() { errs <- put(s, room(fmt.Sprint("r", w), "a", "tok")) }()
	}
	wins := 0
	for range workers {
		switch err := <-errs; {
		case err == nil:
			wins++
		case !openchime.IsCode(err, openchime.Conflict):
			t.Errorf("concurrent put err=%v, want nil or Conflict", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d transactions took the token, want exactly 1", wins)
	}
}

// testIndexedDocumentInvalid: a document of an indexed kind that does not
// decode is refused, not stored without its keys.
func testIndexedDocumentInvalid(t *testing.T, s openchime.Store) {
	err := put(s, &openchime.Resource{Kind: "room", ID: "r1", Scope: "a", CreatedAt: base, Data: []byte(`not json`)})
	if !openchime.IsCode(err, openchime.BadRequest) {
		t.Errorf("an undecodable room: err=%v, want BadRequest", err)
	}
}

// testLegacyKindsDropped: the hand-kept indexes of earlier versions
// (openchime.LegacyKind) are dropped on write, so an old snapshot restores
// without them; and a number that names one user twice holds one key.
func testLegacyKindsDropped(t *testing.T, s openchime.Store) {
	mustPut(t, s, &openchime.Resource{Kind: "room-token", ID: "a/tok", Scope: "a", CreatedAt: base, Data: []byte(`{"RoomID":"r1"}`)},
		&openchime.Resource{Kind: "member-room", ID: "m1/r1", Scope: "m1", CreatedAt: base, Data: []byte(`{}`)},
		&openchime.Resource{Kind: "member-webhook", ID: "m1/r1", Scope: "m1", CreatedAt: base, Data: []byte(`{}`)},
		phone("+15550100", "+15550100", "u1", "u1"))
	if exists(t, s, "room-token", "a/tok") || exists(t, s, "member-room", "m1/r1") || exists(t, s, "member-webhook", "m1/r1") {
		t.Errorf("a legacy record was kept")
	}
	if got := byIndex(t, s, "phone-number", "user", "u1"); got != "+15550100" {
		t.Errorf("number of u1 = %q, want +15550100", got)
	}
}

// testWebhookIndex: a member has one incoming webhook per room or
// conversation.
func testWebhookIndex(t *testing.T, s openchime.Store) {
	mustPut(t, s, webhook("w1", "m1", "r1"), webhook("w2", "m1", "r2"), webhook("w3", "m2", "r1"))
	wantConflict(t, "a second webhook of m1 in r1", put(s, webhook("w4", "m1", "r1")))
	if got := byIndex(t, s, "incoming-webhook", "member", "m1/r2"); got != "w2" {
		t.Errorf("webhook of m1 in r2 = %q, want w2", got)
	}
}
