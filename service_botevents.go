package openchime

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"
)

// Bot events and incoming webhooks (decision D44). Events are gathered in
// the transaction of their change (botEventList, reset each time the
// callback runs, since a store may run it again) and handed to BotEvents
// only once the change committed.

// Resource kinds of incoming webhooks.
const (
	kindIncomingWebhook = "incoming-webhook" // ID: webhook id; Scope: Chime account id
	kindMemberWebhook   = "member-webhook"   // ID: member id + "/" + room or conversation id; Scope: member id
)

// IncomingWebhook is a URL OpenChime serves for one member of one room or
// conversation: a bot's InboundHttpsEndpoint, or a webhook member's URL. A
// POST of {"Content":"…"} with the right token adds a message from MemberID.
type IncomingWebhook struct {
	ID             string
	Token          string
	AccountID      string
	RoomID         string `json:",omitempty"`
	ConversationID string `json:",omitempty"`
	MemberID       string
	CreatedAt      time.Time
}

// IncomingWebhookPath is where incoming webhooks are served, as Chime's
// https://hooks.chime.aws/incomingwebhooks/{id}?token={token}.
const IncomingWebhookPath = "/incomingwebhooks/"

// webhookTokenLen is the length of a webhook's token (Chime's are about 70
// characters of [A-Za-z0-9]).
const webhookTokenLen = 64

// botEventList collects the events of one transaction.
type botEventList []BotEvent

func (s *Service) botEventsOn() bool { return s.BotEvents != nil }

// sendBotEvents hands the events of a committed change to BotEvents.
func (s *Service) sendBotEvents(evs botEventList) {
	for _, ev := range evs {
		s.BotEvents.Send(ev)
	}
}

// webhookURL is the URL of h: on the host the current request reached the
// server at, else BaseURL (decision D44).
func (s *Service) webhookURL(ctx context.Context, h *IncomingWebhook) string {
	base := strings.TrimSuffix(s.BaseURL, "/")
	if c, ok := CallerFromContext(ctx); ok && c.Host != "" {
		scheme := "http://"
		if c.TLS {
			scheme = "https://"
		}
		base = scheme + c.Host
	}
	if base == "" {
		base = "http://127.0.0.1:4580"
	}
	return base + IncomingWebhookPath + h.ID + "?token=" + h.Token
}

// WebhookURL returns the URL of an incoming webhook for the request of ctx.
func (s *Service) WebhookURL(ctx context.Context, h *IncomingWebhook) string {
	return s.webhookURL(ctx, h)
}

func discussionID(h *IncomingWebhook) string {
	if h.RoomID != "" {
		return h.RoomID
	}
	return h.ConversationID
}

// memberWebhook returns the incoming webhook of the member in the room or
// conversation, creating it the first time.
func (s *Service) memberWebhook(ctx context.Context, tx Tx, accountID, memberID, roomID, conversationID string, now time.Time) (*IncomingWebhook, error) {
	disc := roomID + conversationID
	var ref struct{ WebhookID string }
	_, err := getDoc(ctx, tx, kindMemberWebhook, memberID+"/"+disc, &ref)
	if err == nil {
		var h IncomingWebhook
		if _, err := getDoc(ctx, tx, kindIncomingWebhook, ref.WebhookID, &h); err == nil {
			return &h, nil
		} else if !IsCode(err, NotFound) {
			return nil, err
		}
	} else if !IsCode(err, NotFound) {
		return nil, err
	}
	// Token's alphabet made URL-safe: '+' in a query reads as a space.
	token := strings.NewReplacer("+", "-", "/", "_").Replace(s.IDs.Token(webhookTokenLen))
	h := &IncomingWebhook{
		ID: s.IDs.UUID(), Token: token, AccountID: accountID, RoomID: roomID, ConversationID: conversationID,
		MemberID: memberID, CreatedAt: now,
	}
	if err := putDoc(ctx, tx, kindIncomingWebhook, h.ID, accountID, now, h); err != nil {
		return nil, err
	}
	if err := putDoc(ctx, tx, kindMemberWebhook, memberID+"/"+disc, memberID, now, map[string]string{"WebhookID": h.ID}); err != nil {
		return nil, err
	}
	return h, nil
}

// eventBot returns the bot and its configuration when the bot receives
// events: it exists, is not stopped, and has a configuration (else nil).
func eventBot(ctx context.Context, tx ReadTx, accountID, botID string) (*Bot, *EventsConfiguration, error) {
	b, err := botOf(ctx, tx, accountID, botID)
	if IsCode(err, NotFound) {
		return nil, nil, nil
	}
	if err != nil || b.Disabled {
		return nil, nil, err
	}
	c, err := eventsConfig(ctx, tx, botID)
	if err != nil || c == nil {
		return nil, nil, err
	}
	return b, c, nil
}

// senderOf is the Sender of an event caused by memberID (a user, bot or
// webhook member; "" for the API or control-plane caller). The guide shows
// only SenderIdType EmailId; a sender without an email is named by its
// principal ARN or member id (decision D44).
func (s *Service) senderOf(ctx context.Context, tx ReadTx, accountID, memberID string) botSender {
	if memberID == "" {
		return botSender{SenderId: s.principalARN(ctx), SenderIdType: "EmailId"}
	}
	if m, _, err := resolveMember(ctx, tx, accountID, memberID); err == nil && m.Email != "" {
		return botSender{SenderId: m.Email, SenderIdType: "EmailId"}
	}
	return botSender{SenderId: memberID, SenderIdType: "EmailId"}
}

// botEvent builds one event for bot b. Every event carries an
// InboundHttpsEndpoint, Persistent for Invite and ShortLived otherwise
// (issue 16; the guide's Remove example has none).
func (s *Service) botEvent(ctx context.Context, b *Bot, c *EventsConfiguration, typ string, sender botSender, h *IncomingWebhook, msg *string, now time.Time) BotEvent {
	disc := botDiscussion{DiscussionId: h.RoomID, DiscussionType: "Room"}
	if h.RoomID == "" {
		disc = botDiscussion{DiscussionId: h.ConversationID, DiscussionType: "Conversation"}
	}
	endpoint := "ShortLived"
	if typ == BotEventInvite {
		endpoint = "Persistent"
	}
	body := encodeBotEvent(&botEventBody{
		Sender: &sender, Discussion: &disc, EventType: typ,
		InboundHttpsEndpoint: &botInboundEndpoint{EndpointType: endpoint, Url: s.webhookURL(ctx, h)},
		EventTimestamp:       BotTimestamp(now), Message: msg,
	})
	return BotEvent{AccountID: b.AccountID, BotID: b.ID, Type: typ, SecurityToken: b.SecurityToken, Target: *c, Body: body}
}

// membershipEvent adds the Invite or Remove event of a bot membership
// change in a room (nothing for users, webhooks, or bots without events).
func (s *Service) membershipEvent(ctx context.Context, tx Tx, evs *botEventList, typ string, m *RoomMembership, now time.Time) error {
	if !s.botEventsOn() || m.Member.Type != MemberBot {
		return nil
	}
	b, c, err := eventBot(ctx, tx, m.Member.AccountID, m.Member.ID)
	if err != nil || b == nil {
		return err
	}
	h, err := s.memberWebhook(ctx, tx, b.AccountID, b.ID, m.RoomID, "", now)
	if err != nil {
		return err
	}
	*evs = append(*evs, s.botEvent(ctx, b, c, typ, s.senderOf(ctx, tx, b.AccountID, ""), h, nil, now))
	return nil
}

// messageEvents adds the events a new message causes: a Mention for each
// bot of the room it mentions, or a Message for each bot of the
// conversation; never to the message's own sender.
func (s *Service) messageEvents(ctx context.Context, tx Tx, evs *botEventList, m *Message, conversationMembers []string) error {
	if !s.botEventsOn() {
		return nil
	}
	var candidates []string
	typ := BotEventMessage
	if m.RoomID != "" {
		typ = BotEventMention
		members, _, err := listDocs[RoomMembership](ctx, tx, ResourceFilter{Kind: kindMembership, Scope: m.RoomID})
		if err != nil {
			return err
		}
		for _, mb := range members {
			if mb.Member.Type == MemberBot {
				candidates = append(candidates, mb.Member.ID)
			}
		}
	} else {
		candidates = conversationMembers
	}
	var sender *botSender
	for _, id := range candidates {
		if id == m.SenderID {
			continue
		}
		b, c, err := eventBot(ctx, tx, m.AccountID, id)
		if err != nil {
			return err
		}
		if b == nil || (typ == BotEventMention && !botMentioned(m.Content, b)) {
			continue
		}
		h, err := s.memberWebhook(ctx, tx, m.AccountID, b.ID, m.RoomID, m.ConversationID, m.CreatedAt)
		if err != nil {
			return err
		}
		if sender == nil {
			sd := s.senderOf(ctx, tx, m.AccountID, m.SenderID)
			sender = &sd
		}
		content := m.Content
		*evs = append(*evs, s.botEvent(ctx, b, c, typ, *sender, h, &content, s.now()))
	}
	return nil
}

// PostIncomingWebhook adds content to the room or conversation of the
// incoming webhook id as a message of its member (decision D44): an unknown
// id is NotFound, a wrong token Forbidden, and nothing is stored. A member
// that left, or a stopped bot, is Forbidden.
func (s *Service) PostIncomingWebhook(ctx context.Context, id, token, content string) (*Message, *IncomingWebhook, error) {
	var evs botEventList
	var h IncomingWebhook
	var m *Message
	err := s.Store.Update(ctx, func(tx Tx) error {
		evs = evs[:0]
		if _, err := getDoc(ctx, tx, kindIncomingWebhook, id, &h); IsCode(err, NotFound) {
			return Errorf(NotFound, "No incoming webhook %s exists.", id)
		} else if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(h.Token)) != 1 {
			return Errorf(Forbidden, "The token of incoming webhook %s is missing or wrong.", id)
		}
		if a, err := adminAccount(ctx, tx, h.AccountID); err != nil {
			return Errorf(NotFound, "The account of incoming webhook %s no longer exists.", id)
		} else if a.Status == AccountSuspended {
			return Errorf(Forbidden, "Account %s is suspended; its rooms take no messages (decision D11).", a.ID)
		}
		var members []string
		if h.RoomID != "" {
			if _, err := roomOf(ctx, tx, h.AccountID, h.RoomID); IsCode(err, NotFound) {
				return Errorf(NotFound, "The room of incoming webhook %s no longer exists.", id)
			} else if err != nil {
				return err
			}
			if mb, err := membership(ctx, tx, h.RoomID, h.MemberID); err != nil {
				return err
			} else if mb == nil {
				return Errorf(Forbidden, "Member %s of incoming webhook %s is no longer in room %s.", h.MemberID, id, h.RoomID)
			}
		} else {
			c, err := conversationOf(ctx, tx, h.AccountID, h.ConversationID)
			if IsCode(err, NotFound) {
				return Errorf(NotFound, "The conversation of incoming webhook %s no longer exists.", id)
			} else if err != nil {
				return err
			}
			members = c.MemberIDs
		}
		if b, err := botOf(ctx, tx, h.AccountID, h.MemberID); err == nil && b.Disabled {
			return Errorf(Forbidden, "Bot %s is stopped (Disabled) and cannot post.", b.ID)
		}
		var err error
		if m, err = s.newMessage(h.AccountID, NewMessage{SenderID: h.MemberID, Content: content}); err != nil {
			return err
		}
		m.RoomID, m.ConversationID = h.RoomID, h.ConversationID
		if err := putDoc(ctx, tx, kindMessage, m.ID, discussionID(&h), m.CreatedAt, m); err != nil {
			return err
		}
		return s.messageEvents(ctx, tx, &evs, m, members)
	})
	if err != nil {
		return nil, nil, err
	}
	s.sendBotEvents(evs)
	return m, &h, nil
}

// verifyEventsTarget runs the check PutEventsConfiguration makes before it
// stores c (decision D44): the HTTPS endpoint must echo a challenge; a
// Lambda function is dry-run invoked.
func (s *Service) verifyEventsTarget(ctx context.Context, b *Bot, c *EventsConfiguration) error {
	if !s.botEventsOn() {
		return nil
	}
	if c.LambdaFunctionArn != "" {
		if err := s.BotEvents.VerifyLambda(ctx, c.LambdaFunctionArn); err != nil {
			return Errorf(BadRequest, "LambdaFunctionArn %s could not be invoked: %v", c.LambdaFunctionArn, err)
		}
		return nil
	}
	challenge := s.IDs.Token(20)
	if err := s.BotEvents.VerifyEndpoint(ctx, c.OutboundEventsHTTPSEndpoint, b.SecurityToken, verificationBody(challenge), challenge); err != nil {
		return Errorf(BadRequest, "OutboundEventsHTTPSEndpoint %s failed the HTTPSEndpointVerification: %v", c.OutboundEventsHTTPSEndpoint, err)
	}
	return nil
}

// AdminBotDeliveries lists the bot's recent event deliveries (decision
// D44): kept in memory by the node that sent them, oldest first.
func (s *Service) AdminBotDeliveries(ctx context.Context, accountID, botID string) ([]BotDelivery, error) {
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := adminAccount(ctx, tx, accountID); err != nil {
			return err
		}
		_, err := botOf(ctx, tx, accountID, botID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []BotDelivery{}
	if s.botEventsOn() {
		out = append(out, s.BotEvents.Deliveries(botID)...)
	}
	return out, nil
}

// CheckIncomingWebhook answers as PostIncomingWebhook would for the id and
// token, storing nothing: for a request whose body is refused, so a wrong
// token is still a 403 before any word on the body.
func (s *Service) CheckIncomingWebhook(ctx context.Context, id, token string) error {
	return s.Store.View(ctx, func(tx ReadTx) error {
		var h IncomingWebhook
		if _, err := getDoc(ctx, tx, kindIncomingWebhook, id, &h); IsCode(err, NotFound) {
			return Errorf(NotFound, "No incoming webhook %s exists.", id)
		} else if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(h.Token)) != 1 {
			return Errorf(Forbidden, "The token of incoming webhook %s is missing or wrong.", id)
		}
		return nil
	})
}
