package httpapi

import (
	"net/http"
	"strings"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/cloudtrail"
)

// trace records an answered Chime call in the trail. It runs on every
// request: it only copies what the request already holds into a
// cloudtrail.Call (the JSON record is built when LookupEvents reads it);
// its allocations are the event id and, for a write, the copy of its answer
// the response writer kept.
func (s *Server) trace(r *http.Request, sw *statusWriter, op *Operation, caller *openchime.Caller, body []byte, requestID string) {
	c := cloudtrail.Call{
		Time:          s.Service.Clock.Now(),
		RequestID:     requestID,
		EventName:     op.Name,
		AwsAccountID:  caller.AwsAccountID,
		AccessKeyID:   caller.AccessKeyID,
		Temporary:     r.Header.Get("X-Amz-Security-Token") != "" || strings.Contains(r.URL.RawQuery, "X-Amz-Security-Token="),
		RemoteAddr:    r.RemoteAddr,
		UserAgent:     r.Header.Get("User-Agent"),
		PathTemplate:  op.Path,
		Path:          strings.TrimPrefix(r.URL.EscapedPath(), "/console"), // decision D9
		RawQuery:      r.URL.RawQuery,
		FixedQueryKey: op.QueryKey,
		Body:          body,
		ErrorCode:     sw.errType,
		ErrorMessage:  sw.errMsg,
	}
	if sw.errType == "" {
		c.Response, c.ResponseOmitted = sw.kept, sw.keptOmitted
	}
	s.Trail.Add(&c)
}

// serveCloudTrail answers a CloudTrail call (POST / with an X-Amz-Target of
// CloudTrail_20131101): LookupEvents over the trail of the caller's AWS
// account, signed for service "cloudtrail"; every answer in the JSON 1.1
// protocol's form.
func (s *Server) serveCloudTrail(w http.ResponseWriter, r *http.Request, target string) {
	if s.Trail == nil || s.Trail.MaxEvents <= 0 {
		cloudtrail.WriteError(w, http.StatusBadRequest, "UnsupportedOperationException", "This OpenChime server keeps no trail (serve --trail-max-events 0).")
		return
	}
	if target != cloudtrail.LookupEventsOp {
		cloudtrail.WriteError(w, http.StatusBadRequest, "UnknownOperationException", "OpenChime serves only LookupEvents of CloudTrail, not "+target+".")
		return
	}
	body, err := readBody(r, s.maxBody())
	if err == nil {
		var caller openchime.Caller
		caller, err = s.Authenticate(r, cloudtrail.LookupEventsOp, body)
		if err == nil {
			err = s.throttle(caller)
		}
		if err == nil {
			s.Trail.LookupEvents(w, body, caller.AwsAccountID, s.Service.Clock.Now())
			return
		}
	}
	shape, status := Exception(err)
	msg := openchime.ErrorMessage(err)
	if msg == "" {
		msg = shape
	}
	cloudtrail.WriteError(w, status, shape, msg)
}
