package httpapi

import (
	"net/http"
	"time"

	openchime "github.com/openchime/openchime"
)

// Control-plane routes of the collaboration area (decisions D20, D23, D38,
// D42, D43): what no Chime operation can do — delete a bot, add webhooks,
// post messages and conversations so redaction and retention can be
// exercised. An account's bot domains are its ClaimedDomains (D19).

func registerCollabControl(s *Server) {
	c := &collabControl{svc: s.Service}
	s.HandleControl("DELETE /_openchime/accounts/{accountId}/bots/{botId}", http.HandlerFunc(c.deleteBot))
	s.HandleControl("GET /_openchime/accounts/{accountId}/bots/{botId}/deliveries", http.HandlerFunc(c.botDeliveries))
	s.HandleControl("POST /_openchime/accounts/{accountId}/rooms/{roomId}/webhooks", http.HandlerFunc(c.addWebhook))
	s.HandleControl("POST /_openchime/accounts/{accountId}/rooms/{roomId}/messages", http.HandlerFunc(c.postRoomMessage))
	s.HandleControl("GET /_openchime/accounts/{accountId}/rooms/{roomId}/messages", http.HandlerFunc(c.roomMessages))
	s.HandleControl("POST /_openchime/accounts/{accountId}/conversations", http.HandlerFunc(c.createConversation))
	s.HandleControl("POST /_openchime/accounts/{accountId}/conversations/{conversationId}/messages", http.HandlerFunc(c.postConversationMessage))
	s.HandleControl("GET /_openchime/accounts/{accountId}/conversations/{conversationId}/messages", http.HandlerFunc(c.conversationMessages))
}

type collabControl struct{ svc *openchime.Service }

// cpMessage is a message as the control plane shows it; a redacted message
// has Content null (decision D38).
type cpMessage struct {
	MessageId        string
	RoomId           string `json:",omitempty"`
	ConversationId   string `json:",omitempty"`
	SenderId         string
	Content          *string
	CreatedTimestamp *Timestamp
	Redacted         bool
}

func toCPMessage(m *openchime.Message) cpMessage {
	out := cpMessage{
		MessageId: m.ID, RoomId: m.RoomID, ConversationId: m.ConversationID, SenderId: m.SenderID,
		CreatedTimestamp: ts(m.CreatedAt), Redacted: m.Redacted,
	}
	if !m.Redacted {
		content := m.Content
		out.Content = &content
	}
	return out
}

func (c *collabControl) deleteBot(w http.ResponseWriter, r *http.Request) {
	if err := c.svc.AdminDeleteBot(r.Context(), r.PathValue("accountId"), r.PathValue("botId")); err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *collabControl) addWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct{ Name string }
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	m, h, err := c.svc.AdminAddWebhook(r.Context(), r.PathValue("accountId"), r.PathValue("roomId"), in.Name)
	if err != nil {
		WriteError(w, err)
		return
	}
	// Decision D44: the URL that posts to the room as this webhook.
	writeJSON(w, http.StatusCreated, map[string]any{
		"RoomMembership": toRoomMembership(m),
		"Webhook":        map[string]string{"WebhookId": h.ID, "Url": c.svc.WebhookURL(r.Context(), h)},
	})
}

type cpMessageInput struct {
	SenderId         string
	Content          string
	CreatedTimestamp *Timestamp
}

func (in cpMessageInput) message() openchime.NewMessage {
	n := openchime.NewMessage{SenderID: in.SenderId, Content: in.Content}
	if in.CreatedTimestamp != nil {
		n.CreatedAt = time.Time(*in.CreatedTimestamp)
	}
	return n
}

func (c *collabControl) postRoomMessage(w http.ResponseWriter, r *http.Request) {
	var in cpMessageInput
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	m, err := c.svc.AdminPostRoomMessage(r.Context(), r.PathValue("accountId"), r.PathValue("roomId"), in.message())
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"Message": toCPMessage(m)})
}

func (c *collabControl) postConversationMessage(w http.ResponseWriter, r *http.Request) {
	var in cpMessageInput
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	m, err := c.svc.AdminPostConversationMessage(r.Context(), r.PathValue("accountId"), r.PathValue("conversationId"), in.message())
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"Message": toCPMessage(m)})
}

func writeMessages(w http.ResponseWriter, list []*openchime.Message, err error) {
	if err != nil {
		WriteError(w, err)
		return
	}
	out := make([]cpMessage, len(list))
	for i, m := range list {
		out[i] = toCPMessage(m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"Messages": out})
}

func (c *collabControl) roomMessages(w http.ResponseWriter, r *http.Request) {
	list, err := c.svc.AdminRoomMessages(r.Context(), r.PathValue("accountId"), r.PathValue("roomId"))
	writeMessages(w, list, err)
}

func (c *collabControl) conversationMessages(w http.ResponseWriter, r *http.Request) {
	list, err := c.svc.AdminConversationMessages(r.Context(), r.PathValue("accountId"), r.PathValue("conversationId"))
	writeMessages(w, list, err)
}

func (c *collabControl) createConversation(w http.ResponseWriter, r *http.Request) {
	var in struct{ MemberIds []string }
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	conv, err := c.svc.AdminCreateConversation(r.Context(), r.PathValue("accountId"), in.MemberIds)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"Conversation": map[string]any{
		"ConversationId": conv.ID, "AccountId": conv.AccountID, "MemberIds": conv.MemberIDs,
		"CreatedTimestamp": ts(conv.CreatedAt),
	}})
}

// cpBotDelivery is one of a bot's recent event deliveries (decision D44).
type cpBotDelivery struct {
	EventType          string
	Status             string
	Attempts           int
	LastError          string `json:",omitempty"`
	LastStatusCode     int    `json:",omitempty"`
	Target             string
	CreatedTimestamp   *Timestamp
	CompletedTimestamp *Timestamp `json:",omitempty"`
}

func (c *collabControl) botDeliveries(w http.ResponseWriter, r *http.Request) {
	list, err := c.svc.AdminBotDeliveries(r.Context(), r.PathValue("accountId"), r.PathValue("botId"))
	if err != nil {
		WriteError(w, err)
		return
	}
	out := make([]cpBotDelivery, len(list))
	for i, d := range list {
		out[i] = cpBotDelivery{
			EventType: d.EventType, Status: d.Status, Attempts: d.Attempts, LastError: d.LastError,
			LastStatusCode: d.LastStatus, Target: d.Target, CreatedTimestamp: ts(d.CreatedAt), CompletedTimestamp: ts(d.CompletedAt),
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"Deliveries": out})
}
