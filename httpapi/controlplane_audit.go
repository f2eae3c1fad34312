package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	openchime "github.com/openchime/openchime"
)

// maxAuditResults caps one page of the audit listing.
const maxAuditResults = 1000

// AuditEvent is an event of GET /_openchime/audit as a Go client decodes
// it. The server writes the domain's encoding (openchime.AuditEvent's
// MarshalJSON, the format of docs/formats.md), which has these members.
type AuditEvent struct {
	FormatVersion  int
	EventId        string
	Time           Timestamp
	RequestId      string `json:",omitempty"`
	AwsAccountId   string
	AccessKeyId    string `json:",omitempty"`
	Operation      string
	AccountId      string        `json:",omitempty"`
	UserIds        []string      `json:",omitempty"`
	Changes        []AuditChange `json:",omitempty"`
	ChangesOmitted int           `json:",omitempty"`
}

// AuditChange is one record's state before and after a change, as the
// domain records it.
type AuditChange struct {
	Kind   string
	Id     string
	Before json.RawMessage `json:",omitempty"`
	After  json.RawMessage `json:",omitempty"`
}

// listAudit serves GET /_openchime/audit?account-id=&user-id=&operation=
// &request-id=&since=&until=&max-results=&next-token=.
func (cp *controlPlane) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := openchime.AuditFilter{
		AccountID: q.Get("account-id"), UserID: q.Get("user-id"),
		Operation: q.Get("operation"), RequestID: q.Get("request-id"),
	}
	f.NextToken = q.Get("next-token")
	var err error
	if v := q.Get("max-results"); v != "" {
		f.MaxResults, err = strconv.Atoi(v)
		if err != nil || f.MaxResults < 1 || f.MaxResults > maxAuditResults {
			WriteError(w, openchime.Errorf(openchime.BadRequest, "max-results must be a number from 1 to %d.", maxAuditResults))
			return
		}
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			if *dst, err = time.Parse(time.RFC3339Nano, v); err != nil {
				WriteError(w, openchime.Errorf(openchime.BadRequest, "%s %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z.", name, v))
				return
			}
		}
	}
	list, next, err := cp.svc.ListAudit(r.Context(), f)
	if err != nil {
		WriteError(w, err)
		return
	}
	if list == nil {
		list = []*openchime.AuditEvent{} // "Events": [], not null
	}
	resp := map[string]any{"Events": list}
	if next != "" {
		resp["NextToken"] = next
	}
	writeJSON(w, http.StatusOK, resp)
}
