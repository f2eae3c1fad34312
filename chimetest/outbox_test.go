package chimetest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/chimetest"
)

// TestWithOutbox: with the option, a webhook configured over the control
// plane gets the change a Chime client made, signed; without it, nothing.
func TestWithOutbox(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []chimetest.Option
	}{{"with", []chimetest.Option{chimetest.WithOutbox(nil)}}, {"without", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan *http.Request, 10)
			bodies := make(chan []byte, 10)
			sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- r
				bodies <- b
			}))
			defer sink.Close()
			srv := chimetest.NewServer(t, tc.opts...)
			resp, err := http.Post(srv.URL()+"/_openchime/webhooks", "application/json",
				strings.NewReader(`{"Url":"`+sink.URL+`","Secret":"k","Events":["BatchSuspendUser"]}`))
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("create webhook: %v %v", resp, err)
			}
			resp.Body.Close()
			acct := srv.CreateAccount(t, openchime.EnterpriseLWA).ID
			user := srv.CreateUser(t, acct, openchime.Registered).ID
			if _, err := srv.Client().BatchSuspendUser(context.Background(), &awschime.BatchSuspendUserInput{AccountId: &acct, UserIdList: []string{user}}); err != nil {
				t.Fatal(err)
			}
			select {
			case r := <-got:
				if tc.name == "without" {
					t.Fatal("a delivery without WithOutbox")
				}
				var env struct {
					Detail struct{ EventName string } `json:"detail"`
				}
				if err := json.Unmarshal(<-bodies, &env); err != nil || env.Detail.EventName != "BatchSuspendUser" || !strings.HasPrefix(r.Header.Get("X-OpenChime-Signature"), "sha256=") {
					t.Fatalf("delivery %+v %v, signature %q", env, err, r.Header.Get("X-OpenChime-Signature"))
				}
			case <-time.After(map[string]time.Duration{"with": 10 * time.Second, "without": 300 * time.Millisecond}[tc.name]):
				if tc.name == "with" {
					t.Fatal("no delivery")
				}
			}
		})
	}
}
