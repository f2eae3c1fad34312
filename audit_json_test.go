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
		want, _ := json.Marshal(ToUserRecord(&users[i]))
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
		want, _ := json.Marshal(toAuditEventRecord(&events[i]))
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
	if c.ID != "u1" || len(b) != 2 || len(a) != 2 || b["UserRegistrationStatus"] != "Suspended" || a["UserRegistrationStatus"] != "Registered" ||
		b["RegisteredOn"] != nil || a["RegisteredOn"] != "2030-01-02T04:04:05Z" {
		t.Fatalf("change = %s → %s, want only the status and registration time", c.Before, c.After)
	}
	after.PersonalPIN = "9876543210"
	c = UserChange(&before, &after)
	if bytes.Contains(c.Before, []byte("0123456789")) || bytes.Contains(c.After, []byte("9876543210")) {
		t.Fatalf("a PIN reached the audit log: %s → %s", c.Before, c.After)
	}
	var ua UserRecord
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

// TestParseAuditEvent_Legacy reads events as builds before FormatVersion
// stored them (Go field names, zero times) and checks they come back in the
// format: whole states re-encoded, an update's fields renamed.
func TestParseAuditEvent_Legacy(t *testing.T) {
	old := `{"ID":"e1","Time":"2030-01-02T03:04:05Z","RequestID":"r1","AwsAccountID":"123456789012","AccessKeyID":"k","Operation":"X","AccountID":"a1","UserIDs":["u1","u2"],"Changes":[` +
		`{"Kind":"user","ID":"u1","After":{"ID":"u1","AccountID":"a1","PrimaryEmail":"p@example.com","DisplayName":"","LicenseType":"Pro","UserType":"PrivateUser","RegistrationStatus":"Registered","InvitationStatus":"","RegisteredOn":"0001-01-01T00:00:00Z","InvitedOn":"0001-01-01T00:00:00Z","PersonalPIN":"redacted","AlexaForBusiness":{"Enabled":false,"RoomArn":""},"ProvisionedNumber":"","CreatedAt":"2030-01-02T03:04:05Z","RemovedAt":"0001-01-01T00:00:00Z","LastLogoutAt":"0001-01-01T00:00:00Z","Settings":{"InboundCalling":true,"OutboundCalling":true,"SMS":false}}},` +
		`{"Kind":"user","ID":"u2","Before":{"RegistrationStatus":"Suspended","RegisteredOn":"0001-01-01T00:00:00Z","AlexaForBusiness":{"Enabled":false},"Settings":{"SMS":true}},"After":{"RegistrationStatus":"Registered","RegisteredOn":"2030-01-02T03:04:05Z","AlexaForBusiness":{"Enabled":true},"Settings":{"SMS":false}}},` +
		`{"Kind":"account","ID":"a1","Before":{"ID":"a1","AwsAccountID":"123456789012","Name":"n","Type":"Team","Status":"Active","DefaultLicense":"Pro","SupportedLicenses":["Basic","Pro"],"SigninDelegateGroups":[],"ClaimedDomains":null,"CreatedAt":"2030-01-02T03:04:05Z","DeletedAt":"0001-01-01T00:00:00Z","Settings":{"DisableRemoteControl":false,"EnableDialOut":false}}}]}`
	e, err := ParseAuditEvent([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(e)
	want := `{"FormatVersion":2,"EventId":"e1","Time":"2030-01-02T03:04:05Z","RequestId":"r1","AwsAccountId":"123456789012","AccessKeyId":"k","Operation":"X","AccountId":"a1","UserIds":["u1","u2"],"Changes":[` +
		`{"Kind":"user","Id":"u1","After":{"UserId":"u1","AccountId":"a1","PrimaryEmail":"p@example.com","LicenseType":"Pro","UserType":"PrivateUser","UserRegistrationStatus":"Registered","PersonalPIN":"redacted","CreatedTimestamp":"2030-01-02T03:04:05Z","UserSettings":{"Telephony":{"InboundCalling":true,"OutboundCalling":true,"SMS":false}}}},` +
		`{"Kind":"user","Id":"u2","Before":{"AlexaForBusinessMetadata":{"IsAlexaForBusinessEnabled":false},"RegisteredOn":null,"UserRegistrationStatus":"Suspended","UserSettings":{"Telephony":{"SMS":true}}},"After":{"AlexaForBusinessMetadata":{"IsAlexaForBusinessEnabled":true},"RegisteredOn":"2030-01-02T03:04:05Z","UserRegistrationStatus":"Registered","UserSettings":{"Telephony":{"SMS":false}}}},` +
		`{"Kind":"account","Id":"a1","Before":{"AccountId":"a1","AwsAccountId":"123456789012","Name":"n","AccountType":"Team","AccountStatus":"Active","DefaultLicense":"Pro","SupportedLicenses":["Basic","Pro"],"CreatedTimestamp":"2030-01-02T03:04:05Z","AccountSettings":{"DisableRemoteControl":false,"EnableDialOut":false}}}]}`
	if string(got) != want {
		t.Errorf("legacy event reads as\n%s\nwant\n%s", got, want)
	}
	// An event in the format reads back to the same bytes.
	again, err := ParseAuditEvent(got)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(again); string(b) != want {
		t.Errorf("event in the format reads back as\n%s\nwant\n%s", b, want)
	}
}
