package cloudtrail

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

type countingIDs struct{ n int }

func (c *countingIDs) UUID() string { c.n++; return fmt.Sprintf("00000000-0000-4000-8000-%012d", c.n) }

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func call(account, op string, at time.Time) *Call {
	return &Call{Time: at, EventName: op, AwsAccountID: account, AccessKeyID: "AKID" + account, RequestID: "req-" + op,
		RemoteAddr: "192.0.2.1:5555", UserAgent: "test", PathTemplate: "/accounts/{accountId}/users", Path: "/accounts/a1/users"}
}

// lookup runs LookupEvents with body for account and decodes the answer.
func lookup(t *testing.T, tr *Trail, account, body string) (int, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	tr.LookupEvents(w, []byte(body), account, t0.Add(time.Hour))
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if ct := w.Header().Get("Content-Type"); ct != ContentType {
		t.Errorf("Content-Type=%q, want %q", ct, ContentType)
	}
	return w.Code, out
}

func events(out map[string]any) []map[string]any {
	var list []map[string]any
	for _, e := range out["Events"].([]any) {
		list = append(list, e.(map[string]any))
	}
	return list
}

func TestTrail_Add_Bounds(t *testing.T) {
	t.Run("MaxEvents", func(t *testing.T) {
		tr := New(3, &countingIDs{})
		for i := 0; i < 10; i++ {
			tr.Add(call("111122223333", fmt.Sprintf("Op%d", i), t0))
		}
		if got := tr.Len(); got != 3 {
			t.Fatalf("Len=%d, want 3", got)
		}
		var names []string
		tr.scan(0, func(c *Call) bool { names = append(names, c.EventName); return true })
		if got, want := strings.Join(names, ","), "Op9,Op8,Op7"; got != want {
			t.Errorf("names=%s, want %s", got, want)
		}
	})
	t.Run("MaxAge", func(t *testing.T) {
		tr := New(100, &countingIDs{})
		tr.MaxAge = time.Minute
		tr.Add(call("111122223333", "Old", t0))
		tr.Add(call("111122223333", "New", t0.Add(2*time.Minute)))
		if got := tr.Len(); got != 1 {
			t.Fatalf("Len=%d, want 1 (the old call dropped)", got)
		}
	})
	t.Run("MaxBytes", func(t *testing.T) {
		tr := New(100, &countingIDs{})
		tr.MaxBytes = 2500
		for i := 0; i < 5; i++ {
			c := call("111122223333", "Op", t0)
			c.Body = make([]byte, 1000)
			tr.Add(c)
		}
		if got := tr.Len(); got != 2 {
			t.Fatalf("Len=%d, want 2 (2000 of 2500 bytes)", got)
		}
	})
	t.Run("LargeBodyOmitted", func(t *testing.T) {
		tr := New(100, &countingIDs{})
		c := call("111122223333", "CreateUser", t0)
		c.Body = []byte(`{"Email":"` + strings.Repeat("a", MaxKeptBody) + `"}`)
		tr.Add(c)
		var got Call
		tr.scan(0, func(c *Call) bool { got = *c; return false })
		r := tr.Record(&got)
		if got.Body != nil || r.RequestParameters["omitted"] != true {
			t.Errorf("body kept %d bytes, requestParameters=%v; want it omitted", len(got.Body), r.RequestParameters)
		}
	})
	t.Run("Off", func(t *testing.T) {
		ids := &countingIDs{}
		tr := New(0, ids)
		tr.Add(call("111122223333", "Op", t0))
		if tr.Len() != 0 || ids.n != 0 {
			t.Errorf("Len=%d, ids drawn=%d; want nothing recorded", tr.Len(), ids.n)
		}
	})
}

func TestTrail_Record(t *testing.T) {
	tr := New(10, &countingIDs{})
	c := call("111122223333", "CreateMeetingDialOut", t0)
	c.PathTemplate, c.Path = "/meetings/{meetingId}/dial-outs", "/meetings/m%2F1/dial-outs"
	c.RawQuery = "operation=x&max-results=5"
	c.FixedQueryKey = "operation"
	c.Body = []byte(`{"FromPhoneNumber":"+15550100","JoinToken":"s3cret","Items":[{"SecurityToken":"tok","Name":"n"}]}`)
	c.Response = []byte(`{"TransactionId":"t1","Bot":{"BotId":"b1","SecurityToken":"tok2"}}`)
	tr.Add(c)
	r, ok := tr.ByRequestID("req-CreateMeetingDialOut")
	if !ok {
		t.Fatal("ByRequestID found nothing")
	}
	b := string(r.JSON())
	for _, secret := range []string{"s3cret", "tok"} {
		if strings.Contains(b, `"`+secret) {
			t.Errorf("record has the secret %q: %s", secret, b)
		}
	}
	var got map[string]any
	json.Unmarshal(r.JSON(), &got)
	params := got["requestParameters"].(map[string]any)
	want := map[string]any{"meetingId": "m/1", "maxResults": 5.0, "fromPhoneNumber": "+15550100", "joinToken": Hidden}
	for k, v := range want {
		if params[k] != v {
			t.Errorf("requestParameters[%s]=%v, want %v", k, params[k], v)
		}
	}
	if _, ok := params["operation"]; ok {
		t.Errorf("requestParameters has the fixed query key: %v", params)
	}
	if item := params["items"].([]any)[0].(map[string]any); item["securityToken"] != Hidden || item["name"] != "n" {
		t.Errorf("items[0]=%v, want securityToken hidden and name kept", item)
	}
	if bot := got["responseElements"].(map[string]any)["bot"].(map[string]any); bot["securityToken"] != Hidden || bot["botId"] != "b1" {
		t.Errorf("responseElements.bot=%v, want securityToken hidden", bot)
	}
	for k, v := range map[string]any{"eventVersion": "1.11", "eventSource": "chime.amazonaws.com", "awsRegion": "us-east-1",
		"sourceIPAddress": "192.0.2.1", "eventTime": "2030-01-02T03:04:05Z", "eventType": "AwsApiCall", "managementEvent": true,
		"readOnly": false, "recipientAccountId": "111122223333", "eventCategory": "Management", "eventID": "00000000-0000-4000-8000-000000000001"} {
		if got[k] != v {
			t.Errorf("%s=%v, want %v", k, got[k], v)
		}
	}
	if id := got["userIdentity"].(map[string]any); id["type"] != "IAMUser" || id["arn"] != "arn:aws:iam::111122223333:user/AKID111122223333" {
		t.Errorf("userIdentity=%v, want the IAM user of the key", id)
	}
}

func TestDefaultIdentity(t *testing.T) {
	for _, tc := range []struct {
		key       string
		temporary bool
		typ, user string
	}{
		{"", false, "Root", "root"},
		{"111122223333", false, "Root", "root"},
		{"AKIDEXAMPLE", false, "IAMUser", "AKIDEXAMPLE"},
		{"ASIAEXAMPLE", true, "AssumedRole", "ASIAEXAMPLE"},
	} {
		u := DefaultIdentity("111122223333", tc.key, tc.temporary)
		if u.Type != tc.typ || u.Username() != tc.user || u.AccountID != "111122223333" {
			t.Errorf("DefaultIdentity(%q, %v)=%+v (Username %q), want %s %s", tc.key, tc.temporary, u, u.Username(), tc.typ, tc.user)
		}
	}
}

func TestTrail_LookupEvents(t *testing.T) {
	tr := New(100, &countingIDs{})
	for i := 0; i < 7; i++ {
		c := call("111122223333", "BatchSuspendUser", t0.Add(time.Duration(i)*time.Second))
		if i%2 == 1 {
			c.EventName = "ListUsers"
		} else {
			c.Body = []byte(fmt.Sprintf(`{"UserIdList":["u%d"]}`, i))
		}
		tr.Add(c)
	}
	tr.Add(call("999988887777", "ListUsers", t0))

	t.Run("NewestFirstAndPaged", func(t *testing.T) {
		var names []string
		token := ""
		for page := 0; page < 10; page++ {
			body := `{"MaxResults":3}`
			if token != "" {
				body = `{"MaxResults":3,"NextToken":"` + token + `"}`
			}
			code, out := lookup(t, tr, "111122223333", body)
			if code != 200 {
				t.Fatalf("status %d: %v", code, out)
			}
			for _, e := range events(out) {
				names = append(names, fmt.Sprintf("%.0f", e["EventTime"].(float64)))
			}
			token, _ = out["NextToken"].(string)
			if token == "" {
				break
			}
		}
		if got, want := strings.Join(names, ","), "1893553451,1893553450,1893553449,1893553448,1893553447,1893553446,1893553445"; got != want {
			t.Errorf("event times=%s, want %s", got, want)
		}
	})
	t.Run("OtherTenantSeesNone", func(t *testing.T) {
		_, out := lookup(t, tr, "999988887777", `{}`)
		if got := events(out); len(got) != 1 || got[0]["AccessKeyId"] != "AKID999988887777" {
			t.Errorf("events=%v, want only the tenant's own call", got)
		}
		_, out = lookup(t, tr, "444455556666", `{}`)
		if got := events(out); len(got) != 0 {
			t.Errorf("events=%v, want none", got)
		}
	})
	t.Run("Attributes", func(t *testing.T) {
		for _, tc := range []struct {
			key, value string
			want       int
		}{
			{"EventName", "ListUsers", 3},
			{"ReadOnly", "true", 3},
			{"ReadOnly", "false", 4},
			{"ResourceName", "u4", 1},
			{"ResourceName", "a1", 7},
			{"ResourceType", "AWS::Chime::User", 4},
			{"Username", "AKID111122223333", 7},
			{"AccessKeyId", "AKIDnope", 0},
			{"EventSource", "chime.amazonaws.com", 7},
			{"EventId", "00000000-0000-4000-8000-000000000002", 1},
		} {
			_, out := lookup(t, tr, "111122223333", fmt.Sprintf(`{"LookupAttributes":[{"AttributeKey":%q,"AttributeValue":%q}]}`, tc.key, tc.value))
			if got := len(events(out)); got != tc.want {
				t.Errorf("%s=%s: %d events, want %d", tc.key, tc.value, got, tc.want)
			}
		}
	})
	t.Run("TimeRange", func(t *testing.T) {
		_, out := lookup(t, tr, "111122223333", fmt.Sprintf(`{"StartTime":%d,"EndTime":%d}`, t0.Add(2*time.Second).Unix(), t0.Add(4*time.Second).Unix()))
		if got := len(events(out)); got != 3 {
			t.Errorf("%d events in [2s, 4s], want 3 (both ends inclusive)", got)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		token := q3Token(t, tr)
		for _, tc := range []struct{ body, typ string }{
			{`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"A"},{"AttributeKey":"EventName","AttributeValue":"B"}]}`, "InvalidLookupAttributesException"},
			{`{"LookupAttributes":[{"AttributeKey":"Colour","AttributeValue":"A"}]}`, "InvalidLookupAttributesException"},
			{`{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"yes"}]}`, "InvalidLookupAttributesException"},
			{`{"StartTime":200,"EndTime":100}`, "InvalidTimeRangeException"},
			{`{"MaxResults":51}`, "InvalidMaxResultsException"},
			{`{"MaxResults":0}`, "InvalidMaxResultsException"},
			{`{"NextToken":"garbage"}`, "InvalidNextTokenException"},
			{`{"NextToken":"` + token + `","LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"ListUsers"}]}`, "InvalidNextTokenException"},
			{`{"EventCategory":"data"}`, "InvalidEventCategoryException"},
			{`{"MaxResults":"many"}`, "SerializationException"},
		} {
			code, out := lookup(t, tr, "111122223333", tc.body)
			if code != http.StatusBadRequest || out["__type"] != tc.typ || out["message"] == "" {
				t.Errorf("%s: %d %v, want 400 %s with a message", tc.body, code, out, tc.typ)
			}
		}
	})
	t.Run("Insight", func(t *testing.T) {
		if _, out := lookup(t, tr, "111122223333", `{"EventCategory":"insight"}`); len(events(out)) != 0 {
			t.Errorf("insight events=%v, want none", events(out))
		}
	})
}

func q3Token(t *testing.T, tr *Trail) string {
	t.Helper()
	_, out := lookup(t, tr, "111122223333", `{"MaxResults":3}`)
	tok, _ := out["NextToken"].(string)
	if tok == "" {
		t.Fatal("no NextToken after 3 of 7 events")
	}
	return tok
}

// TestTrail_Concurrent adds from several goroutines while lookups page
// through the ring as it wraps (run with -race).
func TestTrail_Concurrent(t *testing.T) {
	tr := New(50, &lockedIDs{})
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 500; i++ {
				tr.Add(call("111122223333", "ListUsers", t0.Add(time.Duration(i)*time.Millisecond)))
			}
		}()
	}
	for i := 0; i < 50; i++ {
		if code, out := lookup(t, tr, "111122223333", `{"MaxResults":7}`); code != 200 || len(events(out)) > 7 {
			t.Fatalf("lookup during adds: %d %v", code, out)
		}
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	if tr.Len() != 50 {
		t.Errorf("Len=%d, want 50", tr.Len())
	}
}

type lockedIDs struct {
	mu sync.Mutex
	countingIDs
}

func (l *lockedIDs) UUID() string { l.mu.Lock(); defer l.mu.Unlock(); return l.countingIDs.UUID() }

// TestTrail_LookupEvents_Lookback: LookupEvents sees 90 days back, as
// CloudTrail, even when the trail still holds older calls.
func TestTrail_LookupEvents_Lookback(t *testing.T) {
	tr := New(10, &countingIDs{})
	tr.Add(call("111122223333", "Old", t0.Add(-91*24*time.Hour)))
	tr.Add(call("111122223333", "Recent", t0.Add(-89*24*time.Hour)))
	_, out := lookup(t, tr, "111122223333", `{}`)
	if got := events(out); len(got) != 1 || got[0]["EventName"] != "Recent" {
		t.Errorf("events=%v, want only the call of 89 days ago", got)
	}
}

// randomCall fills every field of a Call, some empty and some nil, bodies of
// random sizes.
func randomCall(rng *rand.Rand, i int) *Call {
	s := func() string {
		if rng.IntN(5) == 0 {
			return ""
		}
		return strings.Repeat(string(rune('a'+rng.IntN(26))), rng.IntN(300))
	}
	b := func() []byte {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			return []byte{}
		}
		p := make([]byte, rng.IntN(3000))
		for j := range p {
			p[j] = byte(rng.IntN(256))
		}
		return p
	}
	return &Call{Time: t0.Add(time.Duration(i) * time.Millisecond).Add(time.Duration(rng.IntN(1e6))),
		EventID: fmt.Sprintf("id-%d", i), RequestID: s(), EventName: s(), AwsAccountID: s(), AccessKeyID: s(),
		Temporary: rng.IntN(2) == 0, RemoteAddr: s(), UserAgent: s(), PathTemplate: s(), Path: s(), RawQuery: s(),
		FixedQueryKey: s(), Body: b(), Response: b(), ErrorCode: s(), ErrorMessage: s(),
		BodyOmitted: rng.IntN(5) == 0, ResponseOmitted: rng.IntN(5) == 0}
}

// TestTrail_RingKeepsEveryField adds calls of random sizes to a trail whose
// byte ring wraps many times: it always holds the newest calls, in order,
// each read back equal to what was added (every field, nil and empty bodies
// told apart), within its byte bound.
func TestTrail_RingKeepsEveryField(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, maxBytes := range []int{20 << 10, 100 << 10, 1 << 20} {
		tr := New(1000, &countingIDs{})
		tr.MaxBytes = maxBytes
		var added []Call
		for i := 0; i < 600; i++ {
			c := randomCall(rng, i)
			tr.Add(c)
			added = append(added, *c)
			if i%3 != 0 {
				continue
			}
			if len(tr.buf) > maxBytes {
				t.Fatalf("MaxBytes %d: the ring holds %d bytes", maxBytes, len(tr.buf))
			}
			var got []Call
			tr.scan(0, func(c *Call) bool { got = append(got, *c); return true })
			if len(got) != tr.Len() || len(got) == 0 {
				t.Fatalf("MaxBytes %d, after %d calls: scan saw %d, Len %d", maxBytes, i+1, len(got), tr.Len())
			}
			for k, g := range got {
				want := added[len(added)-1-k]
				if !reflect.DeepEqual(g, want) {
					t.Fatalf("MaxBytes %d, after %d calls: call %d read back as\n%+v\nwant\n%+v", maxBytes, i+1, want.Seq, g, want)
				}
			}
		}
	}
}

// TestTrail_KeepsNoPointers: the rings hold nothing the collector scans
// (heads are plain numbers; buf is bytes).
func TestTrail_KeepsNoPointers(t *testing.T) {
	typ := reflect.TypeFor[head]()
	for i := 0; i < typ.NumField(); i++ {
		switch typ.Field(i).Type.Kind() {
		case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface, reflect.Struct, reflect.Array, reflect.Chan, reflect.Func:
			t.Errorf("head.%s is a %s, which the collector scans", typ.Field(i).Name, typ.Field(i).Type.Kind())
		}
	}
	if k := reflect.TypeOf(Trail{}.buf).Elem().Kind(); k != reflect.Uint8 {
		t.Errorf("Trail.buf holds %s, want bytes", k)
	}
}
