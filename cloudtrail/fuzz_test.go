package cloudtrail

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzLookupEvents sends LookupEvents any body: it never panics, answers
// 200 or a 400 with a JSON 1.1 error, and a 200 is a LookupEvents answer.
func FuzzLookupEvents(f *testing.F) {
	tr := New(100, &countingIDs{})
	for i := 0; i < 20; i++ {
		c := call("111122223333", "BatchSuspendUser", t0.Add(time.Duration(i)*time.Second))
		c.Body = []byte(`{"UserIdList":["u1","u2"],"Nested":{"PersonalPIN":"1","List":[{"A":1}]}}`)
		c.Response = []byte(`{"UserErrors":[]}`)
		tr.Add(c)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"MaxResults":3,"NextToken":"MS4xNy4w"}`))
	f.Add([]byte(`{"LookupAttributes":[{"AttributeKey":"ResourceName","AttributeValue":"u1"}],"StartTime":1893553445.5,"EndTime":"2030-01-02T03:04:10Z"}`))
	f.Add([]byte(`{"StartTime":1e300}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		tr.LookupEvents(w, body, "111122223333", t0)
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%q: answer %q is not JSON", body, w.Body)
		}
		switch {
		case w.Code == 200 && out["Events"] != nil:
		case w.Code == 400 && out["__type"] != nil && w.Header().Get("x-amzn-ErrorType") != "":
		default:
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		}
	})
}
