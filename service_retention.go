package openchime

import (
	"context"
	"slices"
	"strings"
	"time"
)

// RetentionSettings are an Enterprise account's chat retention periods, in
// days; nil turns that kind of retention off (decision D37).
type RetentionSettings struct {
	RoomRetentionDays         *int
	ConversationRetentionDays *int
	// UpdatedAt is the time of the last PutRetentionSettings.
	UpdatedAt time.Time
	// InitiateDeletion is when messages outside the periods are purged:
	// the last Put plus the grace period, zero while both kinds are off.
	InitiateDeletion time.Time `json:"-"`
}

// Message is a chat message of a room or a conversation. Messages exist only
// through the control plane (decision D38), so redaction can be exercised.
type Message struct {
	ID             string
	AccountID      string
	RoomID         string `json:",omitempty"`
	ConversationID string `json:",omitempty"`
	SenderID       string
	Content        string
	Redacted       bool
	CreatedAt      time.Time
}

// Conversation is a direct conversation between members of an account.
type Conversation struct {
	ID        string
	AccountID string
	MemberIDs []string
	CreatedAt time.Time
}

// NewMessage describes a message the control plane posts.
type NewMessage struct {
	SenderID string
	Content  string
	// CreatedAt backdates the message (zero: now), so retention can be
	// exercised without moving the clock.
	CreatedAt time.Time
}

const maxRetentionDays = 5475

func (s *Service) retention(ctx context.Context, tx ReadTx, accountID string) (*RetentionSettings, error) {
	var r RetentionSettings
	_, err := getDoc(ctx, tx, kindRetention, accountID, &r)
	if IsCode(err, NotFound) {
		return &RetentionSettings{}, nil
	}
	if err != nil {
		return nil, err
	}
	if r.RoomRetentionDays != nil || r.ConversationRetentionDays != nil {
		cc, err := s.collabConfig(ctx, tx)
		if err != nil {
			return nil, err
		}
		r.InitiateDeletion = r.UpdatedAt.Add(cc.grace())
	}
	return &r, nil
}

// visibility tells whether a message is hidden by retention (outside the
// period: invisible at once) and whether it is purged (hidden at or after
// InitiateDeletion), per decisions D37 and D43. Purging is evaluated when
// read rather than by a sweeper, so it happens exactly at the due instant of
// the Service's clock (D40); PutRetentionSettings deletes what the settings it
// replaces had purged, so a later grace period never brings it back.
func (r *RetentionSettings) visibility(m *Message, now time.Time) (hidden, purged bool) {
	days := r.RoomRetentionDays
	if m.ConversationID != "" {
		days = r.ConversationRetentionDays
	}
	if days == nil {
		return false, false
	}
	hidden = m.CreatedAt.Before(now.Add(-time.Duration(*days) * 24 * time.Hour))
	return hidden, hidden && !now.Before(r.InitiateDeletion)
}

// GetRetentionSettings returns the account's retention settings (D37).
func (s *Service) GetRetentionSettings(ctx context.Context, accountID string) (*RetentionSettings, error) {
	var r *RetentionSettings
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, false); err != nil {
			return err
		}
		var err error
		r, err = s.retention(ctx, tx, accountID)
		return err
	})
	return r, err
}

// PutRetentionSettings replaces the account's retention settings; a nil
// period turns that kind off (decision D37).
func (s *Service) PutRetentionSettings(ctx context.Context, accountID string, in RetentionSettings) (*RetentionSettings, error) {
	for _, d := range []*int{in.RoomRetentionDays, in.ConversationRetentionDays} {
		if d != nil && (*d < 1 || *d > maxRetentionDays) {
			return nil, Errorf(BadRequest, "RetentionDays must be from 1 to %d (got %d).", maxRetentionDays, *d)
		}
	}
	var out *RetentionSettings
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := s.enterpriseAccount(ctx, tx, accountID, true)
		if err != nil {
			return err
		}
		now := s.now()
		old, err := s.retention(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if !old.InitiateDeletion.IsZero() && !now.Before(old.InitiateDeletion) {
			if err := s.purgeMessages(ctx, tx, accountID, old, now); err != nil {
				return err
			}
		}
		r := &RetentionSettings{RoomRetentionDays: in.RoomRetentionDays, ConversationRetentionDays: in.ConversationRetentionDays, UpdatedAt: now}
		if err := putDoc(ctx, tx, kindRetention, accountID, accountID, a.CreatedAt, r); err != nil {
			return err
		}
		if out, err = s.retention(ctx, tx, accountID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "PutRetentionSettings", accountID, collabChange(kindRetention, accountID, old, out))
	})
	return out, err
}

// purgeMessages deletes the account's messages that r has purged.
func (s *Service) purgeMessages(ctx context.Context, tx Tx, accountID string, r *RetentionSettings, now time.Time) error {
	var scopes []string
	for _, kind := range []string{kindRoom, kindConversation} {
		rs, err := tx.Resources(ctx, ResourceFilter{Kind: kind, Scope: accountID})
		if err != nil {
			return err
		}
		for _, c := range rs {
			scopes = append(scopes, c.ID)
		}
	}
	for _, scope := range scopes {
		msgs, _, err := listDocs[Message](ctx, tx, ResourceFilter{Kind: kindMessage, Scope: scope})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if _, purged := r.visibility(m, now); purged {
				if err := tx.DeleteResource(ctx, kindMessage, m.ID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func conversationNotFound(accountID, id string) error {
	return Errorf(NotFound, "The requested conversation %s was not found in account %s.", id, accountID)
}

func conversationOf(ctx context.Context, tx ReadTx, accountID, id string) (*Conversation, error) {
	var c Conversation
	_, err := getDoc(ctx, tx, kindConversation, id, &c)
	if IsCode(err, NotFound) || (err == nil && c.AccountID != accountID) {
		return nil, conversationNotFound(accountID, id)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// redact marks the message messageID of a room or conversation as
// redacted. A message elsewhere, unknown or purged is NotFound; redacting
// twice, or a hidden message not purged yet, succeeds (D38, D43). With
// LenientRedaction an unknown id leaves a redaction tombstone instead (D38).
func (s *Service) redact(ctx context.Context, tx Tx, op, accountID string, where Message, messageID string) error {
	scope := where.RoomID + where.ConversationID
	var m Message
	_, err := getDoc(ctx, tx, kindMessage, messageID, &m)
	if IsCode(err, NotFound) && s.Collab.LenientRedaction {
		m = where
		m.ID, m.AccountID, m.CreatedAt = messageID, accountID, s.now()
		err = nil
	} else if err == nil && (m.RoomID+m.ConversationID != scope || m.AccountID != accountID) {
		err = Errorf(NotFound, "")
	}
	if err == nil {
		r, rerr := s.retention(ctx, tx, accountID)
		if rerr != nil {
			return rerr
		}
		if _, purged := r.visibility(&m, s.now()); purged {
			err = Errorf(NotFound, "")
		}
	}
	if IsCode(err, NotFound) {
		return Errorf(NotFound, "The requested message %s was not found in %s.", messageID, scope)
	}
	if err != nil {
		return err
	}
	if m.Redacted {
		return nil
	}
	m.Redacted, m.Content = true, ""
	if err := putDoc(ctx, tx, kindMessage, m.ID, scope, m.CreatedAt, &m); err != nil {
		return err
	}
	// Only the redacted state is audited: the content must not survive.
	return s.audit(ctx, tx, op, accountID, collabChange(kindMessage, m.ID, nil, &m))
}

// RedactRoomMessage redacts a room message (decisions D14, D38).
func (s *Service) RedactRoomMessage(ctx context.Context, accountID, roomID, messageID string) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
			return err
		}
		if _, err := roomOf(ctx, tx, accountID, roomID); err != nil {
			return err
		}
		return s.redact(ctx, tx, "RedactRoomMessage", accountID, Message{RoomID: roomID}, messageID)
	})
}

// RedactConversationMessage redacts a conversation message, on accounts of
// every type (decision D38, open question Q27).
func (s *Service) RedactConversationMessage(ctx context.Context, accountID, conversationID, messageID string) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		if _, err := s.writableAccount(ctx, tx, accountID); err != nil {
			return err
		}
		if _, err := conversationOf(ctx, tx, accountID, conversationID); err != nil {
			return err
		}
		return s.redact(ctx, tx, "RedactConversationMessage", accountID, Message{ConversationID: conversationID}, messageID)
	})
}

// AdminCreateConversation starts a conversation between users or bots of
// the account (decision D38).
func (s *Service) AdminCreateConversation(ctx context.Context, accountID string, memberIDs []string) (*Conversation, error) {
	ids := distinct(memberIDs)
	if len(ids) == 0 {
		return nil, Errorf(BadRequest, "MemberIds must name at least one user or bot of the account.")
	}
	var c *Conversation
	err := s.Store.Update(ctx, func(tx Tx) error {
		if _, err := adminAccount(ctx, tx, accountID); err != nil {
			return err
		}
		for _, id := range ids {
			if _, _, err := resolveMember(ctx, tx, accountID, id); err != nil {
				return err
			}
		}
		c = &Conversation{ID: s.IDs.UUID(), AccountID: accountID, MemberIDs: ids, CreatedAt: s.now()}
		return putDoc(ctx, tx, kindConversation, c.ID, accountID, c.CreatedAt, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Service) newMessage(accountID string, n NewMessage) (*Message, error) {
	if strings.TrimSpace(n.Content) == "" {
		return nil, Errorf(BadRequest, "Content must contain a non-space character.")
	}
	now := s.now()
	at := n.CreatedAt.UTC().Truncate(time.Millisecond)
	if n.CreatedAt.IsZero() {
		at = now
	} else if at.After(now) {
		return nil, Errorf(BadRequest, "CreatedTimestamp %s is in the future.", at.Format(time.RFC3339))
	}
	return &Message{ID: s.IDs.UUID(), AccountID: accountID, SenderID: n.SenderID, Content: n.Content, CreatedAt: at}, nil
}

// AdminPostRoomMessage posts a message in a room; a SenderID must be a
// member of the room (decision D38).
func (s *Service) AdminPostRoomMessage(ctx context.Context, accountID, roomID string, n NewMessage) (*Message, error) {
	m, err := s.newMessage(accountID, n)
	if err != nil {
		return nil, err
	}
	m.RoomID = roomID
	var evs botEventList
	err = s.Store.Update(ctx, func(tx Tx) error {
		evs = evs[:0]
		if _, err := adminAccount(ctx, tx, accountID); err != nil {
			return err
		}
		if _, err := roomOf(ctx, tx, accountID, roomID); err != nil {
			return err
		}
		if n.SenderID != "" {
			if mb, err := membership(ctx, tx, roomID, n.SenderID); err != nil {
				return err
			} else if mb == nil {
				return Errorf(BadRequest, "SenderId %s is not a member of room %s.", n.SenderID, roomID)
			}
		}
		if err := putDoc(ctx, tx, kindMessage, m.ID, roomID, m.CreatedAt, m); err != nil {
			return err
		}
		return s.messageEvents(ctx, tx, &evs, m, nil)
	})
	if err != nil {
		return nil, err
	}
	s.sendBotEvents(evs)
	return m, nil
}

// AdminPostConversationMessage posts a message in a conversation; a SenderID
// must be one of its members (decision D38).
func (s *Service) AdminPostConversationMessage(ctx context.Context, accountID, conversationID string, n NewMessage) (*Message, error) {
	m, err := s.newMessage(accountID, n)
	if err != nil {
		return nil, err
	}
	m.ConversationID = conversationID
	var evs botEventList
	err = s.Store.Update(ctx, func(tx Tx) error {
		evs = evs[:0]
		if _, err := adminAccount(ctx, tx, accountID); err != nil {
			return err
		}
		c, err := conversationOf(ctx, tx, accountID, conversationID)
		if err != nil {
			return err
		}
		if n.SenderID != "" && !slices.Contains(c.MemberIDs, n.SenderID) {
			return Errorf(BadRequest, "SenderId %s is not a member of conversation %s.", n.SenderID, conversationID)
		}
		if err := putDoc(ctx, tx, kindMessage, m.ID, conversationID, m.CreatedAt, m); err != nil {
			return err
		}
		return s.messageEvents(ctx, tx, &evs, m, c.MemberIDs)
	})
	if err != nil {
		return nil, err
	}
	s.sendBotEvents(evs)
	return m, nil
}

// AdminRoomMessages lists the visible messages of a room, oldest first.
func (s *Service) AdminRoomMessages(ctx context.Context, accountID, roomID string) ([]*Message, error) {
	return s.adminMessages(ctx, accountID, roomID, func(tx ReadTx) error {
		_, err := roomOf(ctx, tx, accountID, roomID)
		return err
	})
}

// AdminConversationMessages lists the visible messages of a conversation.
func (s *Service) AdminConversationMessages(ctx context.Context, accountID, conversationID string) ([]*Message, error) {
	return s.adminMessages(ctx, accountID, conversationID, func(tx ReadTx) error {
		_, err := conversationOf(ctx, tx, accountID, conversationID)
		return err
	})
}

// adminMessages lists the messages of scope that retention does not hide.
func (s *Service) adminMessages(ctx context.Context, accountID, scope string, exists func(ReadTx) error) ([]*Message, error) {
	var out []*Message
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := adminAccount(ctx, tx, accountID); err != nil {
			return err
		}
		if err := exists(tx); err != nil {
			return err
		}
		r, err := s.retention(ctx, tx, accountID)
		if err != nil {
			return err
		}
		msgs, _, err := listDocs[Message](ctx, tx, ResourceFilter{Kind: kindMessage, Scope: scope})
		if err != nil {
			return err
		}
		now := s.now()
		out = make([]*Message, 0, len(msgs))
		for _, m := range msgs {
			if hidden, _ := r.visibility(m, now); !hidden {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}
