package httpapi

import (
	"net/http"
	"strconv"
	"time"

	openchime "github.com/openchime/openchime"
)

// maxAuditResults caps one page of the audit listing.
const maxAuditResults = 1000

// AuditEvent is an event of GET /_openchime/audit as a Go client decodes
// it: the domain's record of the format (docs/formats.md), which the server
// writes.
type AuditEvent = openchime.AuditEventRecord

// AuditChange is one record's state before and after a change.
type AuditChange = openchime.AuditChangeRecord

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
