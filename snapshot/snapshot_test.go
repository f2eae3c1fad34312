package snapshot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/servicetest"
	"github.com/openchime/openchime/snapshot"
)

// mustRichState loads the example fixture, removes a Team user, deletes an
// account and stores resources of two kinds: every kind of record a snapshot
// must carry.
func mustRichState(tb testing.TB, svc *openchime.Service) {
	tb.Helper()
	ctx := context.Background()
	res := servicetest.MustLoadFixtureFile(tb, svc, "../examples/fixture.json")
	team := res.Accounts[1]
	cctx := openchime.NewContextWithCaller(ctx, openchime.Caller{AwsAccountID: "123456789012"})
	if _, err := svc.BatchSuspendUser(cctx, team.Account.ID, []string{team.Users[0].ID}); err != nil {
		tb.Fatal(err)
	}
	gone, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "Gone", AwsAccountID: "210987654321"})
	if err != nil {
		tb.Fatal(err)
	}
	err = svc.Store.Update(ctx, func(tx openchime.Tx) error {
		gone.DeletedAt = time.Date(2030, 2, 3, 4, 5, 6, 7_000_000, time.UTC)
		if err := tx.PutAccount(ctx, gone); err != nil {
			return err
		}
		for _, r := range []*openchime.Resource{
			{Kind: "bot", ID: "b1", Scope: team.Account.ID, CreatedAt: gone.DeletedAt, Data: []byte(`{"DisplayName":"Bot"}`)},
			{Kind: "room", ID: "r1", Scope: team.Account.ID, CreatedAt: gone.DeletedAt, Data: []byte(`{"Name":"Room"}`)},
		} {
			if err := tx.PutResource(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func mustSnapshotJSON(tb testing.TB, svc *openchime.Service) []byte {
	tb.Helper()
	snap, err := snapshot.Take(context.Background(), svc.Store)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestRestore(t *testing.T) {
	ctx := context.Background()
	t.Run("RoundTrip", func(t *testing.T) {
		src := servicetest.MustService(t)
		mustRichState(t, src)
		saved := mustSnapshotJSON(t, src)

		var snap snapshot.Snapshot
		if err := json.Unmarshal(saved, &snap); err != nil {
			t.Fatal(err)
		}
		// Resources: the two seeded ones plus the audit events of the
		// writes that built the state.
		kinds := map[string]int{}
		for _, r := range snap.Resources {
			kinds[r.Kind]++
		}
		if len(snap.Accounts) != 3 || len(snap.Users) != 6 || len(snap.Resources)-kinds[openchime.AuditKind] != 2 || kinds[openchime.AuditKind] == 0 {
			t.Fatalf("snapshot holds %d accounts, %d users, resources %v; want 3, 6, 2 besides audit events", len(snap.Accounts), len(snap.Users), kinds)
		}
		dst := servicetest.MustService(t)
		if _, err := dst.AdminCreateAccount(ctx, openchime.NewAccount{Name: "replaced"}); err != nil {
			t.Fatal(err)
		}
		if err := snapshot.Restore(ctx, dst.Store, &snap); err != nil {
			t.Fatal(err)
		}
		if got := mustSnapshotJSON(t, dst); !bytes.Equal(got, saved) {
			t.Fatalf("restored state differs:\n%s", cmp.Diff(string(saved), string(got)))
		}
		want, _ := snapshot.Take(ctx, src.Store)
		got, _ := snapshot.Take(ctx, dst.Store)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("restored records differ (-want +got):\n%s", diff)
		}
	})
	t.Run("ErrBadRequestKeepsState", func(t *testing.T) {
		svc := servicetest.MustService(t)
		mustRichState(t, svc)
		before := mustSnapshotJSON(t, svc)
		good := func() *snapshot.Snapshot {
			var s snapshot.Snapshot
			json.Unmarshal(before, &s)
			return &s
		}
		for name, mutate := range map[string]func(s *snapshot.Snapshot){
			"OrphanUser":   func(s *snapshot.Snapshot) { s.Users[0].AccountID = "nope" },
			"DupAccount":   func(s *snapshot.Snapshot) { s.Accounts[1].ID = s.Accounts[0].ID },
			"DupEmail":     func(s *snapshot.Snapshot) { s.Users[1].PrimaryEmail = s.Users[0].PrimaryEmail },
			"BadStatus":    func(s *snapshot.Snapshot) { s.Users[0].RegistrationStatus = "Gone" },
			"NoKind":       func(s *snapshot.Snapshot) { s.Resources[0].Kind = "" },
			"NullAccount":  func(s *snapshot.Snapshot) { s.Accounts[0] = nil },
			"DupResources": func(s *snapshot.Snapshot) { s.Resources[1] = s.Resources[0] },
		} {
			t.Run(name, func(t *testing.T) {
				s := good()
				mutate(s)
				if err := snapshot.Restore(ctx, svc.Store, s); !openchime.IsCode(err, openchime.BadRequest) {
					t.Fatalf("Restore err=%v, want BadRequest", err)
				}
				if got := mustSnapshotJSON(t, svc); !bytes.Equal(got, before) {
					t.Fatalf("a refused restore changed the state")
				}
			})
		}
	})
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// goNames are the Go field names and the zero time of the format before
// FormatVersion: none may appear in what this build writes.
var goNames = regexp.MustCompile(`"(ID|AwsAccountID|AccountID|CreatedAt|DeletedAt|RemovedAt|RegistrationStatus|Version|RequestID)":|0001-01-01T00:00:00Z`)

// TestParse_Legacy loads ../testdata/snapshot-v1.json, a snapshot in
// the format before FormatVersion (Go field names, zero times, as builds
// before it wrote them), and saves it again: the result is the format of
// docs/formats.md, pinned by testdata/snapshot-v2.json (go test -update
// rewrites it). The audit events the old snapshot holds list in the format
// too.
func TestParse_Legacy(t *testing.T) {
	ctx := context.Background()
	old, err := os.ReadFile("../testdata/snapshot-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Parse(old)
	if err != nil {
		t.Fatal(err)
	}
	svc := servicetest.MustService(t)
	if err := snapshot.Restore(ctx, svc.Store, snap); err != nil {
		t.Fatal(err)
	}
	got := append(mustSnapshotJSON(t, svc), '\n')
	if *update {
		os.WriteFile("../testdata/snapshot-v2.json", got, 0o644)
	}
	want, err := os.ReadFile("../testdata/snapshot-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("the old snapshot saved again (-testdata/snapshot-v2.json +got):\n%s", diff)
	}
	if !bytes.HasPrefix(got, []byte("{\n  \"FormatVersion\": 2,")) {
		t.Errorf("the snapshot does not start with FormatVersion 2:\n%.80s", got)
	}
	// The records and the audit events (stored in the old form) are in the
	// format; the other resources' documents hold no such names.
	if m := goNames.FindAll(got, -1); m != nil {
		t.Errorf("the snapshot holds %q", m)
	}
	if !strings.Contains(string(got), `"UserRegistrationStatus": "Suspended"`) || !strings.Contains(string(got), `"DeletedTimestamp": "2030-02-03T04:05:06.007Z"`) {
		t.Errorf("the snapshot lacks the API's names for the old fields:\n%s", got)
	}
	events, _, err := svc.ListAudit(ctx, openchime.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		t.Fatal("the old snapshot's audit events do not list")
	}
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if m := goNames.Find(b); m != nil || !bytes.Contains(b, []byte(`"FormatVersion":2`)) || !bytes.Contains(b, []byte(`"Id":`)) {
			t.Errorf("an old audit event lists as %s, want the format (found %q)", b, m)
		}
	}
}

func TestParse_Versions(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"FormatVersion":3,"Accounts":[]}`, "FormatVersion 3 is not supported"},
		{`{"Version":2,"Accounts":[]}`, "Version 2 is not supported"},
		{`{"Accounts":[]}`, "no FormatVersion"},
		{`{"FormatVersion":2,"Accounts":[{"ID":"a"}]}`, "unknown field"},
		{`{"Version":1,"Accounts":[{"AccountId":"a"}]}`, "unknown field"},
		{`{"FormatVersion":2} {}`, "after"},
	} {
		_, err := snapshot.Parse([]byte(c.in))
		if !openchime.IsCode(err, openchime.BadRequest) || !strings.Contains(openchime.ErrorMessage(err), c.want) {
			t.Errorf("Parse(%s) = %v, want BadRequest with %q", c.in, err, c.want)
		}
	}
}

// TestParse_NullRecords checks that a null account or user survives the
// JSON both ways as nil, which Restore refuses (not a zero record).
func TestParse_NullRecords(t *testing.T) {
	if b, err := json.Marshal(snapshot.Snapshot{Accounts: []*openchime.Account{nil}}); err != nil || !strings.Contains(string(b), `"Accounts":[null]`) {
		t.Fatalf("Marshal of a nil account = %s, %v", b, err)
	}
	for _, in := range []string{`{"FormatVersion":2,"Accounts":[null]}`, `{"FormatVersion":2,"Users":[null]}`} {
		snap, err := snapshot.Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if err := snapshot.Restore(context.Background(), servicetest.MustService(t).Store, snap); !openchime.IsCode(err, openchime.BadRequest) || !strings.Contains(err.Error(), "is null") {
			t.Errorf("restore of %s = %v, want BadRequest ... is null", in, err)
		}
	}
}
