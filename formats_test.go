package openchime_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/storetest"
)

// TestRecords_KeepEveryField fills every field of an Account and a User by
// reflection and sends them through the format both ways (the records
// audit events and snapshot files hold), and through the audit log's
// hand-written user encoder: a field added to the domain struct fails here
// until formats.go and audit_json.go carry it.
func TestRecords_KeepEveryField(t *testing.T) {
	var a openchime.Account
	storetest.Fill(&a)
	ab, err := json.Marshal(openchime.ToAccountRecord(&a))
	if err != nil {
		t.Fatal(err)
	}
	var ar openchime.AccountRecord
	if err := json.Unmarshal(ab, &ar); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&a, ar.Account()); diff != "" {
		t.Errorf("an account through the format (-want +got):\n%s", diff)
	}

	var u openchime.User
	storetest.Fill(&u)
	ub, err := json.Marshal(openchime.ToUserRecord(&u))
	if err != nil {
		t.Fatal(err)
	}
	var ur openchime.UserRecord
	if err := json.Unmarshal(ub, &ur); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&u, ur.User()); diff != "" {
		t.Errorf("a user through the format (-want +got):\n%s", diff)
	}
	// The audit log keeps a created user's whole state, its PIN redacted.
	redacted := u
	redacted.PersonalPIN = "redacted"
	want, _ := json.Marshal(openchime.ToUserRecord(&redacted))
	if got := openchime.UserChange(nil, &u).After; string(got) != string(want) {
		t.Errorf("the audit log's user encoder:\n got %s\nwant %s", got, want)
	}
}
