package cloudtrail

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// LookupEventsOp is the name of the one CloudTrail operation served.
const LookupEventsOp = "LookupEvents"

// The X-Amz-Target prefixes of CloudTrail's JSON 1.1 protocol: the short one
// of the API reference and the one botocore sends (the model's
// targetPrefix).
const (
	targetPrefix     = "CloudTrail_20131101."
	longTargetPrefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
)

// Target returns the CloudTrail operation an X-Amz-Target header names, and
// false when it names no CloudTrail operation.
func Target(header string) (string, bool) {
	if op, ok := strings.CutPrefix(header, longTargetPrefix); ok {
		return op, true
	}
	return strings.CutPrefix(header, targetPrefix)
}

// lookback is how far back LookupEvents sees: "You can look up events that
// occurred in a Region within the last 90 days" (CloudTrail's service
// model).
const lookback = 90 * 24 * time.Hour

// ContentType is the JSON 1.1 protocol's media type.
const ContentType = "application/x-amz-json-1.1"

// maxResults is LookupEvents' page size limit and default ("Possible values
// are 1 through 50. The default is 50.", CloudTrail's service model).
const maxResults = 50

// WriteError writes a JSON 1.1 error: {"__type","message"} and the
// x-amzn-ErrorType header.
func WriteError(w http.ResponseWriter, status int, typ, message string) {
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{typ, message})
	w.Header().Set("x-amzn-ErrorType", typ)
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// lookupError is a LookupEvents failure; every one is a client error (400,
// as the JSON protocol answers a modelled exception without a status).
type lookupError struct{ typ, msg string }

func (e *lookupError) Error() string { return e.typ + ": " + e.msg }

func lookupErrorf(typ, format string, args ...any) error {
	return &lookupError{typ, fmt.Sprintf(format, args...)}
}

type lookupAttribute struct {
	AttributeKey   *string
	AttributeValue *string
}

type lookupEventsInput struct {
	LookupAttributes []lookupAttribute
	StartTime        *epoch
	EndTime          *epoch
	EventCategory    *string
	MaxResults       *int
	NextToken        *string
}

// epoch is a JSON 1.1 timestamp: epoch seconds, as the SDKs send it (a
// string in RFC 3339 is taken as well).
type epoch time.Time

func (e *epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		sec, frac := math.Modf(f)
		*e = epoch(time.Unix(int64(sec), int64(frac*1e9)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a timestamp must be epoch seconds")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec, frac := math.Modf(f)
		*e = epoch(time.Unix(int64(sec), int64(frac*1e9)))
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q is neither epoch seconds nor RFC 3339", s)
	}
	*e = epoch(t)
	return nil
}

// query is a validated LookupEvents request.
type query struct {
	key, value string // the lookup attribute; "" for none
	start, end time.Time
	insight    bool
	limit      int
	before     uint64 // from NextToken: calls older than this Seq
}

// fingerprint ties a NextToken to the parameters it was made for ("This
// token must be passed in with the same parameters that were specified in
// the original call", the service model).
func (q *query) fingerprint(account string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%d\x00%t", account, q.key, q.value, q.start.UnixNano(), q.end.UnixNano(), q.insight)
	return h.Sum64()
}

func (q *query) token(account string, seq uint64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "1.%d.%x", seq, q.fingerprint(account)))
}

var attributeKeys = []string{"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"}

func parseQuery(body []byte, account string) (*query, error) {
	var in lookupEventsInput
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, lookupErrorf("SerializationException", "The request body is not a valid LookupEvents request: %v.", err)
		}
	}
	q := &query{limit: maxResults}
	// "Currently the list can contain only one item." (LookupAttributes,
	// CloudTrail's service model.)
	if len(in.LookupAttributes) > 1 {
		return nil, lookupErrorf("InvalidLookupAttributesException", "You can specify only one lookup attribute; the request has %d.", len(in.LookupAttributes))
	}
	if len(in.LookupAttributes) == 1 {
		a := in.LookupAttributes[0]
		if a.AttributeKey == nil || a.AttributeValue == nil {
			return nil, lookupErrorf("InvalidLookupAttributesException", "A lookup attribute needs both AttributeKey and AttributeValue.")
		}
		known := false
		for _, k := range attributeKeys {
			known = known || k == *a.AttributeKey
		}
		if !known {
			return nil, lookupErrorf("InvalidLookupAttributesException", "AttributeKey %q is not one of %s.", *a.AttributeKey, strings.Join(attributeKeys, ", "))
		}
		if *a.AttributeValue == "" || len(*a.AttributeValue) > 2000 {
			return nil, lookupErrorf("InvalidLookupAttributesException", "AttributeValue must be 1 to 2000 characters long.")
		}
		if *a.AttributeKey == "ReadOnly" && *a.AttributeValue != "true" && *a.AttributeValue != "false" {
			return nil, lookupErrorf("InvalidLookupAttributesException", "The ReadOnly attribute is \"true\" or \"false\", not %q.", *a.AttributeValue)
		}
		q.key, q.value = *a.AttributeKey, *a.AttributeValue
	}
	if in.StartTime != nil {
		q.start = time.Time(*in.StartTime)
	}
	if in.EndTime != nil {
		q.end = time.Time(*in.EndTime)
	}
	if !q.start.IsZero() && !q.end.IsZero() && q.start.After(q.end) {
		return nil, lookupErrorf("InvalidTimeRangeException", "StartTime %s is after EndTime %s.", q.start.UTC().Format(time.RFC3339), q.end.UTC().Format(time.RFC3339))
	}
	if in.EventCategory != nil {
		if *in.EventCategory != "insight" {
			return nil, lookupErrorf("InvalidEventCategoryException", "EventCategory %q is not valid; the only category is \"insight\".", *in.EventCategory)
		}
		q.insight = true
	}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxResults {
			return nil, lookupErrorf("InvalidMaxResultsException", "MaxResults %d is not valid: it must be 1 to %d.", *in.MaxResults, maxResults)
		}
		q.limit = *in.MaxResults
	}
	if in.NextToken != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		var seq, fp uint64
		if err == nil {
			_, err = fmt.Sscanf(string(raw), "1.%d.%x", &seq, &fp)
		}
		if err != nil || seq == 0 {
			return nil, lookupErrorf("InvalidNextTokenException", "The NextToken is not one LookupEvents returned.")
		}
		if fp != q.fingerprint(account) {
			return nil, lookupErrorf("InvalidNextTokenException", "The NextToken was returned for other parameters: pass the same LookupAttributes, StartTime, EndTime and EventCategory as the call that returned it.")
		}
		q.before = seq
	}
	return q, nil
}

// inRange says whether t is within StartTime and EndTime, both inclusive.
func (q *query) inRange(t time.Time) bool {
	return (q.start.IsZero() || !t.Before(q.start)) && (q.end.IsZero() || !t.After(q.end))
}

// matches says whether r has the lookup attribute.
func (q *query) matches(r *Record) bool {
	switch q.key {
	case "":
		return true
	case "EventId":
		return r.EventID == q.value
	case "EventName":
		return r.EventName == q.value
	case "ReadOnly":
		return strconv.FormatBool(r.ReadOnly) == q.value
	case "Username":
		return r.UserIdentity.Username() == q.value
	case "EventSource":
		return r.EventSource == q.value
	case "AccessKeyId":
		return r.UserIdentity.AccessKeyID == q.value
	case "ResourceType", "ResourceName":
		for _, res := range r.resources {
			if (q.key == "ResourceType" && res.ResourceType == q.value) || (q.key == "ResourceName" && res.ResourceName == q.value) {
				return true
			}
		}
	}
	return false
}

// event is one item of LookupEvents' Events.
type event struct {
	EventId         string
	EventName       string
	ReadOnly        string
	AccessKeyId     string `json:",omitempty"`
	EventTime       json.Number
	EventSource     string
	Username        string     `json:",omitempty"`
	Resources       []Resource `json:",omitempty"`
	CloudTrailEvent string
}

type lookupEventsOutput struct {
	Events    []event
	NextToken string `json:",omitempty"`
}

// LookupEvents answers CloudTrail's LookupEvents (the JSON 1.1 body in
// body) with the calls of AWS account awsAccountID, newest first; now is the
// time MaxAge counts back from.
func (t *Trail) LookupEvents(w http.ResponseWriter, body []byte, awsAccountID string, now time.Time) {
	out, err := t.lookup(body, awsAccountID, now)
	if err != nil {
		if le, ok := err.(*lookupError); ok {
			WriteError(w, http.StatusBadRequest, le.typ, le.msg)
			return
		}
		WriteError(w, http.StatusInternalServerError, "InternalFailure", "The events could not be looked up.")
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "InternalFailure", "The events could not be encoded.")
		return
	}
	writeBody(w, http.StatusOK, b)
}

func (t *Trail) lookup(body []byte, account string, now time.Time) (*lookupEventsOutput, error) {
	q, err := parseQuery(body, account)
	if err != nil {
		return nil, err
	}
	out := &lookupEventsOutput{Events: []event{}}
	if q.insight {
		return out, nil // OpenChime has no Insights events
	}
	var last uint64
	t.scan(q.before, func(c *Call) bool {
		if c.AwsAccountID != account || (t.MaxAge > 0 && now.Sub(c.Time) > t.MaxAge) || now.Sub(c.Time) > lookback {
			return true
		}
		// No early stop at StartTime: the clock can be set back
		// (/_openchime/clock), so the ring is in call order, not time order.
		// At the records' precision, seconds: a range of one second
		// holds the calls whose eventTime shows that second.
		if !q.inRange(c.Time.Truncate(time.Second)) {
			return true
		}
		r := t.Record(c)
		if !q.matches(&r) {
			return true
		}
		if len(out.Events) == q.limit {
			out.NextToken = q.token(account, last)
			return false
		}
		out.Events = append(out.Events, event{
			EventId:         r.EventID,
			EventName:       r.EventName,
			ReadOnly:        strconv.FormatBool(r.ReadOnly),
			AccessKeyId:     r.UserIdentity.AccessKeyID,
			EventTime:       json.Number(strconv.FormatInt(c.Time.Unix(), 10)),
			EventSource:     r.EventSource,
			Username:        r.UserIdentity.Username(),
			Resources:       r.resources,
			CloudTrailEvent: string(r.JSON()),
		})
		last = c.Seq
		return true
	})
	return out, nil
}
