package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
)

// collabEnv is a server over in-memory SQLite and a real Chime client for
// the default AWS account.
type collabEnv struct {
	t      *testing.T
	url    string
	svc    *openchime.Service
	clock  *openchime.ControlClock
	client *awschime.Client
}

func newCollabClient(t *testing.T) *collabEnv {
	t.Helper()
	// newTestStore (store_test.go): SQLite, or PostgreSQL when configured,
	// running every transaction twice as a retry would.
	svc := openchime.NewService(newTestStore(t))
	clock := &openchime.ControlClock{}
	clock.Set(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	clock.Freeze()
	svc.Clock = clock
	hs := httpapi.NewServer(svc)
	hs.Logger = slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(hs)
	t.Cleanup(srv.Close)
	e := &collabEnv{t: t, url: srv.URL, svc: svc, clock: clock}
	e.client = e.clientFor("AKIDEXAMPLE")
	return e
}

// clientFor returns a client signing with the access key; a 12-digit key is
// taken as the caller's AWS account.
func (e *collabEnv) clientFor(accessKey string) *awschime.Client {
	return awschime.New(awschime.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(e.url),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// tick moves the frozen clock on, so records made one after the other list
// in that order (lists sort by creation time, then id: D6, D43).
func (e *collabEnv) tick() { e.clock.Advance(time.Millisecond) }

// cp calls the control plane and decodes its JSON answer.
func (e *collabEnv) cp(method, path string, body any, wantStatus int) map[string]any {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		e.t.Fatalf("%s %s: status=%d, want %d; body %s", method, path, resp.StatusCode, wantStatus, raw)
	}
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return out
}

func (e *collabEnv) MustAccount(typ openchime.AccountType, aws string) string {
	e.t.Helper()
	e.tick()
	body := map[string]string{"Name": "acct-" + string(typ), "AccountType": string(typ)}
	if aws != "" {
		body["AwsAccountId"] = aws
	}
	out := e.cp("POST", "/_openchime/accounts", body, http.StatusCreated)
	return out["Account"].(map[string]any)["AccountId"].(string)
}

func (e *collabEnv) MustEnterprise() string { return e.MustAccount(openchime.EnterpriseLWA, "") }

func (e *collabEnv) MustUser(accountID, email string) string {
	e.t.Helper()
	e.tick()
	out := e.cp("POST", "/_openchime/accounts/"+accountID+"/users",
		map[string]string{"PrimaryEmail": email, "DisplayName": "Name of " + email}, http.StatusCreated)
	return out["User"].(map[string]any)["UserId"].(string)
}

func (e *collabEnv) MustBot(accountID, name string, withConfig bool) *types.Bot {
	e.t.Helper()
	e.tick()
	ctx := context.Background()
	out, err := e.client.CreateBot(ctx, &awschime.CreateBotInput{AccountId: &accountID, DisplayName: &name, Domain: aws.String("example.com")})
	if err != nil {
		e.t.Fatalf("CreateBot: %v", err)
	}
	if withConfig {
		_, err := e.client.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{
			AccountId: &accountID, BotId: out.Bot.BotId, OutboundEventsHTTPSEndpoint: aws.String("https://bots.example.com/events"),
		})
		if err != nil {
			e.t.Fatalf("PutEventsConfiguration: %v", err)
		}
	}
	return out.Bot
}

func (e *collabEnv) MustRoom(accountID, name string) *types.Room {
	e.t.Helper()
	e.tick()
	out, err := e.client.CreateRoom(context.Background(), &awschime.CreateRoomInput{AccountId: &accountID, Name: &name})
	if err != nil {
		e.t.Fatalf("CreateRoom: %v", err)
	}
	return out.Room
}

// wantCollabException checks that err is the SDK's typed exception T with the
// given Code.
func wantCollabException[T error](t *testing.T, err error, code types.ErrorCode) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("err=%v, want %T", err, target)
	}
	got := reflect.ValueOf(target).Elem().FieldByName("Code").String()
	if got != string(code) {
		t.Fatalf("Code=%q, want %q (err %v)", got, code, err)
	}
	return target
}

// wantUntypedError checks the exception name of an error the SDK does not type
// for that operation (DeleteEventsConfiguration models no NotFound).
func wantUntypedError(t *testing.T, err error, name string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != name {
		t.Fatalf("err=%v, want %s", err, name)
	}
}

func TestServer_Bot(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()

	t.Run("OK", func(t *testing.T) {
		b := e.MustBot(acct, "my Bot!", false)
		if *b.DisplayName != "my Bot! (Bot)" {
			t.Errorf("DisplayName=%q, want %q", *b.DisplayName, "my Bot! (Bot)")
		}
		if *b.BotEmail != "myBot-chimebot@example.com" {
			t.Errorf("BotEmail=%q", *b.BotEmail)
		}
		if *b.BotId != *b.UserId || b.BotType != types.BotTypeChatBot || *b.Disabled {
			t.Errorf("bot=%+v", b)
		}
		if !b.CreatedTimestamp.Equal(*b.UpdatedTimestamp) {
			t.Errorf("Created=%v Updated=%v, want equal", b.CreatedTimestamp, b.UpdatedTimestamp)
		}
		if len(*b.SecurityToken) != 40 || strings.Trim(*b.SecurityToken, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != "" {
			t.Errorf("SecurityToken=%q, want 40 chars of [A-Za-z0-9+/]", *b.SecurityToken)
		}

		got, err := e.client.GetBot(ctx, &awschime.GetBotInput{AccountId: &acct, BotId: b.BotId})
		if err != nil || *got.Bot.SecurityToken != *b.SecurityToken {
			t.Fatalf("GetBot=%+v, %v", got, err)
		}

		// Bots are not users (D18).
		_, err = e.client.GetUser(ctx, &awschime.GetUserInput{AccountId: &acct, UserId: b.UserId})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)

		e.clock.Advance(time.Second)
		up, err := e.client.UpdateBot(ctx, &awschime.UpdateBotInput{AccountId: &acct, BotId: b.BotId, Disabled: aws.Bool(true)})
		if err != nil || !*up.Bot.Disabled || !up.Bot.UpdatedTimestamp.After(*b.UpdatedTimestamp) {
			t.Fatalf("UpdateBot=%+v, %v", up.Bot, err)
		}
		same, err := e.client.UpdateBot(ctx, &awschime.UpdateBotInput{AccountId: &acct, BotId: b.BotId})
		if err != nil || !*same.Bot.Disabled || !same.Bot.UpdatedTimestamp.Equal(*up.Bot.UpdatedTimestamp) {
			t.Fatalf("UpdateBot without Disabled=%+v, %v", same.Bot, err)
		}
		e.clock.Advance(time.Second)
		re, err := e.client.RegenerateSecurityToken(ctx, &awschime.RegenerateSecurityTokenInput{AccountId: &acct, BotId: b.BotId})
		if err != nil || *re.Bot.SecurityToken == *b.SecurityToken || len(*re.Bot.SecurityToken) != 40 || !re.Bot.UpdatedTimestamp.After(*up.Bot.UpdatedTimestamp) {
			t.Fatalf("RegenerateSecurityToken=%+v, %v", re.Bot, err)
		}
	})

	t.Run("ListPages", func(t *testing.T) {
		acct := e.MustEnterprise()
		for _, n := range []string{"a", "b", "c"} {
			e.MustBot(acct, n, false)
		}
		var names []string
		var next *string
		for {
			out, err := e.client.ListBots(ctx, &awschime.ListBotsInput{AccountId: &acct, MaxResults: aws.Int32(2), NextToken: next})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range out.Bots {
				names = append(names, *b.DisplayName)
			}
			if next = out.NextToken; next == nil {
				break
			}
		}
		if strings.Join(names, ",") != "a (Bot),b (Bot),c (Bot)" {
			t.Errorf("names=%v", names)
		}
		_, err := e.client.ListBots(ctx, &awschime.ListBotsInput{AccountId: &acct, NextToken: aws.String("bogus")})
		wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
	})

	t.Run("ControlPlaneDelete", func(t *testing.T) {
		b := e.MustBot(acct, "gone", true)
		room := e.MustRoom(acct, "with bot")
		if _, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: b.BotId}); err != nil {
			t.Fatal(err)
		}
		e.cp("DELETE", "/_openchime/accounts/"+acct+"/bots/"+*b.BotId, nil, http.StatusNoContent)
		_, err := e.client.GetBot(ctx, &awschime.GetBotInput{AccountId: &acct, BotId: b.BotId})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
		list, err := e.client.ListRoomMemberships(ctx, &awschime.ListRoomMembershipsInput{AccountId: &acct, RoomId: room.RoomId})
		if err != nil || len(list.RoomMemberships) != 0 {
			t.Fatalf("memberships after bot deletion=%+v, %v", list, err)
		}
		e.cp("DELETE", "/_openchime/accounts/"+acct+"/bots/"+*b.BotId, nil, http.StatusNotFound)
	})
}

func TestServer_CreateBotErrors(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	create := func(name, domain string) error {
		in := &awschime.CreateBotInput{AccountId: &acct, DisplayName: &name}
		if domain != "" {
			in.Domain = &domain
		}
		_, err := e.client.CreateBot(ctx, in)
		return err
	}
	for _, tc := range []struct{ name, domain string }{
		{"   ", "example.com"},
		{strings.Repeat("x", 56), "example.com"},
		{"nodomain", ""},
		{"baddomain", "not_a-domain"},
		{"baddomain", "localhost"},
	} {
		wantCollabException[*types.BadRequestException](t, create(tc.name, tc.domain), types.ErrorCodeBadRequest)
	}
	if err := create("dup", "example.com"); err != nil {
		t.Fatal(err)
	}
	wantCollabException[*types.BadRequestException](t, create("dup", "EXAMPLE.com"), types.ErrorCodeBadRequest)

	t.Run("Limit", func(t *testing.T) {
		acct := e.MustEnterprise()
		for i := range 10 {
			e.MustBot(acct, "bot"+string(rune('a'+i)), false)
		}
		_, err := e.client.CreateBot(ctx, &awschime.CreateBotInput{AccountId: &acct, DisplayName: aws.String("eleventh"), Domain: aws.String("example.com")})
		wantCollabException[*types.ResourceLimitExceededException](t, err, types.ErrorCodeResourceLimitExceeded)
	})

	t.Run("Domains", func(t *testing.T) {
		acct := e.MustEnterprise()
		e.cp("PUT", "/_openchime/accounts/"+acct+"/claimed-domains", map[string]any{"ClaimedDomains": []string{"Corp.example", "other.example"}}, http.StatusOK)
		out, err := e.client.CreateBot(ctx, &awschime.CreateBotInput{AccountId: &acct, DisplayName: aws.String("x")})
		if err != nil || *out.Bot.BotEmail != "x-chimebot@corp.example" {
			t.Fatalf("CreateBot=%+v, %v", out, err)
		}
		out, err = e.client.CreateBot(ctx, &awschime.CreateBotInput{AccountId: &acct, DisplayName: aws.String("y"), Domain: aws.String("OTHER.example")})
		if err != nil || *out.Bot.BotEmail != "y-chimebot@other.example" {
			t.Fatalf("CreateBot=%+v, %v", out, err)
		}
		_, err = e.client.CreateBot(ctx, &awschime.CreateBotInput{AccountId: &acct, DisplayName: aws.String("z"), Domain: aws.String("example.com")})
		wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		id := aws.String("00000000-0000-4000-8000-000000000000")
		_, err := e.client.GetBot(ctx, &awschime.GetBotInput{AccountId: &acct, BotId: id})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
		_, err = e.client.UpdateBot(ctx, &awschime.UpdateBotInput{AccountId: &acct, BotId: id, Disabled: aws.Bool(true)})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
		_, err = e.client.RegenerateSecurityToken(ctx, &awschime.RegenerateSecurityTokenInput{AccountId: &acct, BotId: id})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
		_, err = e.client.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{AccountId: &acct, BotId: id, LambdaFunctionArn: aws.String("arn:aws:lambda:us-east-1:111122223333:function:f")})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
		_, err = e.client.GetEventsConfiguration(ctx, &awschime.GetEventsConfigurationInput{AccountId: &acct, BotId: id})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
		_, err = e.client.DeleteEventsConfiguration(ctx, &awschime.DeleteEventsConfigurationInput{AccountId: &acct, BotId: id})
		wantUntypedError(t, err, "NotFoundException")
		_, err = e.client.ListBots(ctx, &awschime.ListBotsInput{AccountId: id})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	})
}

func TestServer_EventsConfiguration(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	b := e.MustBot(acct, "ev", false)
	get := func() (*awschime.GetEventsConfigurationOutput, error) {
		return e.client.GetEventsConfiguration(ctx, &awschime.GetEventsConfigurationInput{AccountId: &acct, BotId: b.BotId})
	}
	put := func(endpoint, arn *string) (*awschime.PutEventsConfigurationOutput, error) {
		return e.client.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{AccountId: &acct, BotId: b.BotId, OutboundEventsHTTPSEndpoint: endpoint, LambdaFunctionArn: arn})
	}
	_, err := get()
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)

	out, err := put(aws.String("https://example.com/hook"), nil)
	if err != nil || *out.EventsConfiguration.BotId != *b.BotId || *out.EventsConfiguration.OutboundEventsHTTPSEndpoint != "https://example.com/hook" || out.EventsConfiguration.LambdaFunctionArn != nil {
		t.Fatalf("Put=%+v, %v", out, err)
	}
	for _, tc := range []struct{ endpoint, arn *string }{
		{aws.String("https://example.com/hook"), aws.String("arn:aws:lambda:us-east-1:111122223333:function:f")},
		{nil, nil},
		{aws.String("http://example.com/hook"), nil},
		{aws.String("https:///nohost"), nil},
		{nil, aws.String("arn:aws:s3:::bucket")},
	} {
		_, err := put(tc.endpoint, tc.arn)
		wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
	}
	arn := "arn:aws:lambda:us-east-1:111122223333:function:handler:live"
	if _, err := put(nil, &arn); err != nil {
		t.Fatal(err)
	}
	g, err := get()
	if err != nil || *g.EventsConfiguration.LambdaFunctionArn != arn || g.EventsConfiguration.OutboundEventsHTTPSEndpoint != nil {
		t.Fatalf("Get=%+v, %v", g, err)
	}
	for range 2 { // 204 whether or not a configuration exists (D21)
		if _, err := e.client.DeleteEventsConfiguration(ctx, &awschime.DeleteEventsConfigurationInput{AccountId: &acct, BotId: b.BotId}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = get()
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
}

// TestServer_EnterpriseOnly pins decision D14: every Enterprise-only operation
// answers a Team account 403 with the observed message.
func TestServer_EnterpriseOnly(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	team := e.MustAccount(openchime.Team, "")
	a, id := &team, aws.String("x")
	want := "Chime Account provided is not an Enterprise Chime Account[AWS Account ID: 123456789012][Chime Account ID: " + team + "]"
	calls := map[string]func() error{
		"CreateBot": func() error {
			_, err := e.client.CreateBot(ctx, &awschime.CreateBotInput{AccountId: a, DisplayName: id, Domain: aws.String("example.com")})
			return err
		},
		"GetBot": func() error {
			_, err := e.client.GetBot(ctx, &awschime.GetBotInput{AccountId: a, BotId: id})
			return err
		},
		"ListBots": func() error {
			_, err := e.client.ListBots(ctx, &awschime.ListBotsInput{AccountId: a})
			return err
		},
		"UpdateBot": func() error {
			_, err := e.client.UpdateBot(ctx, &awschime.UpdateBotInput{AccountId: a, BotId: id})
			return err
		},
		"RegenerateSecurityToken": func() error {
			_, err := e.client.RegenerateSecurityToken(ctx, &awschime.RegenerateSecurityTokenInput{AccountId: a, BotId: id})
			return err
		},
		"PutEventsConfiguration": func() error {
			_, err := e.client.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{AccountId: a, BotId: id})
			return err
		},
		"GetEventsConfiguration": func() error {
			_, err := e.client.GetEventsConfiguration(ctx, &awschime.GetEventsConfigurationInput{AccountId: a, BotId: id})
			return err
		},
		"DeleteEventsConfiguration": func() error {
			_, err := e.client.DeleteEventsConfiguration(ctx, &awschime.DeleteEventsConfigurationInput{AccountId: a, BotId: id})
			return err
		},
		"CreateRoom": func() error {
			_, err := e.client.CreateRoom(ctx, &awschime.CreateRoomInput{AccountId: a, Name: id})
			return err
		},
		"GetRoom": func() error {
			_, err := e.client.GetRoom(ctx, &awschime.GetRoomInput{AccountId: a, RoomId: id})
			return err
		},
		"ListRooms": func() error {
			_, err := e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: a})
			return err
		},
		"UpdateRoom": func() error {
			_, err := e.client.UpdateRoom(ctx, &awschime.UpdateRoomInput{AccountId: a, RoomId: id})
			return err
		},
		"DeleteRoom": func() error {
			_, err := e.client.DeleteRoom(ctx, &awschime.DeleteRoomInput{AccountId: a, RoomId: id})
			return err
		},
		"CreateRoomMembership": func() error {
			_, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: a, RoomId: id, MemberId: id})
			return err
		},
		"BatchCreateRoomMembership": func() error {
			_, err := e.client.BatchCreateRoomMembership(ctx, &awschime.BatchCreateRoomMembershipInput{AccountId: a, RoomId: id, MembershipItemList: []types.MembershipItem{}})
			return err
		},
		"ListRoomMemberships": func() error {
			_, err := e.client.ListRoomMemberships(ctx, &awschime.ListRoomMembershipsInput{AccountId: a, RoomId: id})
			return err
		},
		"UpdateRoomMembership": func() error {
			_, err := e.client.UpdateRoomMembership(ctx, &awschime.UpdateRoomMembershipInput{AccountId: a, RoomId: id, MemberId: id})
			return err
		},
		"DeleteRoomMembership": func() error {
			_, err := e.client.DeleteRoomMembership(ctx, &awschime.DeleteRoomMembershipInput{AccountId: a, RoomId: id, MemberId: id})
			return err
		},
		"GetRetentionSettings": func() error {
			_, err := e.client.GetRetentionSettings(ctx, &awschime.GetRetentionSettingsInput{AccountId: a})
			return err
		},
		"PutRetentionSettings": func() error {
			_, err := e.client.PutRetentionSettings(ctx, &awschime.PutRetentionSettingsInput{AccountId: a, RetentionSettings: &types.RetentionSettings{}})
			return err
		},
		"RedactRoomMessage": func() error {
			_, err := e.client.RedactRoomMessage(ctx, &awschime.RedactRoomMessageInput{AccountId: a, RoomId: id, MessageId: id})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "ForbiddenException" || ae.ErrorMessage() != want {
				t.Fatalf("err=%v, want ForbiddenException %q", err, want)
			}
			if name != "DeleteEventsConfiguration" { // not typed by the SDK for that operation
				wantCollabException[*types.ForbiddenException](t, err, types.ErrorCodeForbidden)
			}
		})
	}

	t.Run("OrderAccountFirst", func(t *testing.T) {
		_, err := e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: aws.String("no-such-account")})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	})

	t.Run("RedactConversationMessageAllowed", func(t *testing.T) {
		u := e.MustUser(team, "t@example.com")
		conv := e.cp("POST", "/_openchime/accounts/"+team+"/conversations", map[string]any{"MemberIds": []string{u}}, http.StatusCreated)
		convID := conv["Conversation"].(map[string]any)["ConversationId"].(string)
		msg := e.cp("POST", "/_openchime/accounts/"+team+"/conversations/"+convID+"/messages", map[string]any{"SenderId": u, "Content": "hi"}, http.StatusCreated)
		msgID := msg["Message"].(map[string]any)["MessageId"].(string)
		if _, err := e.client.RedactConversationMessage(ctx, &awschime.RedactConversationMessageInput{AccountId: a, ConversationId: &convID, MessageId: &msgID}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestServer_EnterpriseSuspended(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	out := e.cp("POST", "/_openchime/accounts", map[string]string{"Name": "s", "AccountType": "EnterpriseOIDC", "AccountStatus": "Suspended"}, http.StatusCreated)
	acct := out["Account"].(map[string]any)["AccountId"].(string)
	if _, err := e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &acct}); err != nil {
		t.Fatalf("ListRooms on a suspended account: %v", err)
	}
	_, err := e.client.CreateRoom(ctx, &awschime.CreateRoomInput{AccountId: &acct, Name: aws.String("r")})
	wantCollabException[*types.ForbiddenException](t, err, types.ErrorCodeForbidden)
}

func TestServer_Room(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	r := e.MustRoom(acct, "Team room")
	if *r.Name != "Team room" || *r.AccountId != acct || *r.CreatedBy != "arn:aws:iam::123456789012:root" || !r.CreatedTimestamp.Equal(*r.UpdatedTimestamp) {
		t.Fatalf("room=%+v", r)
	}
	got, err := e.client.GetRoom(ctx, &awschime.GetRoomInput{AccountId: &acct, RoomId: r.RoomId})
	if err != nil || *got.Room.RoomId != *r.RoomId {
		t.Fatalf("GetRoom=%+v, %v", got, err)
	}
	r2 := e.MustRoom(acct, "Team room") // duplicate names are allowed
	list, err := e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &acct, MaxResults: aws.Int32(1)})
	if err != nil || len(list.Rooms) != 1 || *list.Rooms[0].RoomId != *r.RoomId || list.NextToken == nil {
		t.Fatalf("ListRooms=%+v, %v", list, err)
	}
	list, err = e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &acct, NextToken: list.NextToken})
	if err != nil || len(list.Rooms) != 1 || *list.Rooms[0].RoomId != *r2.RoomId || list.NextToken != nil {
		t.Fatalf("ListRooms page 2=%+v, %v", list, err)
	}

	e.clock.Advance(time.Minute)
	up, err := e.client.UpdateRoom(ctx, &awschime.UpdateRoomInput{AccountId: &acct, RoomId: r.RoomId, Name: aws.String("Renamed")})
	if err != nil || *up.Room.Name != "Renamed" || !up.Room.UpdatedTimestamp.After(*r.UpdatedTimestamp) {
		t.Fatalf("UpdateRoom=%+v, %v", up, err)
	}
	same, err := e.client.UpdateRoom(ctx, &awschime.UpdateRoomInput{AccountId: &acct, RoomId: r.RoomId})
	if err != nil || *same.Room.Name != "Renamed" {
		t.Fatalf("UpdateRoom without Name=%+v, %v", same, err)
	}
	_, err = e.client.UpdateRoom(ctx, &awschime.UpdateRoomInput{AccountId: &acct, RoomId: r.RoomId, Name: aws.String("  ")})
	wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
	_, err = e.client.CreateRoom(ctx, &awschime.CreateRoomInput{AccountId: &acct, Name: aws.String(strings.Repeat("n", 257))})
	wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)

	if _, err := e.client.DeleteRoom(ctx, &awschime.DeleteRoomInput{AccountId: &acct, RoomId: r.RoomId}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetRoom(ctx, &awschime.GetRoomInput{AccountId: &acct, RoomId: r.RoomId})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	_, err = e.client.DeleteRoom(ctx, &awschime.DeleteRoomInput{AccountId: &acct, RoomId: r.RoomId})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	_, err = e.client.UpdateRoom(ctx, &awschime.UpdateRoomInput{AccountId: &acct, RoomId: r.RoomId, Name: aws.String("x")})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
}

func TestServer_CreateRoomIdempotent(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	create := func(name, token string) (*awschime.CreateRoomOutput, error) {
		return e.client.CreateRoom(ctx, &awschime.CreateRoomInput{AccountId: &acct, Name: &name, ClientRequestToken: &token})
	}
	a, err := create("r", "token-1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := create("r", "token-1")
	if err != nil || *b.Room.RoomId != *a.Room.RoomId {
		t.Fatalf("replay=%+v, %v; want room %s", b, err, *a.Room.RoomId)
	}
	_, err = create("other", "token-1")
	wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
	list, _ := e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &acct})
	if len(list.Rooms) != 1 {
		t.Fatalf("rooms=%d, want 1", len(list.Rooms))
	}
	// The token binds for the room's lifetime only.
	e.client.DeleteRoom(ctx, &awschime.DeleteRoomInput{AccountId: &acct, RoomId: a.Room.RoomId})
	c, err := create("other", "token-1")
	if err != nil || *c.Room.RoomId == *a.Room.RoomId {
		t.Fatalf("after delete=%+v, %v", c, err)
	}
	// The SDK fills a token in itself: two calls make two rooms.
	e.MustRoom(acct, "auto")
	e.MustRoom(acct, "auto")
	list, _ = e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &acct})
	if len(list.Rooms) != 3 {
		t.Fatalf("rooms=%d, want 3", len(list.Rooms))
	}
}

func TestServer_CreateRoomLimit(t *testing.T) {
	e := newCollabClient(t)
	e.svc.Collab.RoomsPerAccount = 2
	acct := e.MustEnterprise()
	first := e.MustRoom(acct, "1")
	e.MustRoom(acct, "2")
	_, err := e.client.CreateRoom(context.Background(), &awschime.CreateRoomInput{AccountId: &acct, Name: aws.String("3")})
	wantCollabException[*types.ResourceLimitExceededException](t, err, types.ErrorCodeResourceLimitExceeded)
	// Another account has its own count; a deleted room frees its place.
	e.MustRoom(e.MustEnterprise(), "elsewhere")
	if _, err := e.client.DeleteRoom(context.Background(), &awschime.DeleteRoomInput{AccountId: &acct, RoomId: first.RoomId}); err != nil {
		t.Fatal(err)
	}
	e.MustRoom(acct, "3")
}

func TestServer_RoomMembership(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	room := e.MustRoom(acct, "room")
	user := e.MustUser(acct, "alice@example.com")
	bot := e.MustBot(acct, "helper", true)
	add := func(member string, role types.RoomMembershipRole) (*awschime.CreateRoomMembershipOutput, error) {
		e.tick()
		return e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: &member, Role: role})
	}

	m, err := add(user, "")
	if err != nil {
		t.Fatal(err)
	}
	rm := m.RoomMembership
	if rm.Role != types.RoomMembershipRoleMember || *rm.RoomId != *room.RoomId || *rm.InvitedBy != "arn:aws:iam::123456789012:root" ||
		*rm.Member.MemberId != user || rm.Member.MemberType != types.MemberTypeUser || *rm.Member.Email != "alice@example.com" ||
		*rm.Member.FullName != "Name of alice@example.com" || *rm.Member.AccountId != acct {
		t.Fatalf("membership=%+v member=%+v", rm, rm.Member)
	}
	mb, err := add(*bot.BotId, "")
	if err != nil || mb.RoomMembership.Member.MemberType != types.MemberTypeBot || *mb.RoomMembership.Member.FullName != "helper (Bot)" {
		t.Fatalf("bot membership=%+v, %v", mb, err)
	}

	t.Run("Errors", func(t *testing.T) {
		_, err := add(user, "")
		wantCollabException[*types.ConflictException](t, err, types.ErrorCodeConflict)
		_, err = add("no-such-member", "")
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
		other := e.MustUser(e.MustEnterprise(), "bob@example.com") // a user of another account
		_, err = add(other, "")
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
		noConfig := e.MustBot(acct, "unconfigured", false)
		_, err = add(*noConfig.BotId, "")
		wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
		admin := e.MustBot(acct, "admin", true)
		_, err = add(*admin.BotId, types.RoomMembershipRoleAdministrator)
		wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
		e.client.UpdateBot(ctx, &awschime.UpdateBotInput{AccountId: &acct, BotId: admin.BotId, Disabled: aws.Bool(true)})
		_, err = add(*admin.BotId, "")
		wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
		_, err = e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: aws.String("no-room"), MemberId: &user})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	})

	t.Run("ListAndFilter", func(t *testing.T) {
		list, err := e.client.ListRoomMemberships(ctx, &awschime.ListRoomMembershipsInput{AccountId: &acct, RoomId: room.RoomId})
		if err != nil || len(list.RoomMemberships) != 2 || *list.RoomMemberships[0].Member.MemberId != user || *list.RoomMemberships[1].Member.MemberId != *bot.BotId {
			t.Fatalf("ListRoomMemberships=%+v, %v", list, err)
		}
		page, err := e.client.ListRoomMemberships(ctx, &awschime.ListRoomMembershipsInput{AccountId: &acct, RoomId: room.RoomId, MaxResults: aws.Int32(1)})
		if err != nil || len(page.RoomMemberships) != 1 || page.NextToken == nil {
			t.Fatalf("page=%+v, %v", page, err)
		}
		e.MustRoom(acct, "empty")
		rooms, err := e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &acct, MemberId: bot.BotId})
		if err != nil || len(rooms.Rooms) != 1 || *rooms.Rooms[0].RoomId != *room.RoomId {
			t.Fatalf("ListRooms member-id=%+v, %v", rooms, err)
		}
		rooms, err = e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &acct, MemberId: aws.String("unknown")})
		if err != nil || len(rooms.Rooms) != 0 {
			t.Fatalf("ListRooms unknown member=%+v, %v", rooms, err)
		}
	})

	t.Run("Update", func(t *testing.T) {
		e.clock.Advance(time.Second)
		up, err := e.client.UpdateRoomMembership(ctx, &awschime.UpdateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: &user, Role: types.RoomMembershipRoleAdministrator})
		if err != nil || up.RoomMembership.Role != types.RoomMembershipRoleAdministrator || !up.RoomMembership.UpdatedTimestamp.After(*rm.UpdatedTimestamp) {
			t.Fatalf("UpdateRoomMembership=%+v, %v", up, err)
		}
		same, err := e.client.UpdateRoomMembership(ctx, &awschime.UpdateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: &user})
		if err != nil || same.RoomMembership.Role != types.RoomMembershipRoleAdministrator {
			t.Fatalf("UpdateRoomMembership without Role=%+v, %v", same, err)
		}
		_, err = e.client.UpdateRoomMembership(ctx, &awschime.UpdateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: bot.BotId, Role: types.RoomMembershipRoleMember})
		wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
		_, err = e.client.UpdateRoomMembership(ctx, &awschime.UpdateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: aws.String("nobody"), Role: types.RoomMembershipRoleMember})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		// A stopped bot can still be removed (D23).
		e.client.UpdateBot(ctx, &awschime.UpdateBotInput{AccountId: &acct, BotId: bot.BotId, Disabled: aws.Bool(true)})
		if _, err := e.client.DeleteRoomMembership(ctx, &awschime.DeleteRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: bot.BotId}); err != nil {
			t.Fatal(err)
		}
		_, err := e.client.DeleteRoomMembership(ctx, &awschime.DeleteRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: bot.BotId})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
		rooms, _ := e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &acct, MemberId: bot.BotId})
		if len(rooms.Rooms) != 0 {
			t.Fatalf("rooms of removed bot=%d, want 0", len(rooms.Rooms))
		}
		// DeleteRoom takes the memberships with it.
		e.client.DeleteRoom(ctx, &awschime.DeleteRoomInput{AccountId: &acct, RoomId: room.RoomId})
		rooms, _ = e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &acct, MemberId: &user})
		if len(rooms.Rooms) != 0 {
			t.Fatalf("rooms of user after DeleteRoom=%d, want 0", len(rooms.Rooms))
		}
	})
}

func TestServer_BatchCreateRoomMembership(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	room := e.MustRoom(acct, "room")
	u1 := e.MustUser(acct, "u1@example.com")
	u2 := e.MustUser(acct, "u2@example.com")
	noConfig := e.MustBot(acct, "unconfigured", false)
	if _, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: &u2}); err != nil {
		t.Fatal(err)
	}
	batch := func(items ...types.MembershipItem) (*awschime.BatchCreateRoomMembershipOutput, error) {
		return e.client.BatchCreateRoomMembership(ctx, &awschime.BatchCreateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MembershipItemList: items})
	}

	t.Run("PartialFailure", func(t *testing.T) {
		e.tick()
		out, err := batch(
			types.MembershipItem{MemberId: &u1, Role: types.RoomMembershipRoleAdministrator},
			types.MembershipItem{MemberId: aws.String("ghost")},
			types.MembershipItem{MemberId: &u1}, // repeated: handled once (D24)
			types.MembershipItem{MemberId: noConfig.BotId},
			types.MembershipItem{MemberId: &u2},
		)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]types.ErrorCode{}
		for _, e := range out.Errors {
			got[*e.MemberId] = e.ErrorCode
			if e.ErrorMessage == nil || *e.ErrorMessage == "" {
				t.Errorf("error of %s has no message", *e.MemberId)
			}
		}
		want := map[string]types.ErrorCode{"ghost": types.ErrorCodeNotFound, *noConfig.BotId: types.ErrorCodeBadRequest, u2: types.ErrorCodeConflict}
		if !reflect.DeepEqual(got, want) || len(out.Errors) != 3 {
			t.Fatalf("Errors=%v, want %v", got, want)
		}
		list, _ := e.client.ListRoomMemberships(ctx, &awschime.ListRoomMembershipsInput{AccountId: &acct, RoomId: room.RoomId})
		if len(list.RoomMemberships) != 2 || list.RoomMemberships[1].Role != types.RoomMembershipRoleAdministrator {
			t.Fatalf("memberships=%+v", list.RoomMemberships)
		}
	})

	t.Run("EmptyErrorsPresent", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.url+"/accounts/"+acct+"/rooms/"+*room.RoomId+"/memberships?operation=batch-create",
			strings.NewReader(`{"MembershipItemList":[]}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || string(body) != `{"Errors":[]}` {
			t.Fatalf("status=%d body=%s, want 201 {\"Errors\":[]}", resp.StatusCode, body)
		}
	})

	t.Run("ErrBlankMemberId", func(t *testing.T) {
		_, err := batch(types.MembershipItem{MemberId: &u1}, types.MembershipItem{Role: types.RoomMembershipRoleMember})
		wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
	})

	t.Run("ErrRoomNotFound", func(t *testing.T) {
		_, err := e.client.BatchCreateRoomMembership(ctx, &awschime.BatchCreateRoomMembershipInput{AccountId: &acct, RoomId: aws.String("nope"), MembershipItemList: []types.MembershipItem{{MemberId: &u1}}})
		wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	})
}

func TestServer_RoomMembershipLimits(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	e.svc.Collab.MembersPerRoom = 2
	e.svc.Collab.RoomsPerMember = 1
	acct := e.MustEnterprise()
	r1, r2 := e.MustRoom(acct, "r1"), e.MustRoom(acct, "r2")
	u1, u2, u3 := e.MustUser(acct, "1@example.com"), e.MustUser(acct, "2@example.com"), e.MustUser(acct, "3@example.com")

	out, err := e.client.BatchCreateRoomMembership(ctx, &awschime.BatchCreateRoomMembershipInput{AccountId: &acct, RoomId: r1.RoomId,
		MembershipItemList: []types.MembershipItem{{MemberId: &u1}, {MemberId: &u2}, {MemberId: &u3}}})
	if err != nil || len(out.Errors) != 1 || *out.Errors[0].MemberId != u3 || out.Errors[0].ErrorCode != types.ErrorCodeResourceLimitExceeded {
		t.Fatalf("batch=%+v, %v", out, err)
	}
	_, err = e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: r1.RoomId, MemberId: &u3})
	wantCollabException[*types.ResourceLimitExceededException](t, err, types.ErrorCodeResourceLimitExceeded)
	_, err = e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: r2.RoomId, MemberId: &u1})
	wantCollabException[*types.ResourceLimitExceededException](t, err, types.ErrorCodeResourceLimitExceeded)

	// Leaving a room frees a place on both sides.
	if _, err := e.client.DeleteRoomMembership(ctx, &awschime.DeleteRoomMembershipInput{AccountId: &acct, RoomId: r1.RoomId, MemberId: &u1}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: r2.RoomId, MemberId: &u1}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: r1.RoomId, MemberId: &u3}); err != nil {
		t.Fatal(err)
	}
	// Deleting a room frees its members' places.
	if _, err := e.client.DeleteRoom(ctx, &awschime.DeleteRoomInput{AccountId: &acct, RoomId: r2.RoomId}); err != nil {
		t.Fatal(err)
	}
	r3 := e.MustRoom(acct, "r3")
	if _, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: r3.RoomId, MemberId: &u1}); err != nil {
		t.Fatal(err)
	}
}

func TestServer_RoomWebhooks(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	e.svc.Collab.WebhooksPerRoom = 1
	acct := e.MustEnterprise()
	room := e.MustRoom(acct, "room")
	out := e.cp("POST", "/_openchime/accounts/"+acct+"/rooms/"+*room.RoomId+"/webhooks", map[string]string{"Name": "CI"}, http.StatusCreated)
	hook := out["RoomMembership"].(map[string]any)["Member"].(map[string]any)
	if hook["MemberType"] != "Webhook" || hook["FullName"] != "CI" {
		t.Fatalf("webhook=%v", hook)
	}
	e.cp("POST", "/_openchime/accounts/"+acct+"/rooms/"+*room.RoomId+"/webhooks", map[string]string{"Name": "CD"}, http.StatusBadRequest)
	list, err := e.client.ListRoomMemberships(ctx, &awschime.ListRoomMembershipsInput{AccountId: &acct, RoomId: room.RoomId})
	if err != nil || len(list.RoomMemberships) != 1 || list.RoomMemberships[0].Member.MemberType != types.MemberTypeWebhook {
		t.Fatalf("memberships=%+v, %v", list, err)
	}
	id := hook["MemberId"].(string)
	_, err = e.client.UpdateRoomMembership(ctx, &awschime.UpdateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: &id, Role: types.RoomMembershipRoleAdministrator})
	wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
	if _, err := e.client.DeleteRoomMembership(ctx, &awschime.DeleteRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: &id}); err != nil {
		t.Fatal(err)
	}
}

func TestServer_RetentionSettings(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	get := func() *awschime.GetRetentionSettingsOutput {
		t.Helper()
		out, err := e.client.GetRetentionSettings(ctx, &awschime.GetRetentionSettingsInput{AccountId: &acct})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := get()
	if out.InitiateDeletionTimestamp != nil || out.RetentionSettings.RoomRetentionSettings == nil ||
		out.RetentionSettings.RoomRetentionSettings.RetentionDays != nil || out.RetentionSettings.ConversationRetentionSettings == nil {
		t.Fatalf("default=%+v", out)
	}

	putAt := e.clock.Now()
	_, err := e.client.PutRetentionSettings(ctx, &awschime.PutRetentionSettingsInput{AccountId: &acct, RetentionSettings: &types.RetentionSettings{
		RoomRetentionSettings: &types.RoomRetentionSettings{RetentionDays: aws.Int32(30)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	out = get()
	if *out.RetentionSettings.RoomRetentionSettings.RetentionDays != 30 || out.RetentionSettings.ConversationRetentionSettings.RetentionDays != nil {
		t.Fatalf("after put=%+v", out.RetentionSettings)
	}
	if want := putAt.Add(720 * time.Hour); !out.InitiateDeletionTimestamp.Equal(want) {
		t.Fatalf("InitiateDeletionTimestamp=%v, want %v", out.InitiateDeletionTimestamp, want)
	}

	for _, days := range []int32{0, 5476} {
		_, err := e.client.PutRetentionSettings(ctx, &awschime.PutRetentionSettingsInput{AccountId: &acct, RetentionSettings: &types.RetentionSettings{
			ConversationRetentionSettings: &types.ConversationRetentionSettings{RetentionDays: aws.Int32(days)},
		}})
		wantCollabException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest)
	}

	// Turning both kinds off removes InitiateDeletionTimestamp.
	if _, err := e.client.PutRetentionSettings(ctx, &awschime.PutRetentionSettingsInput{AccountId: &acct, RetentionSettings: &types.RetentionSettings{}}); err != nil {
		t.Fatal(err)
	}
	if out := get(); out.InitiateDeletionTimestamp != nil || out.RetentionSettings.RoomRetentionSettings.RetentionDays != nil {
		t.Fatalf("after off=%+v", out)
	}
}

func TestServer_RedactRoomMessage(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	room := e.MustRoom(acct, "room")
	other := e.MustRoom(acct, "other")
	user := e.MustUser(acct, "a@example.com")
	e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: &user})
	msgs := "/_openchime/accounts/" + acct + "/rooms/" + *room.RoomId + "/messages"
	e.cp("POST", msgs, map[string]string{"SenderId": "stranger", "Content": "x"}, http.StatusBadRequest)
	posted := e.cp("POST", msgs, map[string]string{"SenderId": user, "Content": "oops"}, http.StatusCreated)
	msgID := posted["Message"].(map[string]any)["MessageId"].(string)
	redact := func(roomID, messageID string) error {
		_, err := e.client.RedactRoomMessage(ctx, &awschime.RedactRoomMessageInput{AccountId: &acct, RoomId: &roomID, MessageId: &messageID})
		return err
	}

	// D16: 200 with an empty body.
	req, _ := http.NewRequest("POST", e.url+"/accounts/"+acct+"/rooms/"+*room.RoomId+"/messages/"+msgID+"?operation=redact", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("Content-Type") != "" {
		t.Fatalf("status=%d body=%q content-type=%q, want 200 and no body", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	if err := redact(*room.RoomId, msgID); err != nil { // again: still 200
		t.Fatal(err)
	}
	list := e.cp("GET", msgs, nil, http.StatusOK)["Messages"].([]any)
	m := list[0].(map[string]any)
	if len(list) != 1 || m["Redacted"] != true || m["Content"] != nil {
		t.Fatalf("messages=%v", list)
	}

	wantCollabException[*types.NotFoundException](t, redact(*room.RoomId, "no-such-message"), types.ErrorCodeNotFound)
	wantCollabException[*types.NotFoundException](t, redact(*other.RoomId, msgID), types.ErrorCodeNotFound)
	wantCollabException[*types.NotFoundException](t, redact("no-such-room", msgID), types.ErrorCodeNotFound)

	t.Run("Retention", func(t *testing.T) {
		old := e.cp("POST", msgs, map[string]any{"Content": "old", "CreatedTimestamp": e.clock.Now().Add(-40 * 24 * time.Hour).Format(time.RFC3339)}, http.StatusCreated)
		oldID := old["Message"].(map[string]any)["MessageId"].(string)
		_, err := e.client.PutRetentionSettings(ctx, &awschime.PutRetentionSettingsInput{AccountId: &acct, RetentionSettings: &types.RetentionSettings{
			RoomRetentionSettings: &types.RoomRetentionSettings{RetentionDays: aws.Int32(30)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if list := e.cp("GET", msgs, nil, http.StatusOK)["Messages"].([]any); len(list) != 1 {
			t.Fatalf("visible messages=%d, want 1 (the old one hidden)", len(list))
		}
		if err := redact(*room.RoomId, oldID); err != nil { // hidden, not purged yet (D43)
			t.Fatal(err)
		}
		e.clock.Advance(720 * time.Hour)
		wantCollabException[*types.NotFoundException](t, redact(*room.RoomId, oldID), types.ErrorCodeNotFound)
	})

	t.Run("Lenient", func(t *testing.T) {
		e.svc.Collab.LenientRedaction = true
		defer func() { e.svc.Collab.LenientRedaction = false }()
		if err := redact(*room.RoomId, "copied-from-client"); err != nil {
			t.Fatal(err)
		}
		wantCollabException[*types.NotFoundException](t, redact("no-such-room", "copied-from-client"), types.ErrorCodeNotFound)
		// The tombstone belongs to its room: another room does not see it.
		wantCollabException[*types.NotFoundException](t, redact(*other.RoomId, "copied-from-client"), types.ErrorCodeNotFound)
	})

	t.Run("DeleteRoomDeletesMessages", func(t *testing.T) {
		e.client.DeleteRoom(ctx, &awschime.DeleteRoomInput{AccountId: &acct, RoomId: room.RoomId})
		e.cp("GET", msgs, nil, http.StatusNotFound)
	})
}

func TestServer_RedactConversationMessage(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	u1, u2 := e.MustUser(acct, "1@example.com"), e.MustUser(acct, "2@example.com")
	e.cp("POST", "/_openchime/accounts/"+acct+"/conversations", map[string]any{"MemberIds": []string{"ghost"}}, http.StatusNotFound)
	conv := e.cp("POST", "/_openchime/accounts/"+acct+"/conversations", map[string]any{"MemberIds": []string{u1, u2}}, http.StatusCreated)
	convID := conv["Conversation"].(map[string]any)["ConversationId"].(string)
	path := "/_openchime/accounts/" + acct + "/conversations/" + convID + "/messages"
	msg := e.cp("POST", path, map[string]string{"SenderId": u1, "Content": "secret"}, http.StatusCreated)
	msgID := msg["Message"].(map[string]any)["MessageId"].(string)
	redact := func(convID, messageID string) error {
		_, err := e.client.RedactConversationMessage(ctx, &awschime.RedactConversationMessageInput{AccountId: &acct, ConversationId: &convID, MessageId: &messageID})
		return err
	}
	if err := redact(convID, msgID); err != nil {
		t.Fatal(err)
	}
	list := e.cp("GET", path, nil, http.StatusOK)["Messages"].([]any)
	if m := list[0].(map[string]any); m["Redacted"] != true || m["Content"] != nil {
		t.Fatalf("messages=%v", list)
	}
	wantCollabException[*types.NotFoundException](t, redact(convID, "no-such-message"), types.ErrorCodeNotFound)
	wantCollabException[*types.NotFoundException](t, redact("no-such-conversation", msgID), types.ErrorCodeNotFound)
	// Another account of the same AWS account does not see the conversation.
	acct2 := e.MustEnterprise()
	_, err := e.client.RedactConversationMessage(ctx, &awschime.RedactConversationMessageInput{AccountId: &acct2, ConversationId: &convID, MessageId: &msgID})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
}

// TestServer_CollabTenantIsolation pins decisions D5/D13: another AWS account's
// ids answer 404 as if they did not exist.
func TestServer_CollabTenantIsolation(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	bot := e.MustBot(acct, "mine", true)
	room := e.MustRoom(acct, "mine")
	intruder := e.clientFor("111122223333")
	_, err := intruder.GetBot(ctx, &awschime.GetBotInput{AccountId: &acct, BotId: bot.BotId})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	_, err = intruder.ListBots(ctx, &awschime.ListBotsInput{AccountId: &acct})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	_, err = intruder.GetRoom(ctx, &awschime.GetRoomInput{AccountId: &acct, RoomId: room.RoomId})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	_, err = intruder.GetRetentionSettings(ctx, &awschime.GetRetentionSettingsInput{AccountId: &acct})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)

	// The intruder's own Enterprise account cannot reach the bot or room by id.
	theirs := e.MustAccount(openchime.EnterpriseDirectory, "111122223333")
	_, err = intruder.GetBot(ctx, &awschime.GetBotInput{AccountId: &theirs, BotId: bot.BotId})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	_, err = intruder.GetRoom(ctx, &awschime.GetRoomInput{AccountId: &theirs, RoomId: room.RoomId})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	theirRoom, err := intruder.CreateRoom(ctx, &awschime.CreateRoomInput{AccountId: &theirs, Name: aws.String("theirs")})
	if err != nil {
		t.Fatal(err)
	}
	if *theirRoom.Room.CreatedBy != "arn:aws:iam::111122223333:root" {
		t.Errorf("CreatedBy=%q", *theirRoom.Room.CreatedBy)
	}
	_, err = intruder.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &theirs, RoomId: theirRoom.Room.RoomId, MemberId: bot.BotId})
	wantCollabException[*types.NotFoundException](t, err, types.ErrorCodeNotFound)
	list, err := intruder.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &theirs})
	if err != nil || len(list.Rooms) != 1 {
		t.Fatalf("ListRooms=%+v, %v", list, err)
	}
}

// TestServer_CollabAuditAndFaults checks that collaboration writes are
// audited without their secrets, and that fault rules with an ErrorCode
// target BatchCreateRoomMembership items (D42).
func TestServer_CollabAuditAndFaults(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	bot := e.MustBot(acct, "audited", true)
	room := e.MustRoom(acct, "room")
	u1, u2 := e.MustUser(acct, "1@example.com"), e.MustUser(acct, "2@example.com")
	e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId, MemberId: &u1})
	posted := e.cp("POST", "/_openchime/accounts/"+acct+"/rooms/"+*room.RoomId+"/messages", map[string]string{"Content": "top secret"}, http.StatusCreated)
	msgID := posted["Message"].(map[string]any)["MessageId"].(string)
	if _, err := e.client.RedactRoomMessage(ctx, &awschime.RedactRoomMessageInput{AccountId: &acct, RoomId: room.RoomId, MessageId: &msgID}); err != nil {
		t.Fatal(err)
	}

	raw, _ := json.Marshal(e.cp("GET", "/_openchime/audit?account-id="+acct, nil, http.StatusOK))
	for _, op := range []string{"CreateBot", "PutEventsConfiguration", "CreateRoom", "CreateRoomMembership", "RedactRoomMessage"} {
		if !strings.Contains(string(raw), `"Operation":"`+op+`"`) {
			t.Errorf("audit log has no %s event", op)
		}
	}
	if strings.Contains(string(raw), *bot.SecurityToken) || strings.Contains(string(raw), "top secret") {
		t.Errorf("audit log leaks the bot token or the redacted content: %s", raw)
	}

	e.cp("POST", "/_openchime/faults", map[string]string{"Operation": "BatchCreateRoomMembership", "UserId": u2, "ErrorCode": "ServiceFailure"}, http.StatusCreated)
	out, err := e.client.BatchCreateRoomMembership(ctx, &awschime.BatchCreateRoomMembershipInput{AccountId: &acct, RoomId: room.RoomId,
		MembershipItemList: []types.MembershipItem{{MemberId: &u2}, {MemberId: bot.BotId}}})
	if err != nil || len(out.Errors) != 1 || *out.Errors[0].MemberId != u2 || out.Errors[0].ErrorCode != types.ErrorCodeServiceFailure {
		t.Fatalf("batch with a fault=%+v, %v", out, err)
	}
}

// ListRooms with MemberId pages through the member's rooms in the rooms'
// creation order (D22, D43), whatever order the member joined them in:
// the membership index lists them by room id, the Service orders them.
func TestServer_ListRoomsOfMemberPages(t *testing.T) {
	e := newCollabClient(t)
	ctx := context.Background()
	acct := e.MustEnterprise()
	user := e.MustUser(acct, "alice@example.com")
	var want []string
	for i := range 5 {
		want = append(want, *e.MustRoom(acct, fmt.Sprint("room ", i)).RoomId)
	}
	for _, i := range []int{3, 0, 4, 1, 2} {
		e.tick()
		if _, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: &want[i], MemberId: &user}); err != nil {
			t.Fatal(err)
		}
	}
	e.MustRoom(acct, "not a member's")
	var got []string
	var token *string
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatalf("more than 5 pages of 2 rooms")
		}
		out, err := e.client.ListRooms(ctx, &awschime.ListRoomsInput{AccountId: &acct, MemberId: &user, MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Rooms {
			got = append(got, *r.RoomId)
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rooms of the member (-want +got):\n%s", diff)
	}
}
