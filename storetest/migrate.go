package storetest

import (
	"context"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
)

// PreIndexResources are resources as a version before the resource
// indexes wrote them: the SQL stores' migration test inserts them into a
// database migrated up to 0005, opens the store (which runs 0006 and its
// backfill) and calls CheckMigratedIndexes. Two numbers claim user u1, as
// old data could; the older one keeps the key.
func PreIndexResources() []*openchime.Resource {
	older := phone("+15550100", "+15550100", "u1")
	newer := phone("+15550101", "+15550101", "u1")
	newer.CreatedAt = base.Add(time.Second)
	return []*openchime.Resource{
		older, newer,
		room("r1", "a", "tok"),
		membership("r1/m1", "r1", "m1"),
		{Kind: "room-token", ID: "a/tok", Scope: "a", CreatedAt: base, Data: []byte(`{"RoomID":"r1"}`)},
		{Kind: "member-room", ID: "m1/r1", Scope: "m1", CreatedAt: base, Data: []byte(`{"RoomID":"r1","AccountID":"a"}`)},
		webhook("w1", "m1", "r1"),
		{Kind: "member-webhook", ID: "m1/r1", Scope: "m1", CreatedAt: base, Data: []byte(`{"WebhookID":"w1"}`)},
	}
}

// CheckMigratedIndexes checks a store opened over PreIndexResources: the
// index entries were derived from them, the legacy kinds are gone, and the
// invariants hold from then on.
func CheckMigratedIndexes(t *testing.T, s openchime.Store) {
	t.Helper()
	if got := byIndex(t, s, "phone-number", "user", "u1"); got != "+15550100" {
		t.Errorf("number of u1 = %q, want the older +15550100", got)
	}
	if got := byIndex(t, s, "phone-number", "e164", "+15550101"); got != "+15550101" {
		t.Errorf("holder of +15550101 = %q", got)
	}
	if got := byIndex(t, s, "room", "token", "a/tok"); got != "r1" {
		t.Errorf("room of a/tok = %q, want r1", got)
	}
	if got := byIndex(t, s, "room-membership", "member", "m1/r1"); got != "r1/m1" {
		t.Errorf("membership of m1 in r1 = %q, want r1/m1", got)
	}
	if got := byIndex(t, s, "incoming-webhook", "member", "m1/r1"); got != "w1" {
		t.Errorf("webhook of m1 in r1 = %q, want w1", got)
	}
	for _, kind := range []string{"room-token", "member-room", "member-webhook"} {
		err := s.View(context.Background(), func(tx openchime.ReadTx) error {
			rs, err := tx.Resources(context.Background(), openchime.ResourceFilter{Kind: kind})
			if err == nil && len(rs) > 0 {
				t.Errorf("%d %s records left after the migration, want none", len(rs), kind)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wantConflict(t, "a second room of a/tok after the migration", put(s, room("r2", "a", "tok")))
}
