package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestControlPlane_Config pins the contract of GET and PUT /_openchime/config:
// the JSON fields, the merge of a PUT into the current configuration, and
// the answers to bad input.
func TestControlPlane_Config(t *testing.T) {
	ts, _, _ := newPhoneServer(t)
	const defaults = `{"PhoneNumberOrderDelay":"0s","CallingNameUpdateDelay":"0s","DeletionQueueRetention":"0s","CallingNameCooldown":"0s","MaxPhoneNumbers":0,"MaxDialOutsPerMeeting":0,"StrictMeetings":false,"BotsPerAccount":10,"RoomsPerAccount":1500,"MembersPerRoom":1000,"RoomsPerMember":1000,"WebhooksPerRoom":10,"RetentionGrace":"720h0m0s"}`
	if got := rawRequest(t, ts, "GET", "/_openchime/config", ""); got.status != 200 || strings.TrimSpace(got.body) != defaults {
		t.Fatalf("GET defaults: %d %s", got.status, got.body)
	}
	if got := rawRequest(t, ts, "PUT", "/_openchime/config", `{"MaxDialOutsPerMeeting":3}`); got.status != 200 {
		t.Fatalf("PUT: %d %s", got.status, got.body)
	}
	const merged = `{"PhoneNumberOrderDelay":"10s","CallingNameUpdateDelay":"0s","DeletionQueueRetention":"0s","CallingNameCooldown":"0s","MaxPhoneNumbers":0,"MaxDialOutsPerMeeting":3,"StrictMeetings":true,"SupportedCountries":{"VoiceConnector":[{"Country":"US","Types":["Local"]}]},"BotsPerAccount":10,"RoomsPerAccount":1500,"MembersPerRoom":1000,"RoomsPerMember":1000,"WebhooksPerRoom":10,"RetentionGrace":"720h0m0s"}`
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
		// Refused after the body decoded into the configuration: nothing
		// of it may stay, not even in the SupportedCountries map.
		{`{"SupportedCountries":{"BusinessCalling":[]},"MaxPhoneNumbers":-1}`, "Limits must not be negative."},
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

// TestControlPlane_ConfigConcurrentPuts checks that concurrent PUTs of
// different fields all land: each merges into the configuration as it
// stands when its own transaction runs.
func TestControlPlane_ConfigConcurrentPuts(t *testing.T) {
	ts, _, _ := newPhoneServer(t)
	for round := 1; round <= 5; round++ {
		bodies := []string{
			fmt.Sprintf(`{"PhoneNumberOrderDelay":"%ds"}`, round),
			fmt.Sprintf(`{"CallingNameUpdateDelay":"%ds"}`, round),
			fmt.Sprintf(`{"DeletionQueueRetention":"%ds"}`, round),
			fmt.Sprintf(`{"CallingNameCooldown":"%ds"}`, round),
			fmt.Sprintf(`{"MaxPhoneNumbers":%d}`, round),
			fmt.Sprintf(`{"MaxDialOutsPerMeeting":%d}`, round),
			fmt.Sprintf(`{"StrictMeetings":%v}`, round%2 == 1),
			fmt.Sprintf(`{"SupportedCountries":{"VoiceConnector":[{"Country":"US","Types":["%d"]}]}}`, round),
			fmt.Sprintf(`{"BotsPerAccount":%d}`, round),
			fmt.Sprintf(`{"RoomsPerAccount":%d}`, round),
			fmt.Sprintf(`{"MembersPerRoom":%d}`, round),
			fmt.Sprintf(`{"RoomsPerMember":%d}`, round),
			fmt.Sprintf(`{"WebhooksPerRoom":%d}`, round),
			fmt.Sprintf(`{"RetentionGrace":"%dh0m0s"}`, round),
		}
		var wg sync.WaitGroup
		for _, body := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if got := rawRequest(t, ts, "PUT", "/_openchime/config", body); got.status != 200 {
					t.Errorf("PUT %s: %d %s", body, got.status, got.body)
				}
			}()
		}
		wg.Wait()
		want := map[string]any{}
		for _, body := range bodies {
			if err := json.Unmarshal([]byte(body), &want); err != nil {
				t.Fatal(err)
			}
		}
		got := rawRequest(t, ts, "GET", "/_openchime/config", "")
		var have map[string]any
		if err := json.Unmarshal([]byte(got.body), &have); err != nil {
			t.Fatalf("GET: %d %s", got.status, got.body)
		}
		if fmt.Sprint(have) != fmt.Sprint(want) {
			t.Fatalf("round %d: a PUT was lost:\n got %v\nwant %v", round, have, want)
		}
	}
}

// TestControlPlane_ConfigSnapshotReset checks that the configuration
// travels in GET/PUT /_openchime/snapshot and that POST /_openchime/reset
// returns it to the defaults.
func TestControlPlane_ConfigSnapshotReset(t *testing.T) {
	ts, _, _ := newPhoneServer(t)
	set := rawRequest(t, ts, "PUT", "/_openchime/config", `{"MaxDialOutsPerMeeting":4,"CallingNameCooldown":"1h0m0s"}`)
	if set.status != 200 {
		t.Fatalf("PUT config: %d %s", set.status, set.body)
	}
	snap := rawRequest(t, ts, "GET", "/_openchime/snapshot", "")
	if snap.status != 200 || !strings.Contains(snap.body, `"Kind": "config"`) {
		t.Fatalf("snapshot: %d %s", snap.status, snap.body)
	}
	if got := rawRequest(t, ts, "POST", "/_openchime/reset", ""); got.status/100 != 2 {
		t.Fatalf("reset: %d %s", got.status, got.body)
	}
	if got := rawRequest(t, ts, "GET", "/_openchime/config", ""); !strings.Contains(got.body, `"MaxDialOutsPerMeeting":0`) {
		t.Fatalf("config after reset: %d %s", got.status, got.body)
	}
	if got := rawRequest(t, ts, "PUT", "/_openchime/snapshot", snap.body); got.status/100 != 2 {
		t.Fatalf("restore: %d %s\n%s", got.status, got.body, snap.body)
	}
	if got := rawRequest(t, ts, "GET", "/_openchime/config", ""); got.body != set.body {
		t.Fatalf("config after restore: %d %s, want %s", got.status, got.body, set.body)
	}
}
