package httpapi_test

import (
	"strings"
	"testing"
)

// TestControlPlane_Config pins the contract of GET and PUT /_openchime/config:
// the JSON fields, the merge of a PUT into the current configuration, and
// the answers to bad input.
func TestControlPlane_Config(t *testing.T) {
	ts, _, _ := newPhoneServer(t)
	const defaults = `{"PhoneNumberOrderDelay":"0s","CallingNameUpdateDelay":"0s","DeletionQueueRetention":"0s","CallingNameCooldown":"0s","MaxPhoneNumbers":0,"MaxDialOutsPerMeeting":0,"StrictMeetings":false}`
	if got := rawRequest(t, ts, "GET", "/_openchime/config", ""); got.status != 200 || strings.TrimSpace(got.body) != defaults {
		t.Fatalf("GET defaults: %d %s", got.status, got.body)
	}
	if got := rawRequest(t, ts, "PUT", "/_openchime/config", `{"MaxDialOutsPerMeeting":3}`); got.status != 200 {
		t.Fatalf("PUT: %d %s", got.status, got.body)
	}
	const merged = `{"PhoneNumberOrderDelay":"10s","CallingNameUpdateDelay":"0s","DeletionQueueRetention":"0s","CallingNameCooldown":"0s","MaxPhoneNumbers":0,"MaxDialOutsPerMeeting":3,"StrictMeetings":true,"SupportedCountries":{"VoiceConnector":[{"Country":"US","Types":["Local"]}]}}`
	got := rawRequest(t, ts, "PUT", "/_openchime/config", `{"PhoneNumberOrderDelay":"10s","StrictMeetings":true,"SupportedCountries":{"VoiceConnector":[{"Country":"US","Types":["Local"]}]}}`)
	if got.status != 200 || strings.TrimSpace(got.body) != merged {
		t.Fatalf("PUT merges: %d %s", got.status, got.body)
	}
	if got := rawRequest(t, ts, "PUT", "/_openchime/config", ``); got.status != 200 || strings.TrimSpace(got.body) != merged {
		t.Fatalf("PUT of an empty body: %d %s", got.status, got.body)
	}
	for _, bad := range []struct{ body, message string }{
		{`{"MaxPhoneNumbers":-1}`, "Limits must not be negative."},
		{`{"MaxDialOutsPerMeeting":-1}`, "Limits must not be negative."},
		{`{"PhoneNumberOrderDelay":"soon"}`, `duration \"soon\"`},
		{`{"PhoneNumberOrderDelay":"-1s"}`, `duration \"-1s\"`},
		{`{"Nope":1}`, `unknown field \"Nope\"`},
		{`{"MaxPhoneNumbers":`, "Invalid JSON"},
	} {
		got := rawRequest(t, ts, "PUT", "/_openchime/config", bad.body)
		if got.status != 400 || got.errorType != "BadRequestException" || !strings.Contains(got.body, bad.message) {
			t.Errorf("PUT %s: %d %s %s, want 400 with %q", bad.body, got.status, got.errorType, got.body, bad.message)
		}
	}
	if got := rawRequest(t, ts, "GET", "/_openchime/config", ""); got.status != 200 || strings.TrimSpace(got.body) != merged {
		t.Fatalf("GET after bad PUTs: %d %s", got.status, got.body)
	}
}
