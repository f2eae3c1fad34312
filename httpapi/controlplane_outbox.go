package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	openchime "github.com/openchime/openchime"
)

// Control-plane routes of the outbox (issue 18): webhooks that receive every
// change as an EventBridge event, and the SCIM 2.0 push of an account's users.

func registerOutboxControl(s *Server) {
	c := &outboxControl{svc: s.Service, srv: s}
	s.HandleControl("POST /_openchime/webhooks", http.HandlerFunc(c.createWebhook))
	s.HandleControl("GET /_openchime/webhooks", http.HandlerFunc(c.listWebhooks))
	s.HandleControl("DELETE /_openchime/webhooks/{id}", http.HandlerFunc(c.deleteWebhook))
	s.HandleControl("GET /_openchime/webhooks/{id}/deliveries", http.HandlerFunc(c.deliveries))
	s.HandleControl("PUT /_openchime/accounts/{accountId}/scim", http.HandlerFunc(c.putSCIM))
	s.HandleControl("GET /_openchime/accounts/{accountId}/scim", http.HandlerFunc(c.getSCIM))
	s.HandleControl("DELETE /_openchime/accounts/{accountId}/scim", http.HandlerFunc(c.deleteSCIM))
	s.HandleControl("GET /_openchime/accounts/{accountId}/scim/deliveries", http.HandlerFunc(c.scimDeliveries))
	s.HandleControl("POST /_openchime/accounts/{accountId}/scim/reconcile", http.HandlerFunc(c.reconcileSCIM))
}

type outboxControl struct {
	svc *openchime.Service
	srv *Server // for SCIMReconciler, set after NewServer
}

// Webhook is a webhook as the control plane shows it; the secret is never
// shown, only whether there is one.
type Webhook struct {
	WebhookId        string
	Url              string
	Events           []string `json:",omitempty"`
	AwsAccountId     string   `json:",omitempty"`
	HasSecret        bool
	CreatedTimestamp *Timestamp
	LastError        string     `json:",omitempty"`
	LastErrorAt      *Timestamp `json:",omitempty"`
	LastDeliveredAt  *Timestamp `json:",omitempty"`
	// Pending counts the deliveries waiting; Delivered and Failed (dead
	// letters) those finished since the webhook was made.
	Pending, Delivered, Failed int
}

func toWebhook(t *openchime.Target, pending int) Webhook {
	w := t.Webhook
	return Webhook{
		WebhookId: t.ID, Url: w.URL, Events: w.Events, AwsAccountId: w.AwsAccountID, HasSecret: w.Secret != "",
		CreatedTimestamp: ts(t.CreatedAt), LastError: t.LastError, LastErrorAt: ts(t.LastErrorAt), LastDeliveredAt: ts(t.LastDeliveredAt),
		Pending: pending, Delivered: t.Delivered, Failed: t.Failed,
	}
}

// auditedOperation reports whether an audit event can name op: a Chime
// operation of the model, or a control-plane change (Admin…, the register
// transition).
func auditedOperation(op string) bool {
	return knownOperation(op) || strings.HasPrefix(op, "Admin") || op == openchime.RegisterUser.Operation()
}

// targetURL checks an absolute http or https URL.
func targetURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return openchime.Errorf(openchime.BadRequest, "%s %q must be an absolute http:// or https:// URL.", field, raw)
	}
	return nil
}

func (c *outboxControl) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Url          string
		Secret       string
		Events       []string
		AwsAccountId string
	}
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	if err := targetURL("Url", in.Url); err != nil {
		WriteError(w, err)
		return
	}
	for _, e := range in.Events {
		if !auditedOperation(e) {
			WriteError(w, openchime.Errorf(openchime.BadRequest, "Events names Chime operations such as BatchSuspendUser (or the control plane's Admin… ones); %q is not one.", e))
			return
		}
	}
	if in.AwsAccountId != "" && !awsAccountID.MatchString(in.AwsAccountId) {
		WriteError(w, openchime.Errorf(openchime.BadRequest, "AwsAccountId %q must be 12 digits.", in.AwsAccountId))
		return
	}
	t, err := c.svc.CreateWebhook(r.Context(), openchime.WebhookConfig{URL: in.Url, Secret: in.Secret, Events: in.Events, AwsAccountID: in.AwsAccountId})
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"Webhook": toWebhook(t, 0)})
}

func (c *outboxControl) listWebhooks(w http.ResponseWriter, r *http.Request) {
	targets, err := c.svc.Targets(r.Context())
	if err != nil {
		WriteError(w, err)
		return
	}
	out := []Webhook{}
	for _, t := range targets {
		if t.Type == openchime.WebhookTarget {
			n, err := c.svc.DeliveryCounts(r.Context(), t.ID)
			if err != nil && !openchime.IsCode(err, openchime.NotFound) {
				WriteError(w, err)
				return
			}
			out = append(out, toWebhook(t, n[openchime.DeliveryPending]))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"Webhooks": out})
}

func (c *outboxControl) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := c.svc.DeleteTarget(r.Context(), r.PathValue("id"), openchime.WebhookTarget); err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Delivery is one event's delivery to one target.
type Delivery struct {
	EventId              string
	Operation            string
	Status               string // Pending, Delivered or DeadLetter
	Attempts             int
	LastError            string     `json:",omitempty"`
	LastAttemptTimestamp *Timestamp `json:",omitempty"`
	NextAttemptTimestamp *Timestamp `json:",omitempty"`
}

func (c *outboxControl) writeDeliveries(w http.ResponseWriter, r *http.Request, targetID, typ string) {
	t, err := c.svc.Target(r.Context(), targetID)
	if err == nil && t.Type != typ {
		err = openchime.Errorf(openchime.NotFound, "The %s %s was not found.", typ, targetID)
	}
	if err != nil {
		WriteError(w, err)
		return
	}
	list, err := c.svc.Deliveries(r.Context(), targetID)
	if err != nil {
		WriteError(w, err)
		return
	}
	out := make([]Delivery, 0, len(list))
	for _, d := range list {
		var e struct{ ID, Operation string }
		_ = decodeJSONBody(d.Event, &e)
		out = append(out, Delivery{
			EventId: e.ID, Operation: e.Operation, Status: d.Status, Attempts: d.Attempts, LastError: d.LastError,
			LastAttemptTimestamp: ts(d.LastAttempt), NextAttemptTimestamp: ts(d.NextAttempt),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"Deliveries": out})
}

func (c *outboxControl) deliveries(w http.ResponseWriter, r *http.Request) {
	c.writeDeliveries(w, r, r.PathValue("id"), openchime.WebhookTarget)
}

func (c *outboxControl) scimDeliveries(w http.ResponseWriter, r *http.Request) {
	c.writeDeliveries(w, r, openchime.SCIMTargetID(r.PathValue("accountId")), openchime.SCIMTarget)
}

// SCIMTarget is an account's SCIM push as the control plane shows it,
// without its token.
type SCIMTarget struct {
	AccountId       string
	Endpoint        string
	OnRemove        string
	DryRun          bool
	Pending         int
	Delivered       int
	Failed          int
	Stopped         bool
	LastError       string     `json:",omitempty"`
	LastDeliveredAt *Timestamp `json:",omitempty"`
}

func (c *outboxControl) putSCIM(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Endpoint    string
		BearerToken string
		OnRemove    string
		DryRun      bool
	}
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	if err := targetURL("Endpoint", in.Endpoint); err != nil {
		WriteError(w, err)
		return
	}
	if in.OnRemove != "" && in.OnRemove != openchime.OnRemoveDeactivate && in.OnRemove != openchime.OnRemoveDelete {
		WriteError(w, openchime.Errorf(openchime.BadRequest, "OnRemove %q must be deactivate or delete.", in.OnRemove))
		return
	}
	_, err := c.svc.PutSCIM(r.Context(), openchime.SCIMConfig{
		AccountID: r.PathValue("accountId"), Endpoint: in.Endpoint, BearerToken: in.BearerToken, OnRemove: in.OnRemove, DryRun: in.DryRun,
	})
	if err != nil {
		WriteError(w, err)
		return
	}
	c.getSCIM(w, r)
}

func (c *outboxControl) getSCIM(w http.ResponseWriter, r *http.Request) {
	accountID := r.PathValue("accountId")
	t, err := c.svc.Target(r.Context(), openchime.SCIMTargetID(accountID))
	if err != nil {
		WriteError(w, noSCIM(accountID, err))
		return
	}
	n, err := c.svc.DeliveryCounts(r.Context(), t.ID)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"Scim": SCIMTarget{
		AccountId: accountID, Endpoint: t.SCIM.Endpoint, OnRemove: t.SCIM.OnRemove, DryRun: t.SCIM.DryRun,
		Pending: n[openchime.DeliveryPending], Delivered: n[openchime.DeliveryDelivered], Failed: n[openchime.DeliveryDead],
		Stopped: t.Stopped, LastError: t.LastError, LastDeliveredAt: ts(t.LastDeliveredAt),
	}})
}

func (c *outboxControl) deleteSCIM(w http.ResponseWriter, r *http.Request) {
	accountID := r.PathValue("accountId")
	if err := c.svc.DeleteTarget(r.Context(), openchime.SCIMTargetID(accountID), openchime.SCIMTarget); err != nil {
		WriteError(w, noSCIM(accountID, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func noSCIM(accountID string, err error) error {
	if openchime.IsCode(err, openchime.NotFound) {
		return openchime.Errorf(openchime.NotFound, "Account %s has no SCIM target.", accountID)
	}
	return err
}

// SCIMReconcile is the answer of a reconciliation: the Chime user ids it
// created, adopted, updated and removed in the directory.
type SCIMReconcile struct {
	Created []string
	Adopted []string
	Updated []string
	Removed []string
	DryRun  bool
}

func (c *outboxControl) reconcileSCIM(w http.ResponseWriter, r *http.Request) {
	accountID := r.PathValue("accountId")
	t, err := c.svc.Target(r.Context(), openchime.SCIMTargetID(accountID))
	if err != nil {
		WriteError(w, noSCIM(accountID, err))
		return
	}
	if c.srv.SCIMReconciler == nil {
		WriteError(w, openchime.Errorf(openchime.NotImplemented, "This server does not deliver to SCIM targets, so it cannot reconcile one."))
		return
	}
	rep, err := c.srv.SCIMReconciler.Reconcile(r.Context(), t)
	if err != nil {
		WriteError(w, openchime.Errorf(openchime.ServiceUnavailable, "Reconciling with %s failed: %v", t.SCIM.Endpoint, err))
		return
	}
	list := func(ids []string) []string {
		if ids == nil {
			return []string{}
		}
		return ids
	}
	writeJSON(w, http.StatusOK, SCIMReconcile{Created: list(rep.Created), Adopted: list(rep.Adopted), Updated: list(rep.Updated), Removed: list(rep.Removed), DryRun: rep.DryRun})
}
