package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
)

// TestControlPlane_ConfigCollab checks that the collaboration settings of
// PUT /_openchime/config are the limits and the grace period the API
// applies, that bad values are refused with a message naming the field,
// and that a reset returns them to the defaults.
func TestControlPlane_ConfigCollab(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	cfg := e.cp("PUT", "/_openchime/config", map[string]any{"RoomsPerAccount": 1, "BotsPerAccount": 1, "RetentionGrace": "1h"}, 200)
	if cfg["RoomsPerAccount"] != 1.0 || cfg["BotsPerAccount"] != 1.0 || cfg["RetentionGrace"] != "1h0m0s" || cfg["MembersPerRoom"] != 1000.0 {
		t.Fatalf("PUT answered %v", cfg)
	}
	acct := e.MustEnterprise()
	e.MustRoom(acct, "1")
	_, err := e.client.CreateRoom(ctx, &awschime.CreateRoomInput{AccountId: &acct, Name: aws.String("2")})
	wantCollabException[*types.ResourceLimitExceededException](t, err, types.ErrorCodeResourceLimitExceeded)
	e.MustBot(acct, "one", false)
	_, err = e.client.CreateBot(ctx, &awschime.CreateBotInput{AccountId: &acct, DisplayName: aws.String("two"), Domain: aws.String("example.com")})
	wantCollabException[*types.ResourceLimitExceededException](t, err, types.ErrorCodeResourceLimitExceeded)

	putAt := e.clock.Now()
	if _, err := e.client.PutRetentionSettings(ctx, &awschime.PutRetentionSettingsInput{AccountId: &acct, RetentionSettings: &types.RetentionSettings{
		RoomRetentionSettings: &types.RoomRetentionSettings{RetentionDays: aws.Int32(30)},
	}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.client.GetRetentionSettings(ctx, &awschime.GetRetentionSettingsInput{AccountId: &acct})
	if err != nil {
		t.Fatal(err)
	}
	if want := putAt.Add(time.Hour); !out.InitiateDeletionTimestamp.Equal(want) {
		t.Errorf("InitiateDeletionTimestamp=%v, want %v (RetentionGrace 1h)", out.InitiateDeletionTimestamp, want)
	}

	// Members per room and rooms per member: a second membership is refused.
	e.cp("PUT", "/_openchime/config", map[string]any{"MembersPerRoom": 1, "RoomsPerAccount": 0}, 200)
	room := e.MustRoom(acct, "2")
	for _, email := range []string{"a@example.com", "b@example.com"} {
		id := e.MustUser(acct, email)
		_, err = e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: &id})
	}
	wantCollabException[*types.ResourceLimitExceededException](t, err, types.ErrorCodeResourceLimitExceeded)

	for _, bad := range []struct{ body, message string }{
		{`{"BotsPerAccount":-1}`, "BotsPerAccount must be a positive integer"},
		{`{"WebhooksPerRoom":-3}`, "WebhooksPerRoom must be a positive integer"},
		{`{"RoomsPerMember":"x"}`, "RoomsPerMember"},
		{`{"RetentionGrace":"soon"}`, `RetentionGrace must be a non-negative duration string such as \"720h\"`},
		{`{"RetentionGrace":"-1h"}`, "RetentionGrace must be a non-negative duration"},
		{`{"RetentionGrace":720}`, "RetentionGrace must be a non-negative duration"},
	} {
		req, _ := http.NewRequest("PUT", e.url+"/_openchime/config", strings.NewReader(bad.body))
		got := doRaw(t, req)
		if got.status != 400 || got.errorType != "BadRequestException" || !strings.Contains(got.body, bad.message) {
			t.Errorf("PUT %s: %d %s %s, want 400 with %q", bad.body, got.status, got.errorType, got.body, bad.message)
		}
	}
	if cfg := e.cp("GET", "/_openchime/config", nil, 200); cfg["MembersPerRoom"] != 1.0 || cfg["BotsPerAccount"] != 1.0 || cfg["RoomsPerAccount"] != 1500.0 {
		t.Fatalf("GET after bad PUTs: %v", cfg)
	}
	e.cp("POST", "/_openchime/reset", nil, 204)
	if cfg := e.cp("GET", "/_openchime/config", nil, 200); cfg["MembersPerRoom"] != 1000.0 || cfg["BotsPerAccount"] != 10.0 || cfg["RetentionGrace"] != "720h0m0s" {
		t.Fatalf("GET after reset: %v", cfg)
	}
}

func doRaw(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return rawResponse{resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), resp.Header.Get("x-amzn-RequestId"), string(raw), resp.Header}
}
