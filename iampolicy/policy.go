// Package iampolicy parses AWS IAM identity-based policy documents and
// evaluates requests against them as IAM does for one account: an explicit
// Deny wins, then an Allow, else the request is implicitly denied
// ("Policy evaluation logic" and "Determining whether a request is allowed or
// denied within an account", IAM User Guide). It covers Action/NotAction
// (wildcards, matched case-insensitively), Resource/NotResource (wildcards,
// case-sensitive), and the Condition operators of the "IAM JSON policy
// elements: Condition operators" page, with IfExists, Null and the
// ForAnyValue/ForAllValues set qualifiers. Policy variables (${aws:username})
// are refused rather than taken literally.
//
// It is pure: Parse does all checking, Evaluate reads only its arguments.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Policy is a parsed, checked policy document.
type Policy struct {
	raw        json.RawMessage
	statements []statement
}

type statement struct {
	index      int
	sid        string
	deny       bool
	notAction  bool
	actions    []actionPattern
	notRes     bool
	resources  []string
	conditions []condition
}

// actionPattern is "service:name" split at the colon; service "*" with name
// "" is the bare "*".
type actionPattern struct{ service, name string }

// Parse parses and checks a policy document. Its errors name the element at
// fault, e.g. `Statement[1].Action[0] "chime"`.
func Parse(doc []byte) (*Policy, error) {
	var top map[string]json.RawMessage
	if err := strictUnmarshal(doc, &top); err != nil {
		return nil, fmt.Errorf("the policy is not a JSON object: %w", err)
	}
	if top == nil {
		return nil, errors.New("the policy is not a JSON object")
	}
	for k := range top {
		switch k {
		case "Version", "Id", "Statement":
		default:
			return nil, fmt.Errorf("unknown policy element %q (want Version, Id, Statement)", k)
		}
	}
	if v, ok := top["Version"]; ok {
		var s string
		if json.Unmarshal(v, &s) != nil || (s != "2012-10-17" && s != "2008-10-17") {
			return nil, fmt.Errorf("Version %s must be \"2012-10-17\" (or the older \"2008-10-17\")", v)
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, errors.New("the policy has no Statement")
	}
	var list []json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		list = []json.RawMessage{raw} // a single statement need not be in a list
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("Statement must be an object or a list of objects")
	}
	if len(list) == 0 {
		return nil, errors.New("Statement must hold at least one statement")
	}
	p := &Policy{raw: append(json.RawMessage(nil), doc...)}
	for i, r := range list {
		s, err := parseStatement(r)
		if err != nil {
			return nil, fmt.Errorf("Statement[%d]: %w", i, err)
		}
		s.index = i
		p.statements = append(p.statements, s)
	}
	return p, nil
}

// MarshalJSON returns the document as given.
func (p *Policy) MarshalJSON() ([]byte, error) { return p.raw, nil }

// UnmarshalJSON parses and checks a document (Parse).
func (p *Policy) UnmarshalJSON(b []byte) error {
	q, err := Parse(b)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}

func parseStatement(raw json.RawMessage) (statement, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return statement{}, errors.New("a statement must be a JSON object")
	}
	var s statement
	for k := range m {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition":
		case "Principal", "NotPrincipal":
			return s, fmt.Errorf("%s: an identity-based policy names no principal (it applies to the credentials it is attached to)", k)
		default:
			return s, fmt.Errorf("unknown statement element %q", k)
		}
	}
	if v, ok := m["Sid"]; ok && json.Unmarshal(v, &s.sid) != nil {
		return s, errors.New("Sid must be a string")
	}
	var effect string
	if json.Unmarshal(m["Effect"], &effect) != nil || (effect != "Allow" && effect != "Deny") {
		return s, errors.New(`Effect must be "Allow" or "Deny"`)
	}
	s.deny = effect == "Deny"

	name, raw, err := oneOf(m, "Action", "NotAction")
	if err != nil {
		return s, err
	}
	s.notAction = name == "NotAction"
	acts, err := stringList(raw)
	if err != nil {
		return s, fmt.Errorf("%s: %w", name, err)
	}
	for i, a := range acts {
		ap, err := parseAction(a)
		if err != nil {
			return s, fmt.Errorf("%s[%d] %q: %w", name, i, a, err)
		}
		s.actions = append(s.actions, ap)
	}

	name, raw, err = oneOf(m, "Resource", "NotResource")
	if err != nil {
		return s, err
	}
	s.notRes = name == "NotResource"
	if s.resources, err = stringList(raw); err != nil {
		return s, fmt.Errorf("%s: %w", name, err)
	}
	for i, r := range s.resources {
		switch {
		case strings.Contains(r, "${"):
			return s, fmt.Errorf("%s[%d] %q: policy variables (${...}) are not supported", name, i, r)
		case r != "*" && !strings.HasPrefix(r, "arn:"):
			return s, fmt.Errorf("%s[%d] %q: a resource is \"*\" or an ARN (arn:aws:...)", name, i, r)
		}
	}

	if c, ok := m["Condition"]; ok {
		if s.conditions, err = parseConditions(c); err != nil {
			return s, fmt.Errorf("Condition: %w", err)
		}
	}
	return s, nil
}

// oneOf returns the one of the two elements the statement has.
func oneOf(m map[string]json.RawMessage, a, b string) (string, json.RawMessage, error) {
	ra, okA := m[a]
	rb, okB := m[b]
	switch {
	case okA && okB:
		return "", nil, fmt.Errorf("a statement has %s or %s, not both", a, b)
	case okA:
		return a, ra, nil
	case okB:
		return b, rb, nil
	}
	return "", nil, fmt.Errorf("a statement needs %s or %s", a, b)
}

// stringList reads a string or a non-empty list of strings.
func stringList(raw json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		return nil, errors.New("must be a string or a list of strings")
	}
	if len(list) == 0 {
		return nil, errors.New("must not be an empty list")
	}
	return list, nil
}

func parseAction(a string) (actionPattern, error) {
	if a == "*" {
		return actionPattern{service: "*"}, nil
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" || strings.ContainsAny(svc, "*?") || strings.Contains(name, ":") {
		return actionPattern{}, errors.New(`an action is "*" or service:action, such as chime:ListAccounts or chime:Batch*`)
	}
	return actionPattern{service: svc, name: name}, nil
}

// Result is the outcome of an evaluation.
type Result uint8

// The results, as IAM names them.
const (
	ImplicitDeny Result = iota // no statement allows the request
	Allow                      // a statement allows it and none denies it
	ExplicitDeny               // a Deny statement matches it
)

func (r Result) String() string {
	switch r {
	case Allow:
		return "allow"
	case ExplicitDeny:
		return "explicit_deny"
	}
	return "implicit_deny"
}

// Decision is a Result and the statement that decided it (none for an
// implicit deny).
type Decision struct {
	Result Result
	// Policy and Statement index the deciding statement; Sid is its Sid.
	Policy, Statement int
	Sid               string
}

// Request is what a request is evaluated on: the action, the resource, and
// the values of the global condition keys. Absent values (a zero
// CurrentTime, an invalid SourceIP, an empty string) are keys missing from
// the request context.
type Request struct {
	Service string // the service prefix: "chime"
	Action  string // the action: "BatchSuspendUser"
	// Resource is the resource's ARN, or "*" for an action that names no
	// resource type.
	Resource string

	SourceIP         netip.Addr // aws:SourceIp
	CurrentTime      time.Time  // aws:CurrentTime and aws:EpochTime
	SecureTransport  bool       // aws:SecureTransport (always present)
	PrincipalAccount string     // aws:PrincipalAccount
	PrincipalArn     string     // aws:PrincipalArn
	Username         string     // aws:username
	RequestedRegion  string     // aws:RequestedRegion
	// Values holds any other condition keys, by name in lower case.
	Values map[string][]string
}

// Evaluate evaluates r against policies: an explicit deny in any of them
// wins, then an allow, else r is implicitly denied.
func Evaluate(policies []*Policy, r *Request) Decision {
	d := Decision{Result: ImplicitDeny, Policy: -1, Statement: -1}
	for pi, p := range policies {
		for i := range p.statements {
			s := &p.statements[i]
			if !s.applies(r) {
				continue
			}
			if s.deny {
				return Decision{Result: ExplicitDeny, Policy: pi, Statement: s.index, Sid: s.sid}
			}
			if d.Result == ImplicitDeny {
				d = Decision{Result: Allow, Policy: pi, Statement: s.index, Sid: s.sid}
			}
		}
	}
	return d
}

func (s *statement) applies(r *Request) bool {
	matched := false
	for _, a := range s.actions {
		if a.matches(r.Service, r.Action) {
			matched = true
			break
		}
	}
	if matched == s.notAction {
		return false
	}
	matched = false
	for _, p := range s.resources {
		if glob(p, r.Resource, false) {
			matched = true
			break
		}
	}
	if matched == s.notRes {
		return false
	}
	for i := range s.conditions {
		if !s.conditions[i].eval(r) {
			return false
		}
	}
	return true
}

// matches: IAM action names are case-insensitive ("Action" element page:
// chime:listaccounts is chime:ListAccounts).
func (a actionPattern) matches(service, action string) bool {
	if a.service == "*" && a.name == "" {
		return true
	}
	return strings.EqualFold(a.service, service) && glob(a.name, action, true)
}

// glob matches s against pattern, where * is any run of characters and ?
// any one character; fold makes it ASCII case-insensitive.
func glob(pattern, s string, fold bool) bool {
	// The classic backtracking matcher: linear in practice, no allocation.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || sameByte(pattern[p], s[i], fold)):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func sameByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if 'A' <= a && a <= 'Z' {
		a += 'a' - 'A'
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return a == b
}

// parseNumber reads a Numeric* value.
func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
