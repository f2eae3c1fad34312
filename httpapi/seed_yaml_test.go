package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/openchime/openchime/chimetest"
)

func postSeed(t *testing.T, url, contentType, body string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/_openchime/seed", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), b
}

// TestServer_SeedYAML loads examples/fixture.yaml through POST
// /_openchime/seed with each YAML media type.
func TestServer_SeedYAML(t *testing.T) {
	fixture, err := os.ReadFile("../examples/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"application/yaml", "application/x-yaml", "text/yaml; charset=utf-8"} {
		t.Run(ct, func(t *testing.T) {
			srv := chimetest.NewServer(t)
			status, _, body := postSeed(t, srv.URL(), ct, string(fixture))
			var out struct{ Created int }
			if err := json.Unmarshal(body, &out); err != nil || status != http.StatusOK || out.Created == 0 {
				t.Fatalf("seed = %d %s, want 200 with Created > 0", status, body)
			}
		})
	}
	t.Run("ErrBadYAML", func(t *testing.T) {
		srv := chimetest.NewServer(t)
		status, errType, body := postSeed(t, srv.URL(), "application/yaml", "Accounts: [\n")
		if status != http.StatusBadRequest || errType != "BadRequestException" || !strings.Contains(string(body), "YAML") {
			t.Fatalf("bad YAML = %d %s %s, want 400 BadRequestException naming YAML", status, errType, body)
		}
	})
	t.Run("ErrYAMLAsJSON", func(t *testing.T) {
		// Without a YAML Content-Type the body is JSON, as before.
		srv := chimetest.NewServer(t)
		if status, _, body := postSeed(t, srv.URL(), "application/json", string(fixture)); status != http.StatusBadRequest {
			t.Fatalf("YAML sent as JSON = %d %s, want 400", status, body)
		}
	})
}
