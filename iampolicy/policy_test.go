package iampolicy

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func mustParse(tb testing.TB, doc string) *Policy {
	tb.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		tb.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

// baseRequest is a chime request from 203.0.113.7 over TLS at noon on
// 2030-06-15 by account 111122223333.
func baseRequest(action string) *Request {
	return &Request{
		Service: "chime", Action: action, Resource: "*",
		SourceIP:         netip.MustParseAddr("203.0.113.7"),
		CurrentTime:      time.Date(2030, 6, 15, 12, 0, 0, 0, time.UTC),
		SecureTransport:  true,
		PrincipalAccount: "111122223333",
		PrincipalArn:     "arn:aws:iam::111122223333:user/alice",
	}
}

// The cases follow the IAM User Guide: "Policy evaluation logic" (explicit
// deny beats allow, implicit deny by default), the "Action"/"NotAction"/
// "Resource"/"NotResource" element pages, and the example policies of
// "Example IAM identity-based policies" (AWS: Denies access to AWS based on
// the source IP; AWS: Allows access within specific dates; the
// aws:SecureTransport Bool deny; aws:PrincipalAccount StringEquals).
func TestEvaluate(t *testing.T) {
	type check struct {
		action string
		edit   func(r *Request)
		want   Result
	}
	cases := []struct {
		name     string
		policies []string
		checks   []check
	}{
		{"no policy denies implicitly", nil, []check{{"ListAccounts", nil, ImplicitDeny}}},
		{"allow one action, case-insensitive", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"chime:listaccounts","Resource":"*"}}`},
			[]check{{"ListAccounts", nil, Allow}, {"GetAccount", nil, ImplicitDeny}}},
		{"wildcards: chime:Batch* and chime:Get?ccount", []string{`{"Statement":[{"Effect":"Allow","Action":["chime:Batch*","chime:Get?ccount"],"Resource":"*"}]}`},
			[]check{{"BatchSuspendUser", nil, Allow}, {"BatchUnsuspendUser", nil, Allow}, {"GetAccount", nil, Allow},
				{"GetAccountSettings", nil, ImplicitDeny}, {"CreateAccount", nil, ImplicitDeny}}},
		{"other services' actions do not match", []string{`{"Statement":{"Effect":"Allow","Action":["s3:*","chimesdk:*"],"Resource":"*"}}`},
			[]check{{"ListAccounts", nil, ImplicitDeny}}},
		{"explicit deny beats allow, across policies", []string{
			`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
			`{"Statement":{"Sid":"NoDeletes","Effect":"Deny","Action":"chime:Delete*","Resource":"*"}}`},
			[]check{{"ListAccounts", nil, Allow}, {"DeleteAccount", nil, ExplicitDeny}}},
		{"NotAction with Allow: everything but deletes", []string{`{"Statement":{"Effect":"Allow","NotAction":"chime:Delete*","Resource":"*"}}`},
			[]check{{"CreateAccount", nil, Allow}, {"DeleteRoom", nil, ImplicitDeny}}},
		{"NotAction with Deny: deny all but reads", []string{
			`{"Statement":[{"Effect":"Allow","Action":"chime:*","Resource":"*"},{"Effect":"Deny","NotAction":["chime:Get*","chime:List*"],"Resource":"*"}]}`},
			[]check{{"ListUsers", nil, Allow}, {"GetUser", nil, Allow}, {"BatchSuspendUser", nil, ExplicitDeny}}},
		// Chime's admin actions define no resource type, so they are
		// authorized on "*": a statement naming an ARN does not apply.
		{"an ARN resource does not apply to resource-less actions", []string{`{"Statement":{"Effect":"Allow","Action":"chime:*","Resource":"arn:aws:chime::111122223333:meeting/*"}}`},
			[]check{{"ListAccounts", nil, ImplicitDeny}}},
		{"NotResource of an ARN applies to *", []string{`{"Statement":{"Effect":"Allow","Action":"chime:*","NotResource":"arn:aws:chime::111122223333:meeting/*"}}`},
			[]check{{"ListAccounts", nil, Allow}}},
		{"resource ARNs with wildcards", []string{`{"Statement":{"Effect":"Allow","Action":"chime:*","Resource":"arn:aws:chime::111122223333:meeting/m-?"}}`},
			[]check{{"DeleteMeeting", func(r *Request) { r.Resource = "arn:aws:chime::111122223333:meeting/m-1" }, Allow},
				{"DeleteMeeting", func(r *Request) { r.Resource = "arn:aws:chime::111122223333:meeting/m-12" }, ImplicitDeny},
				{"DeleteMeeting", func(r *Request) { r.Resource = "arn:aws:chime::111122223333:Meeting/m-1" }, ImplicitDeny}}},
		{"Denies access based on the source IP", []string{
			`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}}]}`},
			[]check{{"ListAccounts", nil, Allow},
				{"ListAccounts", func(r *Request) { r.SourceIP = netip.MustParseAddr("198.51.100.1") }, ExplicitDeny},
				{"ListAccounts", func(r *Request) { r.SourceIP = netip.MustParseAddr("::ffff:192.0.2.9") }, Allow}}},
		{"IpAddress with a single address", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}}}`},
			[]check{{"ListAccounts", nil, Allow}, {"ListAccounts", func(r *Request) { r.SourceIP = netip.MustParseAddr("203.0.113.8") }, ImplicitDeny}}},
		{"Allows access within specific dates", []string{
			`{"Statement":{"Effect":"Allow","Action":"chime:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2030-12-31T23:59:59Z"}}}}`},
			[]check{{"ListAccounts", nil, Allow},
				{"ListAccounts", func(r *Request) { r.CurrentTime = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC) }, ImplicitDeny},
				{"ListAccounts", func(r *Request) { r.CurrentTime = time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC) }, ImplicitDeny}}},
		{"dates as days and epoch seconds", []string{
			`{"Statement":{"Effect":"Allow","Action":"chime:*","Resource":"*","Condition":{"DateGreaterThanEquals":{"aws:CurrentTime":"2030-06-15"},"NumericLessThan":{"aws:EpochTime":1950000000}}}}`},
			[]check{{"ListAccounts", nil, Allow},
				{"ListAccounts", func(r *Request) { r.CurrentTime = time.Date(2030, 6, 14, 23, 0, 0, 0, time.UTC) }, ImplicitDeny}}},
		{"Deny requests not over TLS", []string{
			`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`},
			[]check{{"ListAccounts", nil, Allow}, {"ListAccounts", func(r *Request) { r.SecureTransport = false }, ExplicitDeny}}},
		{"Bool written as a JSON boolean", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}}`},
			[]check{{"ListAccounts", nil, Allow}, {"ListAccounts", func(r *Request) { r.SecureTransport = false }, ImplicitDeny}}},
		{"aws:PrincipalAccount StringEquals and StringLike", []string{
			`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]},"StringLike":{"aws:principalarn":"arn:aws:iam::*:user/a*"}}}}`},
			[]check{{"ListAccounts", nil, Allow},
				{"ListAccounts", func(r *Request) { r.PrincipalAccount = "999999999999" }, ImplicitDeny},
				{"ListAccounts", func(r *Request) { r.PrincipalArn = "arn:aws:iam::111122223333:user/bob" }, ImplicitDeny}}},
		{"StringNotEquals denies other accounts", []string{
			`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}]}`},
			[]check{{"ListAccounts", nil, Allow}, {"ListAccounts", func(r *Request) { r.PrincipalAccount = "444455556666" }, ExplicitDeny}}},
		{"a missing key: positive false, negated and IfExists true, Null", []string{
			`{"Statement":[{"Sid":"A","Effect":"Allow","Action":"chime:ListAccounts","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"x"}}},
			  {"Sid":"B","Effect":"Allow","Action":"chime:GetAccount","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceTag/team":"x"}}},
			  {"Sid":"C","Effect":"Allow","Action":"chime:GetUser","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:ResourceTag/team":"x"}}},
			  {"Sid":"D","Effect":"Allow","Action":"chime:ListUsers","Resource":"*","Condition":{"Null":{"aws:ResourceTag/team":"true"}}}]}`},
			[]check{{"ListAccounts", nil, ImplicitDeny}, {"GetAccount", nil, Allow}, {"GetUser", nil, Allow}, {"ListUsers", nil, Allow},
				{"ListUsers", func(r *Request) { r.Values = map[string][]string{"aws:resourcetag/team": {"x"}} }, ImplicitDeny}}},
		{"ForAllValues and ForAnyValue", []string{
			`{"Statement":[{"Effect":"Allow","Action":"chime:ListAccounts","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}},
			  {"Effect":"Allow","Action":"chime:GetAccount","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"c*"}}}]}`},
			[]check{{"ListAccounts", func(r *Request) { r.Values = map[string][]string{"aws:tagkeys": {"a", "b"}} }, Allow},
				{"ListAccounts", func(r *Request) { r.Values = map[string][]string{"aws:tagkeys": {"a", "z"}} }, ImplicitDeny},
				{"ListAccounts", nil, Allow}, // ForAllValues over no values is true
				{"GetAccount", func(r *Request) { r.Values = map[string][]string{"aws:tagkeys": {"a", "cc"}} }, Allow},
				{"GetAccount", nil, ImplicitDeny}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ps []*Policy
			for _, doc := range c.policies {
				ps = append(ps, mustParse(t, doc))
			}
			for _, ch := range c.checks {
				r := baseRequest(ch.action)
				if ch.edit != nil {
					ch.edit(r)
				}
				if got := Evaluate(ps, r); got.Result != ch.want {
					t.Errorf("%s %+v: %v, want %v", ch.action, r, got.Result, ch.want)
				}
			}
		})
	}
}

func TestEvaluate_DecisionNamesStatement(t *testing.T) {
	ps := []*Policy{mustParse(t, `{"Statement":[{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"NoSuspend","Effect":"Deny","Action":"chime:BatchSuspendUser","Resource":"*"}]}`)}
	d := Evaluate(ps, baseRequest("BatchSuspendUser"))
	if d.Result != ExplicitDeny || d.Sid != "NoSuspend" || d.Policy != 0 || d.Statement != 1 {
		t.Errorf("decision = %+v, want the explicit deny of Statement[1] NoSuspend", d)
	}
	d = Evaluate(ps, baseRequest("ListAccounts"))
	if d.Result != Allow || d.Sid != "All" {
		t.Errorf("decision = %+v, want Allow by All", d)
	}
}

func TestParse_Refuses(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`[]`, "not a JSON object"},
		{`{"Statement":[]}`, "at least one"},
		{`{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Version"},
		{`{"Statment":[]}`, `unknown policy element "Statment"`},
		{`{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, "Effect"},
		{`{"Statement":{"Effect":"Allow","Resource":"*"}}`, "needs Action or NotAction"},
		{`{"Statement":{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}}`, "not both"},
		{`{"Statement":{"Effect":"Allow","Action":"ListAccounts","Resource":"*"}}`, "service:action"},
		{`{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, "empty list"},
		{`{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}`, "list of strings"},
		{`{"Statement":{"Effect":"Allow","Action":"*"}}`, "needs Resource or NotResource"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"account/1"}}`, "ARN"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:chime::${aws:username}:x"}}`, "policy variables"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, "principal"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Extra":1}}`, `unknown statement element "Extra"`},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:PrincipalAccount":"1"}}}}`, `unknown condition operator "StringEqualz"`},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}}}`, "not an IP address"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}}`, "not a date"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}`, "not true or false"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:EpochTime":"soon"}}}}`, "not a number"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:SourceIp":"true"}}}}`, "unknown condition operator"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":[]}}}}`, "empty"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}}`, "map condition keys"},
	} {
		_, err := Parse([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s) err = %v, want it to say %q", c.doc, err, c.want)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		fold bool
		want bool
	}{
		{"*", "", false, true}, {"a*b", "ab", false, true}, {"a*b", "axxb", false, true}, {"a*b", "axxbc", false, false},
		{"a?c", "abc", false, true}, {"a?c", "ac", false, false}, {"*a*a*", "banana", false, true},
		{"Batch*", "batchsuspenduser", true, true}, {"Batch*", "batchsuspenduser", false, false},
	} {
		if got := glob(c.p, c.s, c.fold); got != c.want {
			t.Errorf("glob(%q, %q, %v) = %v, want %v", c.p, c.s, c.fold, got, c.want)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	ps := []*Policy{mustParse(b, `{"Statement":[{"Effect":"Allow","Action":"chime:Batch*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:SecureTransport":"true"}}},
		{"Effect":"Deny","Action":"chime:Delete*","Resource":"*"}]}`)}
	r := baseRequest("BatchSuspendUser")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if Evaluate(ps, r).Result != Allow {
			b.Fatal("not allowed")
		}
	}
}
