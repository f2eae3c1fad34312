package cloudtrail

import (
	"bytes"
	"encoding/json"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The fixed fields of every record. eventVersion: "The current version is
// 1.11" (CloudTrail User Guide, "CloudTrail record contents",
// docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
const (
	EventVersion  = "1.11"
	EventSource   = "chime.amazonaws.com"
	Region        = "us-east-1"
	EventType     = "AwsApiCall"
	EventCategory = "Management"
	// Hidden replaces a secret, as CloudTrail writes it.
	Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"
)

// Record is one CloudTrail record (the JSON LookupEvents returns as
// CloudTrailEvent), with CloudTrail's field names.
type Record struct {
	EventVersion    string       `json:"eventVersion"`
	UserIdentity    UserIdentity `json:"userIdentity"`
	EventTime       string       `json:"eventTime"`
	EventSource     string       `json:"eventSource"`
	EventName       string       `json:"eventName"`
	AwsRegion       string       `json:"awsRegion"`
	SourceIPAddress string       `json:"sourceIPAddress"`
	UserAgent       string       `json:"userAgent"`
	ErrorCode       string       `json:"errorCode,omitempty"`
	ErrorMessage    string       `json:"errorMessage,omitempty"`
	// RequestParameters has the request's members (path labels, query and
	// body) under lowerCamel names; nil when there are none.
	RequestParameters map[string]any `json:"requestParameters"`
	// ResponseElements is the answer of a successful write; null for reads
	// and failures, as CloudTrail ("present in events for actions that make
	// changes", record contents page above).
	ResponseElements   any    `json:"responseElements"`
	RequestID          string `json:"requestID"`
	EventID            string `json:"eventID"`
	ReadOnly           bool   `json:"readOnly"`
	EventType          string `json:"eventType"`
	ManagementEvent    bool   `json:"managementEvent"`
	RecipientAccountID string `json:"recipientAccountId"`
	EventCategory      string `json:"eventCategory"`

	// resources are the Chime resources the call names (LookupEvents'
	// Resources); not part of the JSON.
	resources []Resource
}

// UserIdentity is the record's userIdentity.
type UserIdentity struct {
	Type        string `json:"type"` // Root, IAMUser or AssumedRole
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	// SessionContext names the role an AssumedRole's session belongs to.
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext is the userIdentity.sessionContext of temporary
// credentials.
type SessionContext struct {
	SessionIssuer SessionIssuer     `json:"sessionIssuer"`
	Attributes    map[string]string `json:"attributes"`
}

// SessionIssuer is the role that issued a session.
type SessionIssuer struct {
	Type        string `json:"type"` // Role
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// Username is the user name LookupEvents reports: "root" for the root user,
// the user's name, or the role session's name.
func (u UserIdentity) Username() string {
	switch u.Type {
	case "Root":
		return "root"
	case "AssumedRole":
		return u.ARN[strings.LastIndexByte(u.ARN, '/')+1:]
	}
	return u.UserName
}

// DefaultIdentity names a caller from its account and access key, as the
// credentials OpenChime knows name no users: no key, or the account id used
// as the key (the --auth none convention), is the account's root user; a
// key signed with a session token is a session of the role "openchime"
// named after the key; any other key is an IAM user named after the key.
func DefaultIdentity(awsAccountID, accessKeyID string, temporary bool) UserIdentity {
	u := UserIdentity{AccountID: awsAccountID, AccessKeyID: accessKeyID}
	switch {
	case accessKeyID == "" || accessKeyID == awsAccountID:
		u.Type, u.PrincipalID, u.ARN = "Root", awsAccountID, "arn:aws:iam::"+awsAccountID+":root"
	case temporary:
		u.Type, u.PrincipalID = "AssumedRole", "openchime:"+accessKeyID
		u.ARN = "arn:aws:sts::" + awsAccountID + ":assumed-role/openchime/" + accessKeyID
		u.SessionContext = &SessionContext{
			SessionIssuer: SessionIssuer{Type: "Role", PrincipalID: "openchime", ARN: "arn:aws:iam::" + awsAccountID + ":role/openchime",
				AccountID: awsAccountID, UserName: "openchime"},
			Attributes: map[string]string{"mfaAuthenticated": "false"},
		}
	default:
		u.Type, u.PrincipalID, u.UserName = "IAMUser", accessKeyID, accessKeyID
		u.ARN = "arn:aws:iam::" + awsAccountID + ":user/" + accessKeyID
	}
	return u
}

// ReadOnly says whether a Chime operation only reads: its name starts with
// Get, List or Search.
func ReadOnly(op string) bool {
	return strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List") || strings.HasPrefix(op, "Search")
}

// NewRecord returns the record of a call to eventName by identity at time
// at, with every field that is the same for all Chime calls set (version,
// source, region, type, category, readOnly from the name); the caller adds
// the request's own fields. It is the one place those fields are written,
// for the trail and for anything else that sends CloudTrail records.
func NewRecord(identity UserIdentity, eventName string, at time.Time) Record {
	return Record{
		EventVersion:       EventVersion,
		UserIdentity:       identity,
		EventTime:          at.UTC().Format(time.RFC3339),
		EventSource:        EventSource,
		EventName:          eventName,
		AwsRegion:          Region,
		ReadOnly:           ReadOnly(eventName),
		EventType:          EventType,
		ManagementEvent:    true,
		RecipientAccountID: identity.AccountID,
		EventCategory:      EventCategory,
	}
}

// Record builds the CloudTrail record of c.
func (t *Trail) Record(c *Call) Record {
	identify := t.Identify
	if identify == nil {
		identify = DefaultIdentity
	}
	r := NewRecord(identify(c.AwsAccountID, c.AccessKeyID, c.Temporary), c.EventName, c.Time)
	r.RecipientAccountID = c.AwsAccountID
	r.SourceIPAddress = sourceIP(c.RemoteAddr)
	r.UserAgent = c.UserAgent
	r.ErrorCode, r.ErrorMessage = c.ErrorCode, c.ErrorMessage
	r.RequestID, r.EventID = c.RequestID, c.EventID
	params := map[string]any{}
	for _, l := range labels(c.PathTemplate, c.Path) {
		params[l[0]] = l[1]
		r.addResource(l[0], l[1])
	}
	if q, err := url.ParseQuery(c.RawQuery); err == nil {
		for k, v := range q {
			if k == c.FixedQueryKey || len(v) == 0 || strings.HasPrefix(k, "X-Amz-") {
				continue
			}
			name := kebabToCamel(k)
			if n, err := strconv.Atoi(v[0]); err == nil && name == "maxResults" {
				params[name] = n // the one integer query member of the model
				continue
			}
			params[name] = v[0]
		}
	}
	if c.BodyOmitted {
		params["omitted"] = true
	}
	if body, ok := elements(c.Body).(map[string]any); ok {
		for k, v := range body {
			params[k] = v
		}
		for _, id := range stringList(body["userIdList"]) {
			r.addResource("userId", id)
		}
		for _, id := range stringList(body["phoneNumberIds"]) {
			r.addResource("phoneNumberId", id)
		}
	}
	if len(params) > 0 {
		r.RequestParameters = params
	}
	if c.ErrorCode == "" && c.ResponseOmitted {
		r.ResponseElements = map[string]any{"omitted": true}
	}
	if c.ErrorCode == "" && c.Response != nil {
		r.ResponseElements = elements(c.Response)
		if m, ok := r.ResponseElements.(map[string]any); ok {
			// The ids of what the call created: {"user":{"userId":…}}.
			for _, v := range m {
				if obj, ok := v.(map[string]any); ok {
					for k, id := range obj {
						if s, ok := id.(string); ok {
							r.addResource(k, s)
						}
					}
				}
			}
		}
	}
	return r
}

// resourceTypes names the resource type of each id member (path label or
// body member) a call can name.
var resourceTypes = map[string]string{
	"accountId":          "AWS::Chime::Account",
	"userId":             "AWS::Chime::User",
	"botId":              "AWS::Chime::Bot",
	"roomId":             "AWS::Chime::Room",
	"memberId":           "AWS::Chime::RoomMember",
	"phoneNumberId":      "AWS::Chime::PhoneNumber",
	"phoneNumberOrderId": "AWS::Chime::PhoneNumberOrder",
	"meetingId":          "AWS::Chime::Meeting",
}

// Resource is a resource a call names (LookupEvents' Resources).
type Resource struct {
	ResourceType string
	ResourceName string
}

func (r *Record) addResource(member, id string) {
	typ, ok := resourceTypes[member]
	if !ok || id == "" {
		return
	}
	for _, have := range r.resources {
		if have.ResourceType == typ && have.ResourceName == id {
			return
		}
	}
	r.resources = append(r.resources, Resource{typ, id})
}

// Resources returns the resources the call names: its path's ids, the ids
// its body lists and the ids of what it created.
func (r *Record) Resources() []Resource { return r.resources }

// JSON returns the record as CloudTrail's JSON.
func (r *Record) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		// Every value came from decoding JSON or is a string.
		panic("cloudtrail: encode record: " + err.Error())
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

func sourceIP(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// labels returns the (name, value) pairs of the labels of template in path,
// unescaped.
func labels(template, path string) [][2]string {
	ts := strings.Split(strings.Trim(template, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	if len(ts) != len(ps) {
		return nil
	}
	var out [][2]string
	for i, s := range ts {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			v, err := url.PathUnescape(ps[i])
			if err != nil {
				v = ps[i]
			}
			out = append(out, [2]string{strings.Trim(s, "{}+"), v})
		}
	}
	return out
}

// kebabToCamel turns a query name (max-results) into its member's
// lowerCamel name (maxResults); every querystring member of the Chime model
// is named so.
func kebabToCamel(s string) string {
	parts := strings.Split(s, "-")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// elements decodes a JSON body into CloudTrail's shape: members under
// lowerCamel names, secrets hidden. A body that is not JSON is nil.
func elements(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return camel(v)
}

// camel renames the members of v to lowerCamel, recursively, and hides the
// secrets.
func camel(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			name := lowerCamel(k)
			if secret(name) {
				out[name] = Hidden
				continue
			}
			out[name] = camel(x)
		}
		return out
	case []any:
		for i := range v {
			v[i] = camel(v[i])
		}
		return v
	}
	return v
}

// lowerCamel lowers the first letter of a Chime member name, as CloudTrail
// names request parameters (UserIdList → userIdList).
func lowerCamel(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// secret says whether a member holds a secret that is never recorded: a
// bot's security token, a personal meeting PIN, a meeting's join token, or
// anything named a password or secret (SIP credentials).
func secret(name string) bool {
	switch name {
	case "securityToken", "personalPIN", "joinToken":
		return true
	}
	l := strings.ToLower(name)
	return strings.Contains(l, "password") || strings.Contains(l, "secret")
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
