package openchime

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestAuditJSON_MatchesEncodingJSON pins the hand-written encoders to the
// bytes json.Marshal writes, so the audit log reads back the same.
func TestAuditJSON_MatchesEncodingJSON(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	users := []User{
		{},
		{ID: "u1", AccountID: "a1", PrimaryEmail: "pat@example.com", DisplayName: "Pat <Admin> & \"Co\"", LicenseType: Pro,
			UserType: PrivateUser, RegistrationStatus: Suspended, InvitationStatus: InviteAccepted, RegisteredOn: t0,
			InvitedOn: t0.Add(-time.Hour), PersonalPIN: "redacted", AlexaForBusiness: AlexaForBusiness{Enabled: true, RoomArn: "arn:x"},
			ProvisionedNumber: "+12065550100", CreatedAt: t0, RemovedAt: t0.Add(time.Minute), LastLogoutAt: t0.In(time.FixedZone("x", 3600)),
			Settings: UserSettings{InboundCalling: true, SMS: true}},
		{ID: "é\u2028\x01\\/", DisplayName: "\xff invalid", CreatedAt: time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.UTC)},
	}
	for i := range users {
		want, _ := json.Marshal(users[i])
		if got := appendUserJSON(nil, &users[i]); string(got) != string(want) {
			t.Errorf("user %d:\n got %s\nwant %s", i, got, want)
		}
	}
	events := []AuditEvent{
		{ID: "e1", Time: t0, AwsAccountID: "123456789012", Operation: "CreateAccount"},
		{ID: "e2", Time: t0, RequestID: "r", AwsAccountID: "1", AccessKeyID: "k", Operation: "BatchSuspendUser", AccountID: "a",
			UserIDs: []string{"u1", "u2"}, ChangesOmitted: 3,
			Changes: []AuditChange{UserChange(&users[0], &users[1]), UserChange(nil, &users[2]), AccountChange(&Account{ID: "a", Name: "n"}, nil)}},
		{ID: "e3", Time: t0, Operation: "X", Changes: []AuditChange{}},
	}
	for i := range events {
		want, _ := json.Marshal(events[i])
		if got := events[i].appendJSON(nil); string(got) != string(want) {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func TestUserChange_UpdateRecordsChangedFields(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	before := User{ID: "u1", AccountID: "a", PrimaryEmail: "p@example.com", RegistrationStatus: Suspended, PersonalPIN: "0123456789",
		CreatedAt: t0, Settings: DefaultUserSettings}
	after := before
	after.RegistrationStatus, after.RegisteredOn = Registered, t0.Add(time.Hour)
	c := UserChange(&before, &after)
	var b, a map[string]any
	if err := json.Unmarshal(c.Before, &b); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(c.After, &a); err != nil {
		t.Fatal(err)
	}
	if c.ID != "u1" || len(b) != 2 || len(a) != 2 || b["RegistrationStatus"] != "Suspended" || a["RegistrationStatus"] != "Registered" ||
		b["RegisteredOn"] != "0001-01-01T00:00:00Z" || a["RegisteredOn"] != "2030-01-02T04:04:05Z" {
		t.Fatalf("change = %s → %s, want only the status and registration time", c.Before, c.After)
	}
	after.PersonalPIN = "9876543210"
	c = UserChange(&before, &after)
	if bytes.Contains(c.Before, []byte("0123456789")) || bytes.Contains(c.After, []byte("9876543210")) {
		t.Fatalf("a PIN reached the audit log: %s → %s", c.Before, c.After)
	}
	var ua User
	if json.Unmarshal(UserChange(nil, &after).After, &ua); ua.PrimaryEmail != "p@example.com" || ua.PersonalPIN != "redacted" {
		t.Fatalf("creation state = %+v, want the whole user, PIN redacted", ua)
	}
}

// TestAppendUserChange_IsUserChange checks that changes built into shared
// buffers equal UserChange's, and that a later change leaves an earlier one
// alone.
func TestAppendUserChange_IsUserChange(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	pairs := [][2]User{
		{{ID: "u1", RegistrationStatus: Suspended}, {ID: "u1", RegistrationStatus: Registered, RegisteredOn: t0}},
		{{ID: "u2", DisplayName: "a"}, {ID: "u2", DisplayName: "b \"c\"", PersonalPIN: "1234"}},
		{{ID: "u3"}, {ID: "u3"}},
	}
	var bb, ab []byte
	var got []AuditChange
	for i := range pairs {
		var c AuditChange
		bb, ab, c = appendUserChange(bb, ab, &pairs[i][0], &pairs[i][1])
		got = append(got, c)
	}
	for i := range pairs {
		want := UserChange(&pairs[i][0], &pairs[i][1])
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want)
		}
	}
}
