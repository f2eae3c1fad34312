package chimetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/smithy-go"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/chimetest"
)

// TestWithBotEvents: with the option, PutEventsConfiguration verifies the
// endpoint and an invited bot gets its Invite with a URL on this server.
func TestWithBotEvents(t *testing.T) {
	events := make(chan map[string]any, 10)
	bot := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		json.NewDecoder(r.Body).Decode(&ev)
		if ev["EventType"] == "HTTPSEndpointVerification" {
			json.NewEncoder(w).Encode(map[string]any{"Challenge": ev["Challenge"]})
			return
		}
		events <- ev
	}))
	defer bot.Close()
	for _, tc := range []struct {
		name string
		opts []chimetest.Option
	}{{"with", []chimetest.Option{chimetest.WithBotEvents(bot.Client())}}, {"without", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := chimetest.NewServer(t, tc.opts...)
			ctx := context.Background()
			c := srv.Client()
			acct := srv.CreateAccount(t, openchime.EnterpriseLWA).ID
			b, err := c.CreateBot(ctx, &awschime.CreateBotInput{AccountId: &acct, DisplayName: aws.String("Bot"), Domain: aws.String("example.com")})
			if err != nil {
				t.Fatal(err)
			}
			// An endpoint that cannot answer: refused with the option only.
			_, err = c.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{AccountId: &acct, BotId: b.Bot.BotId, OutboundEventsHTTPSEndpoint: aws.String("https://127.0.0.1:1/")})
			var ae smithy.APIError
			if refused := errors.As(err, &ae) && ae.ErrorCode() == "BadRequestException"; refused != (tc.name == "with") {
				t.Errorf("PutEventsConfiguration to a closed port: %v", err)
			}
			if _, err := c.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{AccountId: &acct, BotId: b.Bot.BotId, OutboundEventsHTTPSEndpoint: aws.String(bot.URL)}); err != nil {
				t.Fatal(err)
			}
			room, err := c.CreateRoom(ctx, &awschime.CreateRoomInput{AccountId: &acct, Name: aws.String("r")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: room.Room.RoomId, MemberId: b.Bot.BotId}); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-events:
				url, _ := ev["InboundHttpsEndpoint"].(map[string]any)["Url"].(string)
				if tc.name == "without" || ev["EventType"] != "Invite" || !strings.HasPrefix(url, srv.URL()+"/incomingwebhooks/") {
					t.Errorf("event %v", ev)
				}
			case <-time.After(map[bool]time.Duration{true: 5 * time.Second, false: 300 * time.Millisecond}[tc.name == "with"]):
				if tc.name == "with" {
					t.Errorf("no Invite arrived")
				}
			}
		})
	}
}
