package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// marshalStd is what writeJSON wrote before appendJSON: encoding/json with
// HTML escaping off, without the Encoder's trailing newline.
func marshalStd(tb testing.TB, v any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		tb.Fatalf("encoding/json: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// jsonPieces are the string fragments random strings are made of: the
// bytes encoding/json escapes, invalid UTF-8 and the JavaScript line ends.
var jsonPieces = []string{
	"", "a", "user1@example.com", "Zoë", "日本語", "💩", "\ufffd", "<>&", `"`, `\`, `\"`, "/",
	"\x00", "\x01", "\x1f", "\b", "\f", "\n", "\r", "\t", "\x7f", " ",
	"\u2028", "\u2029", "\u2027", "\u202a",
	"\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\x80",
}

func randString(rng *rand.Rand) string {
	var sb strings.Builder
	for n := rng.IntN(6); n > 0; n-- {
		if rng.IntN(8) == 0 {
			for k := rng.IntN(4); k >= 0; k-- {
				sb.WriteByte(byte(rng.IntN(256)))
			}
			continue
		}
		sb.WriteString(jsonPieces[rng.IntN(len(jsonPieces))])
	}
	return sb.String()
}

var timestampType = reflect.TypeFor[Timestamp]()

func randTime(rng *rand.Rand) time.Time {
	switch rng.IntN(5) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(0, 0)
	case 2:
		// Years before 0 and after 9999 too.
		return time.Unix(rng.Int64N(1<<40)-1<<39, rng.Int64N(1e9))
	case 3:
		return time.Date(2025, 3, 9, 1, 59, 59, 999999999, time.FixedZone("X", -7*3600))
	}
	return time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(time.FixedZone("Y", 5*3600+1800))
}

func randInt(rng *rand.Rand) int64 {
	switch rng.IntN(6) {
	case 0:
		return 0
	case 1:
		return math.MaxInt64
	case 2:
		return math.MinInt64
	case 3:
		return -rng.Int64N(1000)
	}
	return rng.Int64()
}

// fill sets every exported field reachable from v to a random value: nil,
// empty and full lists and maps, nil and set pointers, zero and other
// values.
func fill(rng *rand.Rand, v reflect.Value, depth int) {
	if v.Type() == timestampType {
		v.Set(reflect.ValueOf(Timestamp(randTime(rng))))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(randString(rng))
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(randInt(rng) >> (64 - v.Type().Bits()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(rng.Uint64() >> (64 - v.Type().Bits()))
	case reflect.Float64, reflect.Float32:
		v.SetFloat(float64(randInt(rng)) / 1000)
	case reflect.Pointer:
		if rng.IntN(3) == 0 || depth > 8 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		if rng.IntN(4) > 0 { // else the zero value
			fill(rng, p.Elem(), depth+1)
		}
		v.Set(p)
	case reflect.Slice:
		switch rng.IntN(4) {
		case 0:
			v.SetZero()
			return
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		if depth > 8 {
			return
		}
		s := reflect.MakeSlice(v.Type(), 1+rng.IntN(3), 4)
		for i := range s.Len() {
			fill(rng, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		switch rng.IntN(3) {
		case 0:
			v.SetZero()
			return
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
			return
		}
		m := reflect.MakeMap(v.Type())
		for range 1 + rng.IntN(3) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(rng, k, depth+1)
			fill(rng, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i), depth+1)
			}
		}
	default:
		panic("fill: no random " + v.Type().String())
	}
}

// TestAppendJSON_matchesEncodingJSON holds every generated appendJSON to the
// bytes encoding/json writes for the same value, on random values.
func TestAppendJSON_matchesEncodingJSON(t *testing.T) {
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 6))
	iterations := 300
	if testing.Short() {
		iterations = 50
	}
	all := append([]any{(*errorBody)(nil)}, appendJSONTypes...)
	for _, typ := range all {
		rt := reflect.TypeOf(typ).Elem()
		t.Run(rt.Name(), func(t *testing.T) {
			// The nil pointer (a response a handler may return; errorBody
			// is only passed by value) and the zero value first.
			if rt.Name() != "errorBody" {
				check(t, seed, typ)
			}
			check(t, seed, reflect.New(rt).Interface())
			for range iterations {
				p := reflect.New(rt)
				fill(rng, p.Elem(), 0)
				check(t, seed, p.Interface())
				if t.Failed() {
					return
				}
			}
		})
	}
}

func check(t *testing.T, seed uint64, v any) {
	t.Helper()
	want := marshalStd(t, v)
	got := v.(jsonAppender).appendJSON([]byte("prefix"))
	if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[len("prefix"):], want) {
		t.Errorf("seed %d: appendJSON of %#v\n got %s\nwant %s", seed, v, got, "prefix"+string(want))
	}
}

// TestAppendJSON_everyAppenderTested fails when a type gains an appendJSON
// that TestAppendJSON_matchesEncodingJSON does not check.
func TestAppendJSON_everyAppenderTested(t *testing.T) {
	tested := map[string]bool{"errorBody": true, "Timestamp": true}
	for _, typ := range appendJSONTypes {
		tested[reflect.TypeOf(typ).Elem().Name()] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "appendJSON" {
				continue
			}
			recv := fn.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if id, ok := recv.(*ast.Ident); !ok || !tested[id.Name] {
				t.Errorf("%s: appendJSON of %s is not in appendJSONTypes or the test's list", fset.Position(fn.Pos()), types.ExprString(recv))
			}
		}
	}
}

// TestTimestamp_appendJSON: the hand-written layout equals time.Format's.
func TestTimestamp_appendJSON(t *testing.T) {
	edges := []time.Time{{}, time.Unix(0, 0), time.Unix(-1, 999999999),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 999e6, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 1e6-1, time.FixedZone("E", -12*3600))}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		var ts Timestamp
		if i < len(edges) {
			ts = Timestamp(edges[i])
		} else {
			ts = Timestamp(randTime(rng))
		}
		// MarshalJSON calls appendJSON, so the reference is the layout
		// through time.Format, as MarshalJSON was written before.
		want := `"` + time.Time(ts).UTC().Format("2006-01-02T15:04:05.000Z") + `"`
		if got := string(ts.appendJSON(nil)); got != want {
			t.Fatalf("appendJSON %s, want %s", got, want)
		}
		if got := string(marshalStd(t, ts)); got != want {
			t.Fatalf("encoding/json %s, want %s", got, want)
		}
	}
}

// FuzzAppendJSONString compares the string escaper with encoding/json on
// arbitrary bytes.
func FuzzAppendJSONString(f *testing.F) {
	for _, p := range jsonPieces {
		f.Add(p)
	}
	f.Add("a\u2028b\xffc<d>&\"\\\x00\x7f")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendJSONString(nil, s), marshalStd(t, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}

// TestWriteJSON_appender: the fast path answers with the status, headers and
// body the encoding/json path wrote.
func TestWriteJSON_appender(t *testing.T) {
	enabled := true
	v := &ListUsersResponse{NextToken: "t<&>\u2028", Users: []User{
		{UserId: "u1", PrimaryEmail: "a@b.example", AlexaForBusinessMetadata: &AlexaForBusinessMetadata{IsAlexaForBusinessEnabled: &enabled}},
		{UserId: "u2", InvitedOn: ts(time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC))},
	}}
	w := httptest.NewRecorder()
	writeJSON(w, 201, v)
	want := http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(marshalStd(t, v)))}}
	if w.Code != 201 || !reflect.DeepEqual(w.Header(), want) || !bytes.Equal(w.Body.Bytes(), marshalStd(t, v)) {
		t.Errorf("got %d %v %s\nwant 201 %v %s", w.Code, w.Header(), w.Body, want, marshalStd(t, v))
	}
	// A response larger than maxPooledJSON is written whole.
	big := &ListUsersResponse{Users: make([]User, 20000)}
	for i := range big.Users {
		big.Users[i].PrimaryEmail = strings.Repeat("x", 60)
	}
	w = httptest.NewRecorder()
	writeJSON(w, 200, big)
	if want := marshalStd(t, big); !bytes.Equal(w.Body.Bytes(), want) || len(want) <= maxPooledJSON {
		t.Errorf("big response: %d bytes, want %d (> %d)", w.Body.Len(), len(want), maxPooledJSON)
	}
}

// bodyFieldName is the JSON name of the one body member of a fastDecoder.
func bodyFieldName(rt reflect.Type) string {
	for i := range rt.NumField() {
		if tag := rt.Field(i).Tag.Get("json"); tag != "" && tag != "-" {
			name, _, _ := strings.Cut(tag, ",")
			return name
		}
	}
	panic("no body member in " + rt.Name())
}

// bodyFieldNames are the JSON keys of rt's body members.
func bodyFieldNames(rt reflect.Type) []string {
	var keys []string
	for i := range rt.NumField() {
		if tag := rt.Field(i).Tag.Get("json"); tag != "" && tag != "-" {
			name, _, _ := strings.Cut(tag, ",")
			keys = append(keys, name)
		}
	}
	return keys
}

// randStringsBody is a body near the plain {"A":"x","B":"y"} of an input
// whose members are strings: some of the keys in any order, often with other
// spacing, and often broken or spelled otherwise.
func randStringsBody(rng *rand.Rand, keys []string) []byte {
	var b []byte
	b = append(b, '{')
	n := 0
	for _, k := range rng.Perm(len(keys)) {
		if rng.IntN(3) == 0 {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		v := jsonPieces[rng.IntN(3)]
		if rng.IntN(3) == 0 {
			v = randString(rng)
		}
		kb, _ := json.Marshal(keys[k])
		vb, _ := json.Marshal(v)
		b = append(append(append(b, kb...), ':'), vb...)
	}
	b = append(b, '}')
	if rng.IntN(3) == 0 {
		spaces := []string{" ", "\t", "\n", "\r", "\u00a0", "\v", "  \n "}
		var out []byte
		for _, c := range b {
			if strings.IndexByte(`{}:,`, c) >= 0 && rng.IntN(2) == 0 {
				out = append(out, spaces[rng.IntN(len(spaces))]...)
			}
			out = append(out, c)
		}
		b = out
	}
	key := keys[rng.IntN(len(keys))]
	switch rng.IntN(14) {
	case 0:
		b = append(b, `{}`...)
	case 1:
		b = []byte(strings.Replace(string(b), key, strings.ToLower(key), 1))
	case 2:
		b = []byte(strings.Replace(string(b), "{", `{"Other":"1",`, 1))
	case 3:
		b = []byte(strings.Replace(string(b), "}", `,"`+key+`":"x"}`, 1))
	case 4:
		b = []byte(strings.Replace(string(b), `"}`, `",}`, 1))
	case 5:
		b = []byte(strings.Replace(string(b), `":"`, `":null,"`+key+`":"`, 1))
	case 6:
		b = []byte(strings.Replace(string(b), `a`, `\u0061`, 1))
	case 7:
		if len(b) > 0 {
			b = b[:rng.IntN(len(b))]
		}
	case 8:
		if len(b) > 0 {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
	case 9:
		b = []byte(strings.Replace(string(b), `":"`, `":1,"`+key+`":"`, 1))
	case 10:
		b = []byte(strings.Replace(string(b), `{`, `{"`+key+`":"dup",`, 1))
	}
	return b
}

// randBody is a body near the plain {"Key":["a","b"]}: often exactly that,
// often with other spacing, and often broken or spelled otherwise.
func randBody(rng *rand.Rand, key string) []byte {
	var list []string
	if rng.IntN(8) > 0 {
		list = []string{}
		for range rng.IntN(5) {
			if rng.IntN(3) == 0 {
				list = append(list, randString(rng))
			} else {
				list = append(list, jsonPieces[rng.IntN(3)])
			}
		}
	}
	b, _ := json.Marshal(map[string][]string{key: list})
	if rng.IntN(3) == 0 {
		// Whitespace, JSON's and others, around the tokens.
		spaces := []string{" ", "\t", "\n", "\r", "\u00a0", "\v", "  \n "}
		var out []byte
		for _, c := range b {
			if strings.IndexByte(`{}[]:,`, c) >= 0 && rng.IntN(2) == 0 {
				out = append(out, spaces[rng.IntN(len(spaces))]...)
			}
			out = append(out, c)
		}
		b = out
	}
	switch rng.IntN(12) {
	case 0:
		b = append(b, `{}`...)
	case 1:
		b = []byte(strings.Replace(string(b), key, strings.ToLower(key), 1))
	case 2:
		b = []byte(strings.Replace(string(b), "{", `{"Other":1,`, 1))
	case 3:
		b = []byte(strings.Replace(string(b), "}", `,"`+key+`":["x"]}`, 1))
	case 4:
		b = []byte(strings.Replace(string(b), `"]`, `",]`, 1))
	case 5:
		b = []byte(strings.Replace(string(b), `["`, `[null,"`, 1))
	case 6:
		b = []byte(strings.Replace(string(b), `a`, `\u0061`, 1))
	case 7:
		if len(b) > 0 {
			b = b[:rng.IntN(len(b))]
		}
	case 8:
		if len(b) > 0 {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
	}
	return b
}

// TestDecodeFast_matchesEncodingJSON: whenever a generated decodeFast takes
// a body, encoding/json takes it too and decodes the same value; when it
// declines, it leaves the value untouched (and decodeBody answers as
// encoding/json does).
func TestDecodeFast_matchesEncodingJSON(t *testing.T) {
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, typ := range fastDecoderTypes {
		rt := reflect.TypeOf(typ).Elem()
		key := bodyFieldName(rt)
		keys := bodyFieldNames(rt)
		list := false
		for i := range rt.NumField() {
			if rt.Field(i).Tag.Get("json") != "" && rt.Field(i).Type.Kind() == reflect.Slice {
				list = true
			}
		}
		t.Run(rt.Name(), func(t *testing.T) {
			taken := 0
			for range 3000 {
				var body []byte
				if list {
					body = randBody(rng, key)
				} else {
					body = randStringsBody(rng, keys)
				}
				trimmed := bytes.TrimSpace(body)
				fast, std := reflect.New(rt), reflect.New(rt)
				ok := fast.Interface().(fastDecoder).decodeFast(trimmed)
				stdErr := decodeBodyStd(trimmed, std.Interface())
				if !ok {
					if !fast.Elem().IsZero() {
						t.Fatalf("seed %d: decodeFast declined %q but set %+v", seed, body, fast.Elem())
					}
					continue
				}
				taken++
				if stdErr != nil || !reflect.DeepEqual(fast.Interface(), std.Interface()) {
					t.Fatalf("seed %d: body %q: decodeFast %+v, encoding/json %+v, %v", seed, body, fast.Elem(), std.Elem(), stdErr)
				}
			}
			if taken < 300 {
				t.Errorf("seed %d: the fast path took only %d of 3000 bodies", seed, taken)
			}
		})
	}
}

// TestRequest_decodeBody_fastPath: decodeBody answers as encoding/json does,
// through the fast path or not.
func TestRequest_decodeBody_fastPath(t *testing.T) {
	rq := &request{op: &Operation{HasBody: true}}
	for _, body := range []string{
		`{"UserIdList":["a","b"]}`, ` {"UserIdList" : [ ] } `, `{"UserIdList":[]}`, `{}`, ``,
		`{"UserIdList":"abc"}`, `{"UserIdList":[1]}`, `{"UserIdList":[`, `{"UserIdList":["a"]} {}`,
		`{"UserIdList":["a"]}x`, `{"useridlist":["a"]}`, `{"UserIdList":["\u00e9"]}`, `[1]`,
	} {
		fast, std := new(BatchSuspendUserRequest), new(BatchSuspendUserRequest)
		rq.body = []byte(body)
		err := rq.decodeBody(fast)
		var want error
		if trimmed := bytes.TrimSpace(rq.body); len(trimmed) > 0 && trimmed[0] == '{' {
			want = decodeBodyStd(trimmed, std)
		} else if len(trimmed) > 0 {
			want = err // decided before either decoder
		}
		if fmt.Sprint(err) != fmt.Sprint(want) || !reflect.DeepEqual(fast, std) {
			t.Errorf("%q: got %+v, %v; want %+v, %v", body, fast, err, std, want)
		}
	}
}

// FuzzParseStringListObject: what the fast path takes, encoding/json takes
// the same way.
func FuzzParseStringListObject(f *testing.F) {
	f.Add([]byte(`{"UserIdList":["a","b"]}`))
	f.Add([]byte(` { "UserIdList" : [ ] } `))
	f.Add([]byte(`{"UserIdList":["a",]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		list, ok := parseStringListObject(body, "UserIdList")
		if !ok {
			return
		}
		var std BatchSuspendUserRequest
		if err := decodeBodyStd(body, &std); err != nil || !reflect.DeepEqual(list, std.UserIdList) {
			t.Fatalf("%q: fast %q, encoding/json %q, %v", body, list, std.UserIdList, err)
		}
	})
}

// FuzzParseStringsObject: what the strings fast path takes, encoding/json
// takes the same way.
func FuzzParseStringsObject(f *testing.F) {
	f.Add([]byte(`{"Name":"a"}`))
	f.Add([]byte(` { "Name" : "" } `))
	f.Add([]byte(`{"Name":"a","Name":"b"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast, std CreateAccountRequest
		if !fast.decodeFast(body) {
			return
		}
		if err := decodeBodyStd(body, &std); err != nil || fast != std {
			t.Fatalf("%q: fast %+v, encoding/json %+v, %v", body, fast, std, err)
		}
	})
}

func BenchmarkAppendJSONString(b *testing.B) {
	strs := []string{"user12345@bench.example.com", "7f1b4c2e-1d0a-4c8e-9b7a-3e2f1a0b9c8d", "Basic", "PrivateUser", "Zoë Müller"}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, s := range strs {
			buf = appendJSONString(buf, s)
		}
	}
}

// BenchmarkDecodeBody_Strings: an all-strings body through the generated
// fast path and through encoding/json.
func BenchmarkDecodeBody_Strings(b *testing.B) {
	body := []byte(`{"Name":"an account name"}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v CreateAccountRequest
			if !v.decodeFast(body) {
				b.Fatal("declined")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v CreateAccountRequest
			if err := decodeBodyStd(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
