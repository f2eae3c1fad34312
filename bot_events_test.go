package openchime

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// The Mention example of the Administration Guide, "Amazon Chime events sent
// to chatbots" (events-bots.html), compacted.
const guideMention = `{"Sender":{"SenderId":"user@example.com","SenderIdType":"EmailId"},` +
	`"Discussion":{"DiscussionId":"abcdef12-g34h-56i7-j8kl-mn9opqr012st","DiscussionType":"Room"},` +
	`"EventType":"Mention",` +
	`"InboundHttpsEndpoint":{"EndpointType":"ShortLived","Url":"https://hooks.a.chime.aws/incomingwebhooks/a1b2c34d-5678-90e1-f23g-h45i67j8901k?token=ABCDefGHiJK1LMnoP2Q3RST4uvwxYZAbC56DeFghIJkLM7N8OP9QRsTuV0WXYZABcdefgHiJ"},` +
	`"EventTimestamp":"2019-04-04T21:30:43.181Z","Message":"@botDisplayName@example.com Hello Chatbot"}`

func TestBotEvent_GuideShape(t *testing.T) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(guideMention)); err != nil {
		t.Fatal(err)
	}
	s := &Service{}
	b := &Bot{ID: "bot", AccountID: "acct", SecurityToken: "tok"}
	h := &IncomingWebhook{ID: "a1b2c34d-5678-90e1-f23g-h45i67j8901k", Token: "ABCDefGHiJK1LMnoP2Q3RST4uvwxYZAbC56DeFghIJkLM7N8OP9QRsTuV0WXYZABcdefgHiJ",
		RoomID: "abcdef12-g34h-56i7-j8kl-mn9opqr012st"}
	s.BaseURL = "https://hooks.a.chime.aws"
	msg := "@botDisplayName@example.com Hello Chatbot"
	at := time.Date(2019, 4, 4, 21, 30, 43, 181e6, time.UTC)
	ev := s.botEvent(t.Context(), b, &EventsConfiguration{OutboundEventsHTTPSEndpoint: "https://bot"}, BotEventMention,
		botSender{SenderId: "user@example.com", SenderIdType: "EmailId"}, h, &msg, at)
	if got := string(ev.Body); got != compact.String() {
		t.Errorf("Mention body\n got %s\nwant %s", got, compact.String())
	}
	if ev.Type != BotEventMention || ev.BotID != "bot" || ev.SecurityToken != "tok" {
		t.Errorf("event = %+v", ev)
	}
	inv := s.botEvent(t.Context(), b, &EventsConfiguration{}, BotEventInvite, botSender{"u", "EmailId"}, h, nil, at)
	var got map[string]any
	if err := json.Unmarshal(inv.Body, &got); err != nil {
		t.Fatal(err)
	}
	if ep := got["InboundHttpsEndpoint"].(map[string]any)["EndpointType"]; ep != "Persistent" {
		t.Errorf("Invite EndpointType = %v, want Persistent", ep)
	}
	if _, ok := got["Message"]; ok {
		t.Errorf("Invite has a Message: %s", inv.Body)
	}
	conv := s.botEvent(t.Context(), b, &EventsConfiguration{}, BotEventMessage, botSender{"u", "EmailId"},
		&IncomingWebhook{ID: "h", Token: "t", ConversationID: "c1"}, &msg, at)
	if want := `"Discussion":{"DiscussionId":"c1","DiscussionType":"Conversation"}`; !bytes.Contains(conv.Body, []byte(want)) {
		t.Errorf("Message body %s lacks %s", conv.Body, want)
	}
}

func TestVerificationBody(t *testing.T) {
	want := `{"EventType":"HTTPSEndpointVerification","Challenge":"00000000000000000000"}`
	if got := string(verificationBody("00000000000000000000")); got != want {
		t.Errorf("verificationBody = %s, want %s", got, want)
	}
}

// TestSignBotRequest checks the signature against one computed apart, with
// Python's hmac: base64(HMAC-SHA256(token, timestamp + "|" + body)).
func TestSignBotRequest(t *testing.T) {
	body := verificationBody("00000000000000000000")
	got := SignBotRequest("ABCDefGHiJK1LMnoP2Q3RST4uvwxYZAbC56DeFgh", "2019-04-04T21:30:43.181Z", body)
	if want := "L0QqL77iecErFcT38W0KYRAqiNxFa0VeFi+eKOwSqTU="; got != want {
		t.Errorf("SignBotRequest = %s, want %s", got, want)
	}
	if got := BotTimestamp(time.Date(2019, 4, 4, 21, 30, 43, 0, time.UTC)); got != "2019-04-04T21:30:43.000Z" {
		t.Errorf("BotTimestamp = %s, want milliseconds always written", got)
	}
}

func TestBotMentioned(t *testing.T) {
	b := &Bot{DisplayName: "Echo Bot", Email: "EchoBot-chimebot@example.com"}
	for content, want := range map[string]bool{
		"@Echo Bot hello":                       true,
		"hi @echo bot":                          true,
		"@Echo Bot, please":                     true,
		"@echobot-chimebot@example.com ping":    true,
		"@Echo Botany is not the bot":           false,
		"@Echo Bot_2 is another":                false,
		"Echo Bot without the at sign":          false,
		"@Echo":                                 false,
		"@Echo Botx then @Echo Bot":             true,
		"mail echobot-chimebot@example.com now": false,
	} {
		if got := botMentioned(content, b); got != want {
			t.Errorf("botMentioned(%q) = %v, want %v", content, got, want)
		}
	}
}
