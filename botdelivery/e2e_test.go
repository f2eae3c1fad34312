package botdelivery_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	"github.com/aws/smithy-go"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/botdelivery"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/metrics"
	"github.com/openchime/openchime/sqlite"
	"github.com/openchime/openchime/storetest"
)

// sampleBot plays the AWS sample chat bot: an HTTPS endpoint that answers
// the verification challenge, checks Chime-Signature on every request with
// its own HMAC (not the server's), and answers a Mention or a Message by
// posting to the event's InboundHttpsEndpoint.Url.
type sampleBot struct {
	t      *testing.T
	srv    *httptest.Server
	token  atomic.Pointer[string]
	mode   atomic.Pointer[string] // "", "wrong-challenge", "500", "slow", "fail-events", "no-reply"
	badSig atomic.Int32

	mu       sync.Mutex
	events   []map[string]any // every signed non-verification request, in arrival order
	bodies   [][]byte
	stamps   []string
	verified [][]byte // verification bodies
	arrived  chan struct{}
}

func newSampleBot(t *testing.T) *sampleBot {
	b := &sampleBot{t: t, arrived: make(chan struct{}, 100)}
	b.setMode("")
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(b.serve))
	b.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes cut short when a test ends
	b.srv.StartTLS()
	t.Cleanup(b.srv.Close)
	return b
}

func (b *sampleBot) setMode(m string) { b.mode.Store(&m) }

func (b *sampleBot) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	stamp := r.Header.Get("Chime-Request-Timestamp")
	if tok := b.token.Load(); tok != nil {
		mac := hmac.New(sha256.New, []byte(*tok))
		mac.Write([]byte(stamp + "|" + string(body)))
		if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); r.Header.Get("Chime-Signature") != want || stamp == "" {
			b.badSig.Add(1)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
	}
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	mode := *b.mode.Load()
	if ev["EventType"] == "HTTPSEndpointVerification" {
		b.mu.Lock()
		b.verified = append(b.verified, body)
		b.mu.Unlock()
		switch mode {
		case "wrong-challenge":
			json.NewEncoder(w).Encode(map[string]string{"Challenge": "not-the-one"})
		case "500":
			http.Error(w, "down", http.StatusInternalServerError)
		case "slow":
			time.Sleep(2500 * time.Millisecond)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"Challenge": ev["Challenge"]})
		}
		return
	}
	b.mu.Lock()
	b.events = append(b.events, ev)
	b.bodies = append(b.bodies, body)
	b.stamps = append(b.stamps, stamp)
	b.mu.Unlock()
	defer func() { b.arrived <- struct{}{} }()
	if mode == "fail-events" {
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	if (ev["EventType"] == "Mention" || ev["EventType"] == "Message") && mode != "no-reply" {
		url := ev["InboundHttpsEndpoint"].(map[string]any)["Url"].(string)
		resp, err := http.Post(url, "application/json", strings.NewReader(`{"Content":"pong from the bot"}`))
		if err != nil {
			b.t.Errorf("bot reply: %v", err)
		} else {
			if resp.StatusCode != http.StatusOK {
				raw, _ := io.ReadAll(resp.Body)
				b.t.Errorf("bot reply: status %d: %s", resp.StatusCode, raw)
			}
			resp.Body.Close()
		}
	}
	w.WriteHeader(http.StatusOK)
}

// verifications returns the verification bodies received so far.
func (b *sampleBot) verifications() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.verified...)
}

// waitEvents waits until the bot has received n events.
func (b *sampleBot) waitEvents(n int) []map[string]any {
	b.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		got := append([]map[string]any(nil), b.events...)
		b.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-b.arrived:
		case <-deadline:
			b.t.Fatalf("the bot received %d events, want %d: %v", len(got), n, got)
		}
	}
}

// env is OpenChime with bot events wired as openchime serve wires them,
// over a store that runs every transaction twice (the first rolled back),
// so an event sent from inside a transaction would arrive twice.
type env struct {
	t       *testing.T
	url     string
	svc     *openchime.Service
	client  *awschime.Client
	metrics *metrics.Metrics
	bot     *sampleBot
}

func newEnv(t *testing.T, bot *sampleBot, configure func(*openchime.Service), options ...func(*botdelivery.Config)) *env {
	t.Helper()
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := openchime.NewService(storetest.RetryEveryTx(store))
	if configure != nil {
		configure(svc)
	}
	m := metrics.New()
	cfg := botdelivery.Config{
		Client: bot.srv.Client(), Observer: m, Now: svc.Clock.Now, Logger: slog.New(slog.DiscardHandler),
	}
	for _, o := range options {
		o(&cfg)
	}
	d := botdelivery.New(cfg)
	t.Cleanup(d.Close)
	svc.BotEvents = d
	api := httpapi.NewServer(svc)
	api.Logger = slog.New(slog.DiscardHandler)
	api.Metrics = m.Handler()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	client := awschime.New(awschime.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
	return &env{t: t, url: srv.URL, svc: svc, client: client, metrics: m, bot: bot}
}

// do calls the server and returns the status, the x-amzn-ErrorType and the
// decoded JSON answer.
func (e *env) do(method, path string, body any) (int, string, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, path, rd)
	if !strings.HasPrefix(path, "http") {
		req, _ = http.NewRequest(method, e.url+path, rd)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), out
}

func (e *env) cp(method, path string, body any, want int) map[string]any {
	e.t.Helper()
	st, _, out := e.do(method, path, body)
	if st != want {
		e.t.Fatalf("%s %s: status %d, want %d: %v", method, path, st, want, out)
	}
	return out
}

// setup makes an Enterprise account, a user, a room and a bot whose events
// go to the sample bot; it returns their ids.
func (e *env) setup() (acct, user, room, botID string) {
	e.t.Helper()
	ctx := context.Background()
	acct = e.cp("POST", "/_openchime/accounts", map[string]string{"Name": "corp", "AccountType": "EnterpriseLWA"}, 201)["Account"].(map[string]any)["AccountId"].(string)
	user = e.cp("POST", "/_openchime/accounts/"+acct+"/users", map[string]string{"PrimaryEmail": "alice@example.com", "DisplayName": "Alice"}, 201)["User"].(map[string]any)["UserId"].(string)
	bot, err := e.client.CreateBot(ctx, &awschime.CreateBotInput{AccountId: &acct, DisplayName: aws.String("Echo Bot"), Domain: aws.String("example.com")})
	if err != nil {
		e.t.Fatalf("CreateBot: %v", err)
	}
	e.bot.token.Store(bot.Bot.SecurityToken)
	if _, err := e.client.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{
		AccountId: &acct, BotId: bot.Bot.BotId, OutboundEventsHTTPSEndpoint: aws.String(e.bot.srv.URL + "/events"),
	}); err != nil {
		e.t.Fatalf("PutEventsConfiguration: %v", err)
	}
	r, err := e.client.CreateRoom(ctx, &awschime.CreateRoomInput{AccountId: &acct, Name: aws.String("ops")})
	if err != nil {
		e.t.Fatalf("CreateRoom: %v", err)
	}
	if _, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: r.Room.RoomId, MemberId: &user}); err != nil {
		e.t.Fatalf("CreateRoomMembership of the user: %v", err)
	}
	return acct, user, *r.Room.RoomId, *bot.Bot.BotId
}

func field(ev map[string]any, path ...string) any {
	var v any = ev
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func (e *env) messages(path string) []map[string]any {
	out := e.cp("GET", path, nil, 200)
	var list []map[string]any
	for _, m := range out["Messages"].([]any) {
		list = append(list, m.(map[string]any))
	}
	return list
}

// waitMessage waits for a message from sender in the listing at path.
func (e *env) waitMessage(path, sender, content string) {
	e.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, m := range e.messages(path) {
			if m["SenderId"] == sender && m["Content"] == content {
				return
			}
		}
	}
	e.t.Fatalf("no message %q from %s in %s: %v", content, sender, path, e.messages(path))
}

// TestSampleChatBot runs the AWS sample chat bot's README against the
// server: create-bot, put-events-configuration, invite the bot, @mention it;
// its reply must land in the room.
func TestSampleChatBot(t *testing.T) {
	bot := newSampleBot(t)
	e := newEnv(t, bot, nil)
	ctx := context.Background()
	acct, user, room, botID := e.setup()
	if n := len(bot.verifications()); n != 1 {
		t.Fatalf("verification requests = %d, want 1", n)
	}

	if _, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: &room, MemberId: &botID}); err != nil {
		t.Fatalf("CreateRoomMembership: %v", err)
	}
	inv := bot.waitEvents(1)[0]
	if inv["EventType"] != "Invite" || field(inv, "Discussion", "DiscussionId") != room || field(inv, "Discussion", "DiscussionType") != "Room" ||
		field(inv, "InboundHttpsEndpoint", "EndpointType") != "Persistent" || field(inv, "Sender", "SenderIdType") != "EmailId" ||
		field(inv, "EventTimestamp") == nil || inv["Message"] != nil {
		t.Errorf("Invite = %v", inv)
	}
	if u, _ := field(inv, "InboundHttpsEndpoint", "Url").(string); !strings.HasPrefix(u, e.url+"/incomingwebhooks/") || !strings.Contains(u, "?token=") {
		t.Errorf("Invite Url = %q, want %s/incomingwebhooks/{id}?token=…", u, e.url)
	}

	roomMsgs := "/_openchime/accounts/" + acct + "/rooms/" + room + "/messages"
	e.cp("POST", roomMsgs, map[string]string{"SenderId": user, "Content": "nothing for bots here"}, 201)
	e.cp("POST", roomMsgs, map[string]string{"SenderId": user, "Content": "@Echo Bot what is the status?"}, 201)
	men := bot.waitEvents(2)[1]
	if men["EventType"] != "Mention" || men["Message"] != "@Echo Bot what is the status?" ||
		field(men, "Sender", "SenderId") != "alice@example.com" || field(men, "InboundHttpsEndpoint", "EndpointType") != "ShortLived" {
		t.Errorf("Mention = %v", men)
	}
	e.waitMessage(roomMsgs, botID, "pong from the bot")

	// A 1:1 conversation: every message reaches the bot as Message.
	conv := e.cp("POST", "/_openchime/accounts/"+acct+"/conversations", map[string]any{"MemberIds": []string{user, botID}}, 201)["Conversation"].(map[string]any)["ConversationId"].(string)
	convMsgs := "/_openchime/accounts/" + acct + "/conversations/" + conv + "/messages"
	e.cp("POST", convMsgs, map[string]string{"SenderId": user, "Content": "hi bot"}, 201)
	msg := bot.waitEvents(3)[2]
	if msg["EventType"] != "Message" || field(msg, "Discussion", "DiscussionType") != "Conversation" || field(msg, "Discussion", "DiscussionId") != conv || msg["Message"] != "hi bot" {
		t.Errorf("Message = %v", msg)
	}
	e.waitMessage(convMsgs, botID, "pong from the bot")

	if _, err := e.client.DeleteRoomMembership(ctx, &awschime.DeleteRoomMembershipInput{AccountId: &acct, RoomId: &room, MemberId: &botID}); err != nil {
		t.Fatalf("DeleteRoomMembership: %v", err)
	}
	rem := bot.waitEvents(4)[3]
	if rem["EventType"] != "Remove" || field(rem, "Discussion", "DiscussionId") != room {
		t.Errorf("Remove = %v", rem)
	}
	// The Remove URL no longer posts: the bot left the room.
	st, typ, _ := e.do("POST", field(rem, "InboundHttpsEndpoint", "Url").(string), map[string]string{"Content": "still here?"})
	if st != http.StatusForbidden || typ != "ForbiddenException" {
		t.Errorf("post after Remove: %d %s, want 403 ForbiddenException", st, typ)
	}

	time.Sleep(100 * time.Millisecond)
	if got := bot.waitEvents(4); len(got) != 4 {
		t.Errorf("the bot received %d events, want exactly 4 (one per change, though every transaction ran twice): %v", len(got), got)
	}
	if n := bot.badSig.Load(); n != 0 {
		t.Errorf("%d requests had a wrong Chime-Signature", n)
	}
	list := e.cp("GET", "/_openchime/accounts/"+acct+"/bots/"+botID+"/deliveries", nil, 200)["Deliveries"].([]any)
	if len(list) != 4 {
		t.Fatalf("deliveries = %v, want 4", list)
	}
	for i, want := range []string{"Invite", "Mention", "Message", "Remove"} {
		d := list[i].(map[string]any)
		if d["EventType"] != want || d["Status"] != "Delivered" || d["Attempts"] != 1.0 || d["Target"] != bot.srv.URL+"/events" {
			t.Errorf("delivery %d = %v, want %s Delivered in 1 attempt", i, d, want)
		}
	}
	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`openchime_bot_events_total{event="Mention",outcome="delivered"} 1`, `openchime_bot_event_attempts_total{event="Invite"} 1`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestPutEventsConfiguration_Verification: nothing is stored unless the
// endpoint echoes the challenge with a 200 in time; the 400 says what the
// endpoint answered.
func TestPutEventsConfiguration_Verification(t *testing.T) {
	bot := newSampleBot(t)
	e := newEnv(t, bot, nil)
	ctx := context.Background()
	acct := e.cp("POST", "/_openchime/accounts", map[string]string{"Name": "corp", "AccountType": "EnterpriseLWA"}, 201)["Account"].(map[string]any)["AccountId"].(string)
	b, err := e.client.CreateBot(ctx, &awschime.CreateBotInput{AccountId: &acct, DisplayName: aws.String("Echo"), Domain: aws.String("example.com")})
	if err != nil {
		t.Fatal(err)
	}
	bot.token.Store(b.Bot.SecurityToken)
	closed := httptest.NewTLSServer(http.NotFoundHandler())
	closed.Close()
	for _, tc := range []struct {
		mode, endpoint, want string
	}{
		{"wrong-challenge", bot.srv.URL, `echoed Challenge "not-the-one"`},
		{"500", bot.srv.URL, "answered HTTP 500"},
		{"slow", bot.srv.URL, "no answer within 2s"},
		{"", closed.URL, "could not reach the endpoint"},
	} {
		t.Run(tc.mode+tc.endpoint[len(tc.endpoint)-2:], func(t *testing.T) {
			bot.setMode(tc.mode)
			start := time.Now()
			_, err := e.client.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{AccountId: &acct, BotId: b.Bot.BotId, OutboundEventsHTTPSEndpoint: &tc.endpoint})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "BadRequestException" || !strings.Contains(ae.ErrorMessage(), tc.want) {
				t.Fatalf("PutEventsConfiguration: %v, want BadRequestException saying %q", err, tc.want)
			}
			if d := time.Since(start); d > 2800*time.Millisecond {
				t.Errorf("the verification took %s, want at most about 2s", d)
			}
			if _, err := e.client.GetEventsConfiguration(ctx, &awschime.GetEventsConfigurationInput{AccountId: &acct, BotId: b.Bot.BotId}); !errors.As(err, &ae) || ae.ErrorCode() != "NotFoundException" {
				t.Errorf("GetEventsConfiguration after a failed verification: %v, want NotFoundException (nothing stored)", err)
			}
		})
	}
	var body map[string]string
	v := bot.verifications()
	if err := json.Unmarshal(v[0], &body); err != nil || body["EventType"] != "HTTPSEndpointVerification" || len(body["Challenge"]) != 20 {
		t.Errorf("verification body %s", v[0])
	}
}

// TestDelivery_RetriesOn500: an endpoint answering 500 gets the event three
// times (the guide's two retries, each with a new timestamp), the API call
// that caused it returns at once, and the deliveries listing shows it.
func TestDelivery_RetriesOn500(t *testing.T) {
	bot := newSampleBot(t)
	e := newEnv(t, bot, nil)
	acct, _, room, botID := e.setup()
	bot.setMode("fail-events")
	start := time.Now()
	if _, err := e.client.CreateRoomMembership(context.Background(), &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: &room, MemberId: &botID}); err != nil {
		t.Fatalf("CreateRoomMembership: %v", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("CreateRoomMembership took %s: the delivery blocked it", d)
	}
	bot.waitEvents(3)
	path := "/_openchime/accounts/" + acct + "/bots/" + botID + "/deliveries"
	var d map[string]any
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		d = e.cp("GET", path, nil, 200)["Deliveries"].([]any)[0].(map[string]any)
		if d["Status"] != "Pending" {
			break
		}
	}
	if d["EventType"] != "Invite" || d["Status"] != "Failed" || d["Attempts"] != 3.0 || d["LastStatusCode"] != 500.0 || !strings.Contains(d["LastError"].(string), "HTTP 500") {
		t.Errorf("delivery = %v, want Invite Failed after 3 attempts with 500", d)
	}
	bot.mu.Lock()
	stamps := bot.stamps
	bot.mu.Unlock()
	if len(stamps) != 3 || stamps[0] == stamps[1] || stamps[1] == stamps[2] {
		t.Errorf("Chime-Request-Timestamp of the attempts = %v, want 3 distinct", stamps)
	}
	time.Sleep(700 * time.Millisecond)
	if got := bot.waitEvents(3); len(got) != 3 {
		t.Errorf("attempts = %d, want 3", len(got))
	}
}

// TestIncomingWebhook: a control-plane webhook member gets a URL that posts
// to its room; an unknown id is 404 and a wrong token 403, storing nothing.
func TestIncomingWebhook(t *testing.T) {
	bot := newSampleBot(t)
	e := newEnv(t, bot, nil)
	acct, _, room, botID := e.setup()
	out := e.cp("POST", "/_openchime/accounts/"+acct+"/rooms/"+room+"/webhooks", map[string]string{"Name": "CI"}, 201)
	hookURL := out["Webhook"].(map[string]any)["Url"].(string)
	member := out["RoomMembership"].(map[string]any)["Member"].(map[string]any)["MemberId"].(string)
	if !strings.HasPrefix(hookURL, e.url+"/incomingwebhooks/") {
		t.Fatalf("webhook Url = %s", hookURL)
	}
	base, token, _ := strings.Cut(hookURL, "?token=")
	roomMsgs := "/_openchime/accounts/" + acct + "/rooms/" + room + "/messages"
	for _, tc := range []struct {
		name, url, body string
		status          int
		typ             string
	}{
		{"wrong token", base + "?token=" + strings.Repeat("x", len(token)), `{"Content":"hi"}`, 403, "ForbiddenException"},
		{"no token", base, `{"Content":"hi"}`, 403, "ForbiddenException"},
		{"wrong token, bad body", base + "?token=nope", `{"Nope":1}`, 403, "ForbiddenException"},
		{"unknown id", e.url + "/incomingwebhooks/00000000-0000-4000-8000-000000000000?token=" + token, `{"Content":"hi"}`, 404, "NotFoundException"},
		{"blank content", hookURL, `{"Content":"  "}`, 400, "BadRequestException"},
		{"not an object", hookURL, `["hi"]`, 400, "BadRequestException"},
		{"not UTF-8", hookURL, "{\"Content\":\"bad\xff\"}", 400, "BadRequestException"},
		{"not an id", e.url + "/incomingwebhooks/%00%ff?token=" + token, `{"Content":"hi"}`, 404, "NotFoundException"},
		{"nested path", base + "/x?token=" + token, `{"Content":"hi"}`, 404, "NotFoundException"},
		{"Content not a string", hookURL, `{"Content":1}`, 400, "BadRequestException"},
	} {
		resp, err := http.Post(tc.url, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var eb struct{ Code, Message string }
		json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("x-amzn-ErrorType") != tc.typ || eb.Message == "" {
			t.Errorf("%s: %d %s %+v, want %d %s", tc.name, resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), eb, tc.status, tc.typ)
		}
	}
	if msgs := e.messages(roomMsgs); len(msgs) != 0 {
		t.Fatalf("refused posts stored messages: %v", msgs)
	}
	// A webhook message mentioning the bot (in the room) reaches it.
	if _, err := e.client.CreateRoomMembership(context.Background(), &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: &room, MemberId: &botID}); err != nil {
		t.Fatal(err)
	}
	bot.waitEvents(1)
	bot.setMode("no-reply")
	st, _, ans := e.do("POST", hookURL, map[string]string{"Content": "build green, @echobot-chimebot@example.com"})
	if st != 200 || ans["RoomId"] != room || ans["MessageId"] == "" {
		t.Fatalf("webhook post: %d %v", st, ans)
	}
	e.waitMessage(roomMsgs, member, "build green, @echobot-chimebot@example.com")
	if men := bot.waitEvents(2)[1]; men["EventType"] != "Mention" || field(men, "Sender", "SenderId") != member {
		t.Errorf("Mention from the webhook = %v", men)
	}
	// A suspended account takes no messages (D11); no API suspends an
	// Enterprise account, so the store is changed directly.
	err := e.svc.Store.Update(context.Background(), func(tx openchime.Tx) error {
		a, err := tx.Account(context.Background(), acct)
		if err != nil {
			return err
		}
		a.Status = openchime.AccountSuspended
		return tx.PutAccount(context.Background(), a)
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, typ, _ := e.do("POST", hookURL, map[string]string{"Content": "while suspended"}); st != 403 || typ != "ForbiddenException" {
		t.Errorf("post to a suspended account: %d %s, want 403 ForbiddenException", st, typ)
	}
	if n := len(e.messages(roomMsgs)); n != 1 {
		t.Errorf("room has %d messages after the refused post, want 1", n)
	}
}

// TestBotEvents_Reproducible: under seeded ids and a frozen clock, the
// challenge and the event bodies are the same from one run to the next (up
// to the server's own address, a random port here).
func TestBotEvents_Reproducible(t *testing.T) {
	run := func() []string {
		bot := newSampleBot(t)
		e := newEnv(t, bot, func(svc *openchime.Service) {
			svc.IDs = openchime.NewSeededIDs(42)
			c := &openchime.ControlClock{}
			c.Freeze()
			c.Set(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
			svc.Clock = c
		})
		acct, user, room, botID := e.setup()
		e.client.CreateRoomMembership(context.Background(), &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: &room, MemberId: &botID})
		bot.waitEvents(1)
		bot.setMode("no-reply")
		e.cp("POST", "/_openchime/accounts/"+acct+"/rooms/"+room+"/messages", map[string]string{"SenderId": user, "Content": "@Echo Bot hi"}, 201)
		bot.waitEvents(2)
		bot.mu.Lock()
		defer bot.mu.Unlock()
		out := []string{string(bot.verified[0])}
		for _, b := range bot.bodies {
			out = append(out, strings.ReplaceAll(string(b), e.url, "SERVER"))
		}
		return out
	}
	a, b := run(), run()
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("two seeded runs differ:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	if !strings.Contains(a[2], `"EventTimestamp":"2030-01-02T03:04:05.000Z"`) {
		t.Errorf("Mention body %s lacks the frozen clock's EventTimestamp", a[2])
	}
}

// TestBatchInviteAndDeleteRoom: a bot added by BatchCreateRoomMembership
// gets one Invite, and one Remove when its room is deleted.
func TestBatchInviteAndDeleteRoom(t *testing.T) {
	bot := newSampleBot(t)
	e := newEnv(t, bot, nil)
	ctx := context.Background()
	acct, _, room, botID := e.setup()
	out, err := e.client.BatchCreateRoomMembership(ctx, &awschime.BatchCreateRoomMembershipInput{AccountId: &acct, RoomId: &room,
		MembershipItemList: []types.MembershipItem{{MemberId: &botID}, {MemberId: aws.String("ghost")}}})
	if err != nil || len(out.Errors) != 1 {
		t.Fatalf("BatchCreateRoomMembership: %v %v", err, out)
	}
	if ev := bot.waitEvents(1)[0]; ev["EventType"] != "Invite" || field(ev, "Discussion", "DiscussionId") != room {
		t.Errorf("event = %v, want the Invite", ev)
	}
	if _, err := e.client.DeleteRoom(ctx, &awschime.DeleteRoomInput{AccountId: &acct, RoomId: &room}); err != nil {
		t.Fatal(err)
	}
	if ev := bot.waitEvents(2)[1]; ev["EventType"] != "Remove" || field(ev, "Discussion", "DiscussionId") != room {
		t.Errorf("event = %v, want the Remove", ev)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(bot.waitEvents(2)); n != 2 {
		t.Errorf("the bot got %d events, want 2", n)
	}
}
