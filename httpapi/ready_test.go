package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
)

// downStore is a store whose reads fail, as PostgreSQL's do when it is
// unreachable.
type downStore struct {
	openchime.Store
	down bool
}

func (s *downStore) View(ctx context.Context, fn func(openchime.ReadTx) error) error {
	if s.down {
		return &openchime.Error{Code: openchime.ServiceUnavailable, Message: "The database is unavailable.", Err: errors.New("dial tcp db.internal:5432: connection refused")}
	}
	return s.Store.View(ctx, fn)
}

func newReadyServer(t *testing.T, store openchime.Store, token string) *httptest.Server {
	t.Helper()
	api := httpapi.NewServer(openchime.NewService(store))
	api.Logger = discardLogger()
	api.AdminToken = token
	api.Info = httpapi.Info{Version: "v1.2.3", Revision: "abc123", Store: "sqlite", Auth: "sigv4"}
	ts := httptest.NewServer(api)
	t.Cleanup(ts.Close)
	return ts
}

func TestServer_Ready(t *testing.T) {
	store := &downStore{Store: newTestStore(t)}
	ts := newReadyServer(t, store, "s3cret")

	t.Run("OK", func(t *testing.T) {
		status, _, body := MustDo(t, "GET", ts.URL+"/_openchime/ready", "")
		if status != http.StatusOK || !strings.Contains(string(body), `"Status":"ready"`) {
			t.Fatalf("ready = %d %s, want 200 ready (without the admin token)", status, body)
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		// A load balancer may probe with HEAD, and sends no token either.
		for _, path := range []string{"/_openchime/ready", "/_openchime/health"} {
			resp, err := http.Head(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("HEAD %s = %d, want 200 without the admin token", path, resp.StatusCode)
			}
		}
	})
	t.Run("StoreDown", func(t *testing.T) {
		store.down = true
		defer func() { store.down = false }()
		status, errType, body := MustDo(t, "GET", ts.URL+"/_openchime/ready", "")
		if status != http.StatusServiceUnavailable || errType != "ServiceUnavailableException" {
			t.Fatalf("ready = %d %s, want 503 ServiceUnavailableException", status, errType)
		}
		var e struct{ Code, Message string }
		if err := json.Unmarshal(body, &e); err != nil || e.Code != "ServiceUnavailable" || e.Message == "" {
			t.Fatalf("body = %s, want an AWS JSON error", body)
		}
		if strings.Contains(string(body), "db.internal") {
			t.Errorf("body = %s: it shows the store's error to a caller without the admin token", body)
		}
		// Liveness does not look at the store.
		if status, _, _ := MustDo(t, "GET", ts.URL+"/_openchime/health", ""); status != http.StatusOK {
			t.Errorf("health = %d with the store down, want 200", status)
		}
	})
	t.Run("ClosedStore", func(t *testing.T) {
		s := newTestStore(t)
		ts := newReadyServer(t, s, "")
		s.Close()
		if status, _, body := MustDo(t, "GET", ts.URL+"/_openchime/ready", ""); status != http.StatusServiceUnavailable {
			t.Fatalf("ready of a closed store = %d %s, want 503", status, body)
		}
	})
}

func TestServer_Info(t *testing.T) {
	ts := newReadyServer(t, newTestStore(t), "s3cret")
	if status, _, _ := MustDo(t, "GET", ts.URL+"/_openchime/info", ""); status != http.StatusUnauthorized {
		t.Fatalf("info without the admin token = %d, want 401", status)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/_openchime/info", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"Version": "v1.2.3", "Revision": "abc123", "Store": "sqlite", "Auth": "sigv4", "IAM": "off"} {
		if got[k] != want {
			t.Errorf("%s=%v, want %v", k, got[k], want)
		}
	}
	if up, ok := got["UptimeSeconds"].(float64); !ok || up < 0 {
		t.Errorf("UptimeSeconds=%v, want a non-negative number", got["UptimeSeconds"])
	}
	if _, ok := got["StartTime"].(string); !ok {
		t.Errorf("StartTime=%v, want a timestamp", got["StartTime"])
	}
}
