package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
)

// lookupAll returns the status and the number of events of an unsigned
// LookupEvents (the --auth none default) to url.
func lookupAll(t *testing.T, url string) (int, int) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "CloudTrail_20131101.LookupEvents")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Events []json.RawMessage }
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, len(out.Events)
}

func TestServe_TrailMaxEvents(t *testing.T) {
	for _, tc := range []struct {
		max          string
		status, want int
	}{
		{"2", http.StatusOK, 2},
		{"0", http.StatusBadRequest, 0},
	} {
		m, stop := startMain(t, "--addr", "127.0.0.1:0", "--db", ":memory:", "--log-level", "error", "--trail-max-events", tc.max)
		url := "http://" + m.Listener.Addr().String()
		for i := 0; i < 3; i++ {
			if _, err := client(url).ListAccounts(context.Background(), &awschime.ListAccountsInput{}); err != nil {
				t.Fatal(err)
			}
		}
		if status, n := lookupAll(t, url); status != tc.status || n != tc.want {
			t.Errorf("--trail-max-events %s: LookupEvents %d with %d events, want %d with %d", tc.max, status, n, tc.status, tc.want)
		}
		stop()
	}
}
