package chimetest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"

	"github.com/openchime/openchime/chimetest"
)

// seededSession runs a read then a write on a server seeded with 7 and
// returns the account it created and the trail's event ids, newest first.
func seededSession(t *testing.T, read bool) (string, []string) {
	t.Helper()
	s := chimetest.NewServer(t, chimetest.WithIDSeed(7))
	ctx := context.Background()
	if read {
		if _, err := s.Client().ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := s.Client().CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("seeded")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", s.URL()+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "CloudTrail_20131101.LookupEvents")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Events []struct{ EventId string } }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range page.Events {
		ids = append(ids, e.EventId)
	}
	return *out.Account.AccountId, ids
}

// TestWithIDSeed_Trail: a seed makes the trail's event ids reproducible, and
// recording a read does not shift the ids of what is created.
func TestWithIDSeed_Trail(t *testing.T) {
	acct1, events1 := seededSession(t, true)
	acct2, events2 := seededSession(t, true)
	acct3, _ := seededSession(t, false)
	if len(events1) != 2 || strings.Join(events1, ",") != strings.Join(events2, ",") {
		t.Errorf("event ids %v then %v, want the same two", events1, events2)
	}
	if acct1 != acct2 || acct1 != acct3 {
		t.Errorf("accounts %s, %s and (without the read) %s, want one id", acct1, acct2, acct3)
	}
}
