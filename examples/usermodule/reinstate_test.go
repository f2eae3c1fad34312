package usermodule_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	"github.com/google/go-cmp/cmp"
	"github.com/openchime/openchime"
	"github.com/openchime/openchime/chimetest"

	"example.com/usermodule"
)

func TestReinstate(t *testing.T) {
	ctx := context.Background()
	srv := chimetest.NewServer(t, chimetest.WithFrozenTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)))
	acct := srv.CreateAccount(t, openchime.EnterpriseLWA, chimetest.AccountName("Acme"))
	bob := srv.CreateUser(t, acct.ID, openchime.Suspended, chimetest.UserEmail("bob@acme.example.com"))
	srv.CreateUser(t, acct.ID, openchime.Suspended, chimetest.UserEmail("carol@acme.example.com"))
	srv.CreateUser(t, acct.ID, openchime.Registered, chimetest.UserEmail("alice@acme.example.com"))

	client := awschime.NewFromConfig(srv.AWSConfig())
	got, err := usermodule.Reinstate(ctx, client, acct.ID,
		[]string{"bob@acme.example.com", "carol@acme.example.com", "alice@acme.example.com", "zed@acme.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := &usermodule.Result{
		Reinstated: []string{"bob@acme.example.com", "carol@acme.example.com"},
		Skipped:    []string{"alice@acme.example.com"},
		Failed:     map[string]string{"zed@acme.example.com": "NotFound"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Reinstate (-want +got):\n%s", diff)
	}
	user, err := client.GetUser(ctx, &awschime.GetUserInput{AccountId: aws.String(acct.ID), UserId: aws.String(bob.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if user.User.UserRegistrationStatus != types.RegistrationStatusRegistered {
		t.Fatalf("bob = %s, want Registered", user.User.UserRegistrationStatus)
	}
}

// TestBatchUnsuspendUser asserts directly on the BatchUnsuspendUser result
// for users seeded from the repository's example fixture.
func TestBatchUnsuspendUser(t *testing.T) {
	ctx := context.Background()
	srv := chimetest.NewServer(t, chimetest.WithIDSeed(1))
	res := srv.LoadFixtureFile(t, "../fixture.json")
	lwa := res.Accounts[0]
	var suspended []string
	for _, u := range lwa.Users {
		if u.RegistrationStatus == openchime.Suspended {
			suspended = append(suspended, u.ID)
		}
	}
	out, err := srv.Client().BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{
		AccountId:  aws.String(lwa.Account.ID),
		UserIdList: append(suspended, "00000000-0000-4000-8000-000000000000"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.UserErrors) != 1 || out.UserErrors[0].ErrorCode != types.ErrorCodeNotFound ||
		aws.ToString(out.UserErrors[0].UserId) != "00000000-0000-4000-8000-000000000000" {
		t.Fatalf("UserErrors = %+v, want one NotFound for the unknown id", out.UserErrors)
	}

	// On a Team account the operation is refused per user.
	team := res.Accounts[1]
	out, err = srv.Client().BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{
		AccountId: aws.String(team.Account.ID), UserIdList: []string{team.Users[0].ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.UserErrors) != 1 || out.UserErrors[0].ErrorCode != types.ErrorCodeForbidden {
		t.Fatalf("Team UserErrors = %+v, want one Forbidden", out.UserErrors)
	}
}
