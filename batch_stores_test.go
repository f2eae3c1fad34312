package openchime_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/postgres/postgrestest"
	"github.com/openchime/openchime/sqlite"
)

// batchOutcome is everything a run of batchScenario answers and leaves.
type batchOutcome struct {
	MemberErrs              []openchime.MemberError
	Members                 []*openchime.RoomMembership
	UpdateErrs, DeleteErrs  []openchime.PhoneNumberError
	NumbersAfter            []*openchime.PhoneNumber
	AuditOps, AuditAccounts []string
}

// batchScenario runs room-membership and phone-number batches whose items
// take every branch (found, missing, repeated, refused by a rule, over a
// limit) on a Service with fixed clock and ids.
func batchScenario(t *testing.T, store openchime.Store) batchOutcome {
	ctx := context.Background()
	svc := openchime.NewService(store)
	svc.IDs = openchime.NewSeededIDs(7)
	clock := &openchime.ControlClock{}
	clock.Set(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	clock.Freeze()
	svc.Clock = clock
	svc.Collab.MembersPerRoom = 4
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "e", Type: openchime.EnterpriseLWA})
	must(err)
	users, err := svc.AdminCreateUsers(ctx, a.ID, []openchime.NewUser{{PrimaryEmail: "u1@example.com"}, {PrimaryEmail: "u2@example.com"}, {PrimaryEmail: "u3@example.com"}})
	must(err)
	u1, u2, u3 := users[0].ID, users[1].ID, users[2].ID
	bot := func(name string, config, disabled bool) string {
		b, err := svc.CreateBot(ctx, a.ID, name, "example.com")
		must(err)
		if config {
			_, err = svc.PutEventsConfiguration(ctx, a.ID, b.ID, openchime.EventsConfiguration{OutboundEventsHTTPSEndpoint: "https://example.com/e"})
			must(err)
		}
		if disabled {
			_, err = svc.UpdateBot(ctx, a.ID, b.ID, &disabled)
			must(err)
		}
		return b.ID
	}
	ok, bare, off := bot("ok", true, false), bot("bare", false, false), bot("off", true, true)
	room, err := svc.CreateRoom(ctx, a.ID, "room", "")
	must(err)
	_, err = svc.CreateRoomMembership(ctx, a.ID, room.ID, u2, "")
	must(err)

	var out batchOutcome
	out.MemberErrs, err = svc.BatchCreateRoomMembership(ctx, a.ID, room.ID, []openchime.MembershipItem{
		{MemberID: u1, Role: openchime.RoleAdministrator}, {MemberID: "ghost"}, {MemberID: u1}, {MemberID: bare},
		{MemberID: u2}, {MemberID: ok, Role: openchime.RoleAdministrator}, {MemberID: ok}, {MemberID: off}, // ok once (D24)
		{MemberID: u3, Role: "Owner"}, {MemberID: u3}, {MemberID: bot("late1", true, false)}, {MemberID: bot("late2", true, false)},
		{MemberID: bot("late3", true, false)},
	})
	must(err)
	out.Members, _, err = svc.ListRoomMemberships(ctx, a.ID, room.ID, openchime.Page{})
	must(err)

	for _, n := range []openchime.SeedPhoneNumber{
		{E164PhoneNumber: "+13125550101"}, {E164PhoneNumber: "+13125550102"}, {E164PhoneNumber: "+13125550103"},
		{E164PhoneNumber: "+13125550104"}, {E164PhoneNumber: "+13125550105"},
		{E164PhoneNumber: "+13125550106", Status: openchime.PhoneAcquireFailed},
		{E164PhoneNumber: "+13125550107", AwsAccountId: "999999999999"},
	} {
		_, err := svc.AdminSeedPhoneNumber(ctx, n)
		must(err)
	}
	must(svc.AssociatePhoneNumberWithUser(ctx, a.ID, u1, "+13125550105"))
	name := func(s string) *string { return &s }
	out.UpdateErrs, err = svc.BatchUpdatePhoneNumber(ctx, []openchime.PhoneNumberUpdate{
		{ID: "+13125550101", ProductType: openchime.VoiceConnector}, {ID: "+13125550101", CallingName: name("First")},
		{ID: "+13125550102", ProductType: openchime.VoiceConnector, CallingName: name("Both")},
		{ID: "+13125550105", ProductType: openchime.VoiceConnector}, {ID: "not a number", CallingName: name("x")},
		{ID: "+13125550107", CallingName: name("Other")}, {ID: "+13125550103", CallingName: name("Once")},
		{ID: "13125550103", CallingName: name("Twice")}, {ID: "+13125550199", CallingName: name("Nobody")},
	})
	must(err)
	out.DeleteErrs, err = svc.BatchDeletePhoneNumber(ctx, []string{"+13125550101", "+13125550105", "+13125550106",
		"+13125550104", "+13125550104", "bogus", "+13125550107", "+13125550101"})
	must(err)
	out.NumbersAfter, _, err = svc.ListPhoneNumbers(ctx, openchime.ListPhoneNumbersInput{})
	must(err)
	events, _, err := svc.ListAudit(ctx, openchime.AuditFilter{})
	must(err)
	for _, e := range events {
		out.AuditOps, out.AuditAccounts = append(out.AuditOps, e.Operation), append(out.AuditAccounts, e.AccountID)
	}
	return out
}

// TestBatches_SameOnEveryStore runs batchScenario on SQLite, which reads
// one record at a time, and on PostgreSQL (when OPENCHIME_TEST_POSTGRES_URL
// is set), which prefetches a batch's records and holds its writes back:
// the answers, messages included, and what is left are the same.
func TestBatches_SameOnEveryStore(t *testing.T) {
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	want := batchScenario(t, lite)
	if len(want.MemberErrs) < 7 || len(want.UpdateErrs) < 5 || len(want.DeleteErrs) < 3 {
		t.Fatalf("the scenario takes too few branches: %+v", want)
	}
	if !postgrestest.Enabled() {
		t.Skip(postgrestest.EnvURL + " is unset: nothing to compare SQLite with")
	}
	got := batchScenario(t, postgrestest.MustOpen(t))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("postgres differs from sqlite (-sqlite +postgres):\n%s", diff)
	}
}
