package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/internal/nostore"
)

// lookupEvents sends CloudTrail's LookupEvents with body, signed by key for
// service (skipped when key is ""), and returns the status and the decoded
// answer.
func lookupEvents(t *testing.T, url, key, secret, token, service, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents")
	if token != "" {
		req.Header.Set("X-Amz-Security-Token", token)
	}
	if key != "" {
		sum := sha256.Sum256([]byte(body))
		err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token},
			req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type=%q, want application/x-amz-json-1.1", ct)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("LookupEvents answer %q: %v", b, err)
	}
	return resp.StatusCode, out
}

// trailEvents returns the CloudTrail records of a LookupEvents answer.
func trailEvents(t *testing.T, out map[string]any) []map[string]any {
	t.Helper()
	var recs []map[string]any
	list, _ := out["Events"].([]any)
	for _, e := range list {
		var rec map[string]any
		if err := json.Unmarshal([]byte(e.(map[string]any)["CloudTrailEvent"].(string)), &rec); err != nil {
			t.Fatalf("CloudTrailEvent: %v", err)
		}
		recs = append(recs, rec)
	}
	return recs
}

func TestServer_CloudTrail(t *testing.T) {
	srv, svc := MustSigV4Server(t, nil)
	ctx := context.Background()
	a := MustClient(t, srv.URL, "AKIDTENANTA", "secret-a", "")
	acct, err := a.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("acme")})
	if err != nil {
		t.Fatal(err)
	}
	id := acct.Account.AccountId
	if _, err := a.ListUsers(ctx, &awschime.ListUsersInput{AccountId: id, MaxResults: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	_, err = a.GetUser(ctx, &awschime.GetUserInput{AccountId: id, UserId: aws.String("no-such-user")})
	wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	ro := MustClient(t, srv.URL, "AKIDREADONLY", "secret-r", "")
	_, err = ro.ListUsers(ctx, &awschime.ListUsersInput{AccountId: id})
	if _, code, _ := apiErr(err); code != "AccessDeniedException" {
		t.Fatalf("ListUsers with a key that may not: %v, want AccessDeniedException", err)
	}
	b := MustClient(t, srv.URL, "AKIDTENANTB", "secret-b", "")
	if _, err := b.ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
		t.Fatal(err)
	}

	t.Run("EveryCallOfTheAccount", func(t *testing.T) {
		status, out := lookupEvents(t, srv.URL, "AKIDTENANTA", "secret-a", "", "cloudtrail", `{}`)
		if status != http.StatusOK {
			t.Fatalf("status %d: %v", status, out)
		}
		recs := trailEvents(t, out)
		var names []string
		for _, r := range recs {
			names = append(names, r["eventName"].(string))
		}
		// Newest first; the denied call is the account's too (AKIDREADONLY
		// acts for 111111111111).
		if got, want := strings.Join(names, ","), "ListUsers,GetUser,ListUsers,CreateAccount"; got != want {
			t.Fatalf("events=%s, want %s", got, want)
		}
		denied, missing, list, create := recs[0], recs[1], recs[2], recs[3]
		if denied["errorCode"] != "AccessDeniedException" || !strings.Contains(denied["errorMessage"].(string), "chime:ListUsers") {
			t.Errorf("denied call: errorCode=%v errorMessage=%v, want AccessDeniedException", denied["errorCode"], denied["errorMessage"])
		}
		if missing["errorCode"] != "NotFoundException" || missing["errorMessage"] == nil || missing["responseElements"] != nil {
			t.Errorf("failed call: errorCode=%v errorMessage=%v responseElements=%v", missing["errorCode"], missing["errorMessage"], missing["responseElements"])
		}
		if p := list["requestParameters"].(map[string]any); p["accountId"] != *id || p["maxResults"] != 5.0 || list["readOnly"] != true || list["responseElements"] != nil {
			t.Errorf("ListUsers: requestParameters=%v readOnly=%v responseElements=%v", p, list["readOnly"], list["responseElements"])
		}
		if create["readOnly"] != false || create["requestParameters"].(map[string]any)["name"] != "acme" {
			t.Errorf("CreateAccount: readOnly=%v requestParameters=%v", create["readOnly"], create["requestParameters"])
		}
		if acc := create["responseElements"].(map[string]any)["account"].(map[string]any); acc["accountId"] != *id {
			t.Errorf("CreateAccount responseElements.account=%v, want accountId %s", acc, *id)
		}
		uid := create["userIdentity"].(map[string]any)
		if uid["type"] != "IAMUser" || uid["accountId"] != "111111111111" || uid["accessKeyId"] != "AKIDTENANTA" || uid["arn"] == "" || uid["principalId"] == "" {
			t.Errorf("userIdentity=%v", uid)
		}
		for k, v := range map[string]any{"eventSource": "chime.amazonaws.com", "awsRegion": "us-east-1", "sourceIPAddress": "127.0.0.1",
			"eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "111111111111", "eventCategory": "Management"} {
			if create[k] != v {
				t.Errorf("%s=%v, want %v", k, create[k], v)
			}
		}
		if ua, _ := create["userAgent"].(string); !strings.Contains(ua, "aws-sdk-go-v2") {
			t.Errorf("userAgent=%q, want the SDK's", ua)
		}
		// The audit event of the change carries the record's request id.
		evs, _, err := svc.ListAudit(ctx, openchime.AuditFilter{RequestID: create["requestID"].(string)})
		if err != nil || len(evs) != 1 || evs[0].Operation != "CreateAccount" {
			t.Errorf("audit events of request %v: %v %v, want the CreateAccount", create["requestID"], evs, err)
		}
	})
	t.Run("OtherTenantSeesNone", func(t *testing.T) {
		_, out := lookupEvents(t, srv.URL, "AKIDTENANTB", "secret-b", "", "cloudtrail", `{}`)
		recs := trailEvents(t, out)
		if len(recs) != 1 || recs[0]["eventName"] != "ListAccounts" || recs[0]["recipientAccountId"] != "222222222222" {
			t.Errorf("tenant B's events=%v, want only its ListAccounts", recs)
		}
	})
	t.Run("AssumedRole", func(t *testing.T) {
		s := MustClient(t, srv.URL, "AKIDSESSION", "secret-s", "tok-s")
		if _, err := s.ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
			t.Fatal(err)
		}
		_, out := lookupEvents(t, srv.URL, "AKIDSESSION", "secret-s", "tok-s", "cloudtrail", `{}`)
		recs := trailEvents(t, out)
		if len(recs) != 1 || recs[0]["userIdentity"].(map[string]any)["type"] != "AssumedRole" {
			t.Errorf("session key's events=%v, want one AssumedRole call", recs)
		}
	})
	t.Run("AllowedOperations", func(t *testing.T) {
		status, out := lookupEvents(t, srv.URL, "AKIDREADONLY", "secret-r", "", "cloudtrail", `{}`)
		if status != http.StatusForbidden || out["__type"] != "AccessDeniedException" || !strings.Contains(out["message"].(string), "cloudtrail:LookupEvents") {
			t.Errorf("LookupEvents by a key not allowed it: %d %v, want 403 AccessDeniedException", status, out)
		}
		creds, err := httpapi.ParseCredentials(strings.NewReader(`{"Credentials":[{"AccessKeyId":"K","SecretAccessKey":"S","AwsAccountId":"111111111111","AllowedOperations":["LookupEvents"]}]}`))
		if err != nil || len(creds) != 1 {
			t.Errorf("ParseCredentials with AllowedOperations [LookupEvents]: %v", err)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			name, key, service, body, typ string
			status                        int
		}{
			{"ScopedToChime", "AKIDTENANTA", "chime", `{}`, "InvalidSignatureException", http.StatusForbidden},
			{"Unsigned", "", "", `{}`, "MissingAuthenticationTokenException", http.StatusForbidden},
			{"TwoAttributes", "AKIDTENANTA", "cloudtrail", `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"A"},{"AttributeKey":"Username","AttributeValue":"B"}]}`, "InvalidLookupAttributesException", http.StatusBadRequest},
			{"MaxResults", "AKIDTENANTA", "cloudtrail", `{"MaxResults":500}`, "InvalidMaxResultsException", http.StatusBadRequest},
		} {
			status, out := lookupEvents(t, srv.URL, tc.key, "secret-a", "", tc.service, tc.body)
			if status != tc.status || out["__type"] != tc.typ {
				t.Errorf("%s: %d %v, want %d %s", tc.name, status, out, tc.status, tc.typ)
			}
		}
	})
}

func TestServer_CloudTrail_Off(t *testing.T) {
	srv, _ := MustSigV4Server(t, func(s *httpapi.Server) { s.Trail = nil })
	a := MustClient(t, srv.URL, "AKIDTENANTA", "secret-a", "")
	if _, err := a.ListAccounts(context.Background(), &awschime.ListAccountsInput{}); err != nil {
		t.Fatal(err)
	}
	status, out := lookupEvents(t, srv.URL, "AKIDTENANTA", "secret-a", "", "cloudtrail", `{}`)
	if status != http.StatusBadRequest || out["__type"] != "UnsupportedOperationException" {
		t.Errorf("LookupEvents with the trail off: %d %v, want 400 UnsupportedOperationException", status, out)
	}
}

// TestServer_CloudTrail_Allocs keeps the trail's cost on the hot path at a
// few allocations: BatchSuspendUser of 50 users with the trail on allocates
// at most 3 more than with it off.
func TestServer_CloudTrail_Allocs(t *testing.T) {
	svc := openchime.NewService(nostore.New(100))
	ctx := context.Background()
	a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "bench", Type: openchime.EnterpriseLWA})
	if err != nil {
		t.Fatal(err)
	}
	news := make([]openchime.NewUser, 50)
	for i := range news {
		news[i] = openchime.NewUser{PrimaryEmail: fmt.Sprintf("user%d@example.com", i)}
	}
	users, err := svc.AdminCreateUsers(ctx, a.ID, news)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	body, _ := json.Marshal(map[string][]string{"UserIdList": ids})
	srv := httpapi.NewServer(svc)
	srv.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	run := func() {
		req := httptest.NewRequest("POST", "/accounts/"+a.ID+"/users?operation=suspend", bytes.NewReader(body))
		req.Header.Set("Authorization", benchAuth)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	trail := srv.Trail
	srv.Trail = nil
	off := testing.AllocsPerRun(200, run)
	srv.Trail = trail
	on := testing.AllocsPerRun(200, run)
	if on > off+3 {
		t.Errorf("allocs/op: %.1f with the trail, %.1f without; want at most 3 more", on, off)
	}
	if trail.Len() == 0 {
		t.Error("the trail recorded nothing")
	}
}
