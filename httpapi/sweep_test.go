package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The sweep drives every operation of the model with raw HTTP: one valid
// request built from the model, then one invalid request per constraint of
// every input member it can reach. It proves the wire layer checks what the
// model says, answers 400 BadRequestException naming the member, never 500,
// and that no operation is left answering 501.

// allowNotImplemented lists operations that may still answer 501. Keep it
// empty: an operation the model has and OpenChime lacks is a failure.
var allowNotImplemented = map[string]bool{}

type sweepModel struct {
	Operations map[string]struct {
		HTTP struct {
			Method     string `json:"method"`
			RequestURI string `json:"requestUri"`
		} `json:"http"`
		Input *struct {
			Shape string `json:"shape"`
		} `json:"input"`
	} `json:"operations"`
	Shapes map[string]*sweepShape `json:"shapes"`
}

type sweepShape struct {
	Type    string `json:"type"`
	Members map[string]struct {
		Shape        string `json:"shape"`
		Location     string `json:"location"`
		LocationName string `json:"locationName"`
	} `json:"members"`
	Member *struct {
		Shape string `json:"shape"`
	} `json:"member"`
	Required []string `json:"required"`
	Enum     []string `json:"enum"`
	Min      *int     `json:"min"`
	Max      *int     `json:"max"`
	Pattern  string   `json:"pattern"`
}

// sweepValid holds a value that satisfies each pattern shape of the model.
// A new pattern shape fails the sweep until it gets one here.
var sweepValid = map[string]string{
	"EmailAddress":       "someone@example.com",
	"E164PhoneNumber":    "+12065550100",
	"GuidString":         "11111111-2222-3333-4444-555555555555",
	"NonEmptyString":     "value",
	"AccountName":        "Sweep account",
	"Alpha2CountryCode":  "US",
	"CallingName":        "Sweep Name",
	"ClientRequestToken": "token-1",
	"JoinTokenString":    "dG9rZW4",
	"TollFreePrefix":     "800",
}

func loadSweepModel(tb testing.TB) *sweepModel {
	tb.Helper()
	raw, err := os.ReadFile("../spec/chime-2018-05-01.model.json")
	if err != nil {
		tb.Fatal(err)
	}
	var m sweepModel
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	return &m
}

// anchoredPattern matches the whole value, as the service's validator does.
func anchoredPattern(p string) *regexp.Regexp { return regexp.MustCompile("(?s)^(?:" + p + ")$") }

// sweepRequest is a request of one operation in parts, so a case can spoil
// one part of a valid request.
type sweepRequest struct {
	method, path string // path template
	labels       map[string]string
	query        url.Values
	body         map[string]any // nil when the input has no body members
	raw          []byte         // sent instead of body when set
}

func (r *sweepRequest) clone() *sweepRequest {
	c := &sweepRequest{method: r.method, path: r.path, labels: map[string]string{}, query: url.Values{}}
	for k, v := range r.labels {
		c.labels[k] = v
	}
	for k, v := range r.query {
		c.query[k] = slices.Clone(v)
	}
	if r.body != nil {
		b, _ := json.Marshal(r.body)
		json.Unmarshal(b, &c.body)
	}
	c.raw = r.raw
	return c
}

func (r *sweepRequest) httpRequest(tb testing.TB, base string) *http.Request {
	tb.Helper()
	path := r.path
	for k, v := range r.labels {
		path = strings.Replace(path, "{"+k+"}", url.PathEscape(v), 1)
	}
	u := base + path
	if q := r.query.Encode(); q != "" {
		u += "?" + q
	}
	var body io.Reader
	switch {
	case r.raw != nil:
		body = bytes.NewReader(r.raw)
	case r.body != nil:
		b, err := json.Marshal(r.body)
		if err != nil {
			tb.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(r.method, u, body)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// sweepCase is one invalid request and the member its message must name.
type sweepCase struct {
	name   string
	member []string // any one of these must appear in the message
	// at, when set, is the member's path as the message must quote it
	// ('Items.1.MemberId'; lists count from 1).
	at  string
	req *sweepRequest
}

type sweeper struct {
	tb testing.TB
	m  *sweepModel
}

// valid returns a value of shape s that satisfies all its constraints.
func (w *sweeper) valid(name string, depth int) any {
	s := w.m.Shapes[name]
	if depth > 8 {
		w.tb.Fatalf("shape %s nests too deep", name)
	}
	switch s.Type {
	case "string":
		return w.validString(name)
	case "integer":
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case "boolean":
		return true
	case "timestamp":
		return "2030-01-02T03:04:05Z"
	case "list":
		n := 1
		if s.Min != nil && *s.Min > n {
			n = *s.Min
		}
		items := make([]any, n)
		for i := range items {
			items[i] = w.valid(s.Member.Shape, depth+1)
		}
		return items
	case "structure":
		obj := map[string]any{}
		for mn, mem := range s.Members {
			obj[mn] = w.valid(mem.Shape, depth+1)
		}
		return obj
	}
	w.tb.Fatalf("shape %s has unknown type %s", name, s.Type)
	return nil
}

func (w *sweeper) validString(name string) string {
	s := w.m.Shapes[name]
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if s.Pattern != "" {
		v, ok := sweepValid[name]
		if !ok {
			w.tb.Fatalf("pattern shape %s (%s) has no valid value in sweepValid", name, s.Pattern)
		}
		if !anchoredPattern(s.Pattern).MatchString(v) {
			w.tb.Fatalf("sweepValid[%s] = %q does not match %s", name, v, s.Pattern)
		}
		return v
	}
	v := "value"
	if s.Min != nil && len(v) < *s.Min {
		v = strings.Repeat("a", *s.Min)
	}
	if s.Max != nil && len(v) > *s.Max {
		v = v[:*s.Max]
	}
	return v
}

// validRequest builds a request of op that satisfies the model.
func (w *sweeper) validRequest(opName string) *sweepRequest {
	op := w.m.Operations[opName]
	path, fixed, _ := strings.Cut(op.HTTP.RequestURI, "?")
	r := &sweepRequest{method: op.HTTP.Method, path: path, labels: map[string]string{}, query: url.Values{}}
	if fixed != "" {
		k, v, _ := strings.Cut(fixed, "=")
		r.query.Set(k, v)
	}
	if op.Input == nil {
		return r
	}
	in := w.m.Shapes[op.Input.Shape]
	for mn, mem := range in.Members {
		switch mem.Location {
		case "uri":
			r.labels[strings.TrimSuffix(mem.LocationName, "+")] = fmt.Sprint(w.valid(mem.Shape, 0))
		case "querystring":
			r.query.Set(mem.LocationName, fmt.Sprint(w.valid(mem.Shape, 0)))
		case "":
			if r.body == nil {
				r.body = map[string]any{}
			}
			r.body[mn] = w.valid(mem.Shape, 0)
		default:
			w.tb.Fatalf("%s.%s: location %s is not swept", opName, mn, mem.Location)
		}
	}
	return r
}

// badValue is one value that breaks one constraint of a scalar shape.
type badValue struct {
	why   string
	value any
}

// badValues returns one value per constraint of a string or integer shape;
// asString renders integers as the query does. empty says whether "" may be
// one of them (it cannot in a URI label: it changes the route).
func (w *sweeper) badValues(name string, empty bool) []badValue {
	s := w.m.Shapes[name]
	var out []badValue
	switch s.Type {
	case "integer":
		if s.Min != nil {
			out = append(out, badValue{"below minimum", *s.Min - 1})
		}
		if s.Max != nil {
			out = append(out, badValue{"above maximum", *s.Max + 1})
		}
	case "string":
		short := false
		if s.Min != nil && *s.Min > 0 && (*s.Min > 1 || empty) {
			out = append(out, badValue{"too short", strings.Repeat("a", *s.Min-1)})
			short = *s.Min == 1
		}
		if s.Max != nil {
			out = append(out, badValue{"too long", strings.Repeat("a", *s.Max+1)})
		}
		if s.Pattern != "" {
			re := anchoredPattern(s.Pattern)
			n := 1
			if s.Min != nil && *s.Min > n {
				n = *s.Min
			}
			found := false
			for _, c := range []string{strings.Repeat(" ", n), strings.Repeat("!", n)} {
				if !re.MatchString(c) {
					out = append(out, badValue{"pattern violated", c})
					found = true
					break
				}
			}
			if !found {
				w.tb.Fatalf("no value found that breaks pattern %s of %s", s.Pattern, name)
			}
			if empty && !short && !re.MatchString("") {
				out = append(out, badValue{"empty string violates pattern", ""})
				short = true
			}
		}
		if len(s.Enum) > 0 {
			out = append(out, badValue{"enum violated", "NotAModelledValue"})
			if empty && !short {
				out = append(out, badValue{"empty string violates enum", ""})
			}
		}
	}
	return out
}

// wrongType returns a JSON value of another type than shape name.
func (w *sweeper) wrongType(name string) any {
	switch w.m.Shapes[name].Type {
	case "string":
		return 12345
	case "integer":
		return "12"
	case "boolean":
		return "yes"
	case "list":
		return map[string]any{"not": "a list"}
	case "structure":
		return []any{1}
	}
	return nil // timestamps are not swept
}

// setAt sets (or, with del, deletes) the body value at path.
func setAt(body map[string]any, path []any, v any, del bool) {
	var cur any = body
	for i, p := range path {
		last := i == len(path)-1
		switch c := cur.(type) {
		case map[string]any:
			k := p.(string)
			if last {
				if del {
					delete(c, k)
				} else {
					c[k] = v
				}
				return
			}
			cur = c[k]
		case []any:
			k := p.(int)
			if last {
				c[k] = v
				return
			}
			cur = c[k]
		default:
			panic(fmt.Sprintf("setAt: %T at %v", cur, path[:i]))
		}
	}
}

func pathString(path []any) string {
	var b strings.Builder
	for i, p := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		if n, ok := p.(int); ok {
			p = n + 1
		}
		fmt.Fprint(&b, p)
	}
	return b.String()
}

// bodyCases adds the invalid requests of the members of structure shape at path.
func (w *sweeper) bodyCases(base *sweepRequest, shapeName string, path []any, add func(sweepCase)) {
	s := w.m.Shapes[shapeName]
	for _, mn := range sortedNames(s.Members) {
		mem := s.Members[mn]
		if len(path) == 0 && mem.Location != "" {
			continue
		}
		p := append(slices.Clone(path), mn)
		spoil := func(why string, v any, del bool) {
			c := base.clone()
			setAt(c.body, p, v, del)
			at := pathString(p)
			if why == "wrong JSON type" {
				at = "" // the JSON decoder names the member without list indexes
			}
			add(sweepCase{name: pathString(p) + ": " + why, member: []string{mn}, at: at, req: c})
		}
		ms := w.m.Shapes[mem.Shape]
		if slices.Contains(s.Required, mn) {
			spoil("missing required", nil, true)
			spoil("required but null", nil, false)
		}
		if wt := w.wrongType(mem.Shape); wt != nil {
			spoil("wrong JSON type", wt, false)
		}
		for _, b := range w.badValues(mem.Shape, true) {
			spoil(b.why, b.value, false)
		}
		switch ms.Type {
		case "structure":
			w.bodyCases(base, mem.Shape, p, add)
		case "list":
			item := w.valid(ms.Member.Shape, 0)
			if ms.Min != nil {
				spoil("list too short", make([]any, 0, *ms.Min-1), false)
			}
			if ms.Max != nil {
				items := make([]any, *ms.Max+1)
				for i := range items {
					items[i] = item
				}
				spoil("list too long", items, false)
			}
			ip := append(slices.Clone(p), 0)
			es := w.m.Shapes[ms.Member.Shape]
			if es.Type == "structure" {
				w.bodyCases(base, ms.Member.Shape, ip, add)
				continue
			}
			spoilItem := func(why string, v any) {
				c := base.clone()
				setAt(c.body, ip, v, false)
				at := pathString(ip)
				if why == "wrong JSON type" {
					at = ""
				}
				add(sweepCase{name: pathString(ip) + ": " + why, member: []string{mn}, at: at, req: c})
			}
			if wt := w.wrongType(ms.Member.Shape); wt != nil {
				spoilItem("wrong JSON type", wt)
			}
			for _, b := range w.badValues(ms.Member.Shape, true) {
				spoilItem(b.why, b.value)
			}
		}
	}
}

// cases returns the invalid requests of op.
func (w *sweeper) cases(opName string) []sweepCase {
	op := w.m.Operations[opName]
	base := w.validRequest(opName)
	var out []sweepCase
	add := func(c sweepCase) { out = append(out, c) }
	if op.Input == nil {
		return nil
	}
	in := w.m.Shapes[op.Input.Shape]
	for _, mn := range sortedNames(in.Members) {
		mem := in.Members[mn]
		names := []string{mn, mem.LocationName}
		switch mem.Location {
		case "uri":
			label := strings.TrimSuffix(mem.LocationName, "+")
			for _, b := range w.badValues(mem.Shape, false) {
				c := base.clone()
				c.labels[label] = fmt.Sprint(b.value)
				add(sweepCase{name: "label " + label + ": " + b.why, member: names, req: c})
			}
		case "querystring":
			q := mem.LocationName
			if slices.Contains(in.Required, mn) {
				c := base.clone()
				c.query.Del(q)
				add(sweepCase{name: "query " + q + ": missing required", member: names, req: c})
			}
			if w.m.Shapes[mem.Shape].Type == "integer" {
				c := base.clone()
				c.query.Set(q, "twelve")
				add(sweepCase{name: "query " + q + ": not an integer", member: names, req: c})
				c = base.clone()
				c.query.Set(q, "")
				add(sweepCase{name: "query " + q + ": empty integer", member: names, req: c})
			}
			for _, b := range w.badValues(mem.Shape, true) {
				c := base.clone()
				c.query.Set(q, fmt.Sprint(b.value))
				add(sweepCase{name: "query " + q + ": " + b.why, member: names, req: c})
			}
		}
	}
	if base.body != nil {
		w.bodyCases(base, op.Input.Shape, nil, add)
		for _, raw := range []string{`{"`, `{"a":1}{}`, `[1]`, `"text"`, `{"a":}`} {
			c := base.clone()
			c.raw = []byte(raw)
			add(sweepCase{name: "malformed JSON " + raw, req: c})
		}
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// sweepAnswer is what the sweep reads from a response.
type sweepAnswer struct {
	status              int
	errorType, reqID    string
	code, message, body string
}

func sweepDo(tb testing.TB, req *http.Request) sweepAnswer {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a := sweepAnswer{status: resp.StatusCode, errorType: resp.Header.Get("x-amzn-ErrorType"),
		reqID: resp.Header.Get("x-amzn-RequestId"), body: string(data)}
	var e struct{ Code, Message string }
	if json.Unmarshal(data, &e) == nil {
		a.code, a.message = e.Code, e.Message
	}
	return a
}

func TestSweep_EveryConstraintOfEveryOperation(t *testing.T) {
	e := newLifecycleClient(t)
	w := &sweeper{tb: t, m: loadSweepModel(t)}
	total := 0
	for _, opName := range sortedNames(w.m.Operations) {
		t.Run(opName, func(t *testing.T) {
			w := &sweeper{tb: t, m: w.m}
			a := sweepDo(t, w.validRequest(opName).httpRequest(t, e.URL))
			if a.status >= 500 && a.status != http.StatusNotImplemented {
				t.Errorf("valid request: status %d, want < 500: %s", a.status, a.body)
			}
			for _, c := range w.cases(opName) {
				total++
				a := sweepDo(t, c.req.httpRequest(t, e.URL))
				switch {
				case a.status != http.StatusBadRequest || a.errorType != "BadRequestException" || a.code != "BadRequest":
					t.Errorf("%s: got %d %s %s, want 400 BadRequestException {Code: BadRequest}", c.name, a.status, a.errorType, a.body)
				case a.reqID == "":
					t.Errorf("%s: no x-amzn-RequestId", c.name)
				case a.message == "":
					t.Errorf("%s: no Message in %s", c.name, a.body)
				case c.member != nil && !namesAny(a.message, c.member):
					t.Errorf("%s: message %q names none of %v", c.name, a.message, c.member)
				case c.at != "" && !strings.Contains(a.message, "'"+c.at+"'"):
					t.Errorf("%s: message %q does not quote the member's path '%s'", c.name, a.message, c.at)
				}
			}
		})
	}
	t.Logf("%d operations, %d invalid requests", len(w.m.Operations), total)
}

func namesAny(msg string, names []string) bool {
	for _, n := range names {
		if n != "" && strings.Contains(strings.ToLower(msg), strings.ToLower(n)) {
			return true
		}
	}
	return false
}

// TestSweep_EveryOperationImplemented sends each operation a valid request
// and fails for every one that answers 501 NotImplementedException.
func TestSweep_EveryOperationImplemented(t *testing.T) {
	e := newLifecycleClient(t)
	w := &sweeper{tb: t, m: loadSweepModel(t)}
	var missing []string
	for _, opName := range sortedNames(w.m.Operations) {
		a := sweepDo(t, w.validRequest(opName).httpRequest(t, e.URL))
		if a.status == http.StatusNotImplemented && !allowNotImplemented[opName] {
			missing = append(missing, opName)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d operations answer 501 NotImplementedException: %s", len(missing), strings.Join(missing, ", "))
	}
}
