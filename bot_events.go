package openchime

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bot events, as Chime sends them (decision D44). The Service decides which
// events a change causes and what they say; a BotEvents implementation
// (package botdelivery) carries them to the bot's endpoint, after the change
// committed.
//
// The shapes follow the Amazon Chime Administration Guide, "Amazon Chime
// events sent to chatbots" (https://docs.aws.amazon.com/chime/latest/ag/events-bots.html),
// and the signature "Authenticate chatbot requests"
// (https://docs.aws.amazon.com/chime/latest/ag/auth-bots.html).

// The event types of the guide, and Message for 1:1 conversations.
const (
	BotEventInvite       = "Invite"
	BotEventMention      = "Mention"
	BotEventRemove       = "Remove"
	BotEventMessage      = "Message"
	BotEventVerification = "HTTPSEndpointVerification"
)

// BotEvent is one event for one bot, ready to send: Body is the exact JSON
// the bot receives, signed at each attempt with SecurityToken.
type BotEvent struct {
	AccountID     string
	BotID         string
	Type          string
	SecurityToken string
	// Target is the bot's events configuration when the event was made.
	Target EventsConfiguration
	Body   []byte
}

// BotDelivery is what became of one event: the control plane lists a
// bot's recent ones.
type BotDelivery struct {
	EventType string
	// Status is Pending, Delivered, Failed or Dropped.
	Status      string
	Attempts    int
	LastError   string `json:",omitempty"`
	LastStatus  int    `json:",omitempty"` // the HTTP status of the last attempt
	Target      string // the endpoint or Lambda function ARN
	CreatedAt   time.Time
	CompletedAt time.Time `json:",omitempty"`
}

// BotEvents is the port the Service sends bot events through. Send must
// never block or fail the caller; VerifyEndpoint and VerifyLambda run while
// PutEventsConfiguration waits.
type BotEvents interface {
	// VerifyEndpoint posts the verification body (whose Challenge is
	// challenge), signed with token, to an HTTPS endpoint. It returns nil when
	// the endpoint answered 200 in time echoing the challenge, else an error
	// whose message says what the endpoint answered.
	VerifyEndpoint(ctx context.Context, endpoint, token string, body []byte, challenge string) error
	// VerifyLambda checks a Lambda function can be invoked (a dry run). It
	// returns nil when there is no Lambda endpoint to ask.
	VerifyLambda(ctx context.Context, arn string) error
	// Send queues ev for delivery and returns at once.
	Send(ev BotEvent)
	// Deliveries returns the bot's recent deliveries, oldest first.
	Deliveries(botID string) []BotDelivery
}

// SignBotRequest is the Chime-Signature of a request to a bot: base64 of the
// HMAC-SHA256, keyed with the bot's SecurityToken, of
// "<Chime-Request-Timestamp>|<body>" (auth-bots.html, steps 2-4).
func SignBotRequest(securityToken, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(securityToken))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'|'})
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// BotTimestamp formats t as Chime's event and request timestamps do:
// "2019-04-04T21:30:43.181Z" (events-bots.html, auth-bots.html).
func BotTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// The JSON of an event, its fields in the guide's order.
type botEventBody struct {
	Sender               *botSender          `json:",omitempty"`
	Discussion           *botDiscussion      `json:",omitempty"`
	EventType            string              `json:"EventType"`
	InboundHttpsEndpoint *botInboundEndpoint `json:",omitempty"`
	EventTimestamp       string              `json:",omitempty"`
	Message              *string             `json:",omitempty"`
	Challenge            string              `json:",omitempty"`
}

type botSender struct {
	SenderId     string
	SenderIdType string
}

type botDiscussion struct {
	DiscussionId   string
	DiscussionType string
}

type botInboundEndpoint struct {
	EndpointType string
	Url          string
}

// verificationBody is the endpoint check of PutEventsConfiguration, in the
// order the issue writes it: {"EventType":"HTTPSEndpointVerification","Challenge":"…"}.
func verificationBody(challenge string) []byte {
	b, _ := json.Marshal(struct{ EventType, Challenge string }{BotEventVerification, challenge})
	return b
}

func encodeBotEvent(b *botEventBody) []byte {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	// A message of "a < b" reaches the bot as written, not as \u003c.
	enc.SetEscapeHTML(false)
	enc.Encode(b)
	return []byte(strings.TrimSuffix(sb.String(), "\n"))
}

// botMentioned reports whether content mentions the bot: "@" followed by
// its display name as created or by its email, case-insensitively, and not
// followed by a character that would continue the name (decision D44).
func botMentioned(content string, b *Bot) bool {
	for _, name := range []string{b.DisplayName, b.Email} {
		if name != "" && mentions(content, name) {
			return true
		}
	}
	return false
}

func mentions(content, name string) bool {
	lc, ln := strings.ToLower(content), "@"+strings.ToLower(name)
	for i := 0; ; {
		j := strings.Index(lc[i:], ln)
		if j < 0 {
			return false
		}
		end := i + j + len(ln)
		r, _ := utf8.DecodeRuneInString(lc[end:])
		if end == len(lc) || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-') {
			return true
		}
		i += j + 1
	}
}
