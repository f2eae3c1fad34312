package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	openchime "github.com/openchime/openchime"
)

// serveIncomingWebhook answers POST /incomingwebhooks/{id}?token={token}
// with {"Content":"…"} (decision D44): the message goes to the webhook's
// room or conversation from its member. No SigV4: the token is the
// credential, as on hooks.chime.aws. The answer is 200 with the new
// message's id and its room or conversation.
func (s *Server) serveIncomingWebhook(w http.ResponseWriter, r *http.Request, path string) {
	id, err := url.PathUnescape(strings.TrimPrefix(path, openchime.IncomingWebhookPath))
	// Webhook ids are lowercase UUIDs: anything else is unknown without a
	// store lookup (a NUL or invalid UTF-8 would be a PostgreSQL error).
	if err != nil || !openchime.IsUUID(id) {
		WriteError(w, openchime.Errorf(openchime.NotFound, "No incoming webhook is at %s.", r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		WriteError(w, openchime.Errorf(openchime.UnknownOperation, "Incoming webhooks accept POST only, not %s.", r.Method))
		return
	}
	token := r.URL.Query().Get("token")
	var in struct{ Content string }
	body, err := readBody(r, s.maxBody())
	if err == nil && !utf8.Valid(body) {
		err = openchime.Errorf(openchime.BadRequest, "The request body is not valid UTF-8.")
	}
	if err == nil {
		// Chime's webhooks take "a JSON payload with a single key Content";
		// other keys are ignored rather than refused, so a client that sends
		// more still posts (the body must still be one JSON object).
		err = decodeOne(json.NewDecoder(bytes.NewReader(body)), &in)
	}
	if err != nil {
		// The id and token are checked first, so a caller without them
		// learns nothing from the answer about the body.
		if cerr := s.Service.CheckIncomingWebhook(r.Context(), id, token); cerr != nil {
			err = cerr
		}
		WriteError(w, err)
		return
	}
	ctx := openchime.NewContextWithCaller(r.Context(), openchime.Caller{
		AwsAccountID: s.Service.DefaultAwsAccountID, RequestID: w.Header().Get("x-amzn-RequestId"),
		Host: r.Host, TLS: r.TLS != nil,
	})
	m, h, err := s.Service.PostIncomingWebhook(ctx, id, token, in.Content)
	if err != nil {
		if openchime.ErrorCode(err) == openchime.ServiceFailure {
			s.Logger.Error("incoming webhook failed", "webhook", id, "err", err)
		}
		WriteError(w, err)
		return
	}
	out := map[string]string{"MessageId": m.ID}
	if h.RoomID != "" {
		out["RoomId"] = h.RoomID
	} else {
		out["ConversationId"] = h.ConversationID
	}
	writeJSON(w, http.StatusOK, out)
}
