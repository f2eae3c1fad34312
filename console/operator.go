package console

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/faults"
)

// Stat is one operation's request and error counts.
type Stat struct {
	Operation        string
	Requests, Errors float64
}

type auditData struct {
	AccountID, UserID, Operation, RequestID, Since, Until string
	Events                                                []*openchime.AuditEvent
	Next                                                  string
}

// auditPage lists the audit log with the control plane's filters.
func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	d := auditData{AccountID: q.Get("account-id"), UserID: q.Get("user-id"), Operation: q.Get("operation"),
		RequestID: q.Get("request-id"), Since: q.Get("since"), Until: q.Get("until")}
	f := openchime.AuditFilter{AccountID: d.AccountID, UserID: d.UserID, Operation: d.Operation, RequestID: d.RequestID,
		Page: openchime.Page{MaxResults: 50, NextToken: q.Get("next-token")}}
	for _, t := range []struct {
		in  string
		out *time.Time
	}{{d.Since, &f.Since}, {d.Until, &f.Until}} {
		if t.in == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339, t.in)
		if err != nil {
			h.fail(w, openchime.Errorf(openchime.BadRequest, "%q is not a time such as 2030-01-02T03:04:05Z.", t.in))
			return
		}
		*t.out = at
	}
	events, next, err := h.Service.ListAudit(r.Context(), f)
	if err != nil {
		h.fail(w, err)
		return
	}
	d.Events = events
	if next != "" {
		q.Set("next-token", next)
		d.Next = "?" + q.Encode()
	}
	v.Title, v.Data = "Audit log", d
	h.render(w, "audit", v)
}

type operatorData struct {
	Faults []faults.Rule
	// Targets are the webhooks and SCIM targets the outbox delivers to;
	// Failures the last failed attempts at them.
	Targets  []targetView
	Failures []failureView
	Stats    []Stat
	// Clock is set when the Service's clock can be controlled.
	Clock *clockView
}

type clockView struct {
	Now    time.Time
	Frozen bool
}

// operator shows the fault rules and the live request panel.
func (h *Handler) operator(w http.ResponseWriter, r *http.Request, v *view) {
	var d operatorData
	if set := faults.Of(h.Service); set != nil {
		d.Faults = set.List()
	}
	if c, ok := h.Service.Clock.(*openchime.ControlClock); ok {
		d.Clock = &clockView{Now: c.Now(), Frozen: c.Frozen()}
	}
	if h.Stats != nil {
		d.Stats = h.Stats()
	}
	if err := h.outboxView(r, &d); err != nil {
		h.fail(w, err)
		return
	}
	v.Title, v.Data = "Operator", d
	h.render(w, "operator", v)
}

// stats answers the live panel's poll with the current counts.
func (h *Handler) stats(w http.ResponseWriter, r *http.Request, v *view) {
	var out []Stat
	if h.Stats != nil {
		out = h.Stats()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(out)
}

func (h *Handler) addFault(w http.ResponseWriter, r *http.Request, v *view) {
	rule := faults.Rule{
		Operation: strings.TrimSpace(r.PostFormValue("operation")), AccountID: strings.TrimSpace(r.PostFormValue("account")),
		UserID: strings.TrimSpace(r.PostFormValue("user")), Message: r.PostFormValue("message"),
		Exception: openchime.Code(r.PostFormValue("exception")), ErrorCode: openchime.Code(r.PostFormValue("error-code")),
	}
	if rule.Exception != "" {
		code, ok := openchime.ExceptionCode(string(rule.Exception))
		if !ok {
			h.operatorError(w, r, v, "Unknown exception "+string(rule.Exception)+".")
			return
		}
		rule.Exception = code
	}
	if c := r.PostFormValue("count"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil {
			h.operatorError(w, r, v, "Count must be a whole number.")
			return
		}
		rule.Count = n
	}
	if l := r.PostFormValue("latency"); l != "" {
		d, err := time.ParseDuration(l)
		if err != nil {
			h.operatorError(w, r, v, "Latency must be a duration such as 200ms.")
			return
		}
		rule.Latency = d
	}
	set := faults.Of(h.Service)
	if set == nil {
		h.operatorError(w, r, v, "Fault injection is not enabled on this server.")
		return
	}
	if _, err := set.Add(rule); err != nil {
		h.operatorError(w, r, v, openchime.ErrorMessage(err))
		return
	}
	http.Redirect(w, r, Prefix+"operator", http.StatusSeeOther)
}

func (h *Handler) removeFault(w http.ResponseWriter, r *http.Request, v *view) {
	if set := faults.Of(h.Service); set != nil {
		set.Remove(r.PathValue("id"))
	}
	http.Redirect(w, r, Prefix+"operator", http.StatusSeeOther)
}

func (h *Handler) operatorError(w http.ResponseWriter, r *http.Request, v *view, msg string) {
	v.Flash = &flash{Text: msg, Error: true}
	w.WriteHeader(http.StatusBadRequest)
	h.operator(w, r, v)
}

// setClock freezes, advances, sets or releases the Service's clock, as
// POST /_openchime/clock does.
func (h *Handler) setClock(w http.ResponseWriter, r *http.Request, v *view) {
	c, ok := h.Service.Clock.(*openchime.ControlClock)
	if !ok {
		h.operatorError(w, r, v, "This server's clock cannot be controlled.")
		return
	}
	switch r.PostFormValue("action") {
	case "freeze":
		c.Freeze()
	case "release":
		c.Unfreeze()
	case "advance":
		d, err := time.ParseDuration(r.PostFormValue("by"))
		if err != nil || d < 0 {
			h.operatorError(w, r, v, "Advance takes a positive duration such as 90s or 72h.")
			return
		}
		if !c.Frozen() {
			c.Freeze()
		}
		c.Advance(d)
	case "set":
		at, err := time.Parse(time.RFC3339, r.PostFormValue("time"))
		if err != nil {
			h.operatorError(w, r, v, "Set takes a time such as 2030-01-02T03:04:05Z.")
			return
		}
		c.Freeze()
		c.Set(at)
	default:
		h.operatorError(w, r, v, "Unknown clock action.")
		return
	}
	http.Redirect(w, r, Prefix+"operator", http.StatusSeeOther)
}

type targetView struct {
	ID, Type, Where, AccountID string
	Pending, Delivered, Dead   int
	Stopped                    bool
	LastError                  string
	LastErrorAt, LastDelivered time.Time
}

type failureView struct {
	TargetID, Operation, Status, Error string
	Attempts                           int
	At                                 time.Time
}

// maxFailuresShown bounds the operator page's list of failed deliveries.
const maxFailuresShown = 20

// outboxView fills the operator page's webhooks, SCIM targets and last
// failures.
func (h *Handler) outboxView(r *http.Request, d *operatorData) error {
	targets, err := h.Service.Targets(r.Context())
	if err != nil {
		return err
	}
	for _, t := range targets {
		tv := targetView{ID: t.ID, Type: t.Type, Stopped: t.Stopped, LastError: t.LastError, LastErrorAt: t.LastErrorAt, LastDelivered: t.LastDeliveredAt}
		if t.Webhook != nil {
			tv.Where = t.Webhook.URL
		}
		if t.SCIM != nil {
			tv.Where, tv.AccountID = t.SCIM.Endpoint, t.SCIM.AccountID
		}
		n, err := h.Service.DeliveryCounts(r.Context(), t.ID)
		if err != nil {
			return err
		}
		tv.Pending, tv.Delivered, tv.Dead = n[openchime.DeliveryPending], n[openchime.DeliveryDelivered], n[openchime.DeliveryDead]
		ds, err := h.Service.Deliveries(r.Context(), t.ID)
		if err != nil && !openchime.IsCode(err, openchime.NotFound) {
			return err
		}
		for _, dl := range ds {
			if dl.LastError != "" && len(d.Failures) < maxFailuresShown {
				var e struct{ Operation string }
				_ = json.Unmarshal(dl.Event, &e)
				d.Failures = append(d.Failures, failureView{TargetID: t.ID, Operation: e.Operation, Status: dl.Status, Error: dl.LastError, Attempts: dl.Attempts, At: dl.LastAttempt})
			}
		}
		d.Targets = append(d.Targets, tv)
	}
	return nil
}
