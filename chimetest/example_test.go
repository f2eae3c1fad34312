package chimetest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/chimetest"
	"github.com/openchime/openchime/fixture"
)

// A test starts a server, seeds the states it needs and calls it with the
// AWS SDK. In a test, use chimetest.NewServer(t), which closes the server
// when the test ends, and pass t to the seeding helpers.
func Example() {
	srv := chimetest.New()
	defer srv.Close()

	acct := srv.CreateAccount(nil, openchime.EnterpriseLWA, chimetest.AccountName("Acme"))
	bob := srv.CreateUser(nil, acct.ID, openchime.Suspended, chimetest.UserEmail("bob@acme.example.com"))

	client := awschime.NewFromConfig(srv.AWSConfig())
	out, err := client.BatchUnsuspendUser(context.Background(), &awschime.BatchUnsuspendUserInput{
		AccountId:  aws.String(acct.ID),
		UserIdList: []string{bob.ID, "no-such-user"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range out.UserErrors {
		fmt.Println("error:", aws.ToString(e.UserId), e.ErrorCode)
	}
	got, _ := client.GetUser(context.Background(), &awschime.GetUserInput{AccountId: aws.String(acct.ID), UserId: aws.String(bob.ID)})
	fmt.Println(aws.ToString(got.User.PrimaryEmail), got.User.UserRegistrationStatus)
	// Output:
	// error: no-such-user NotFound
	// bob@acme.example.com Registered
}

// With a seed and a frozen clock every id and timestamp is the same on every
// run, so tests may compare whole responses with golden files.
func ExampleWithIDSeed() {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for range 2 {
		srv := chimetest.New(chimetest.WithIDSeed(42), chimetest.WithFrozenTime(t0))
		out, err := srv.Client().CreateAccount(context.Background(), &awschime.CreateAccountInput{Name: aws.String("Team A")})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(aws.ToString(out.Account.AccountId), out.Account.CreatedTimestamp.Format(time.RFC3339))
		srv.Close()
	}
	// Output:
	// 30b8a951-456a-4a74-80d6-56f2c75e01f9 2030-01-02T03:04:05Z
	// 30b8a951-456a-4a74-80d6-56f2c75e01f9 2030-01-02T03:04:05Z
}

// The clock of a server can be moved while it runs, from Go or over HTTP
// (POST /_openchime/clock).
func ExampleServer_Clock() {
	srv := chimetest.New(chimetest.WithFrozenTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)))
	defer srv.Close()

	srv.Clock().Advance(36 * time.Hour)
	fmt.Println(srv.CreateAccount(nil, openchime.Team).CreatedAt)

	resp, err := http.Post(srv.URL()+"/_openchime/clock", "application/json", strings.NewReader(`{"Advance":"90s"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))
	// Output:
	// 2030-01-03 15:04:05 +0000 UTC
	// {"Time":"2030-01-03T15:05:35.000Z","Frozen":true}
}

// Each server is a tenant of its own: its AWSConfig signs as its AWS account
// (chimetest.DefaultAwsAccountID unless WithAwsAccountID), and accounts of
// other AWS accounts are invisible to it.
func ExampleWithAwsAccountID() {
	srv := chimetest.New(chimetest.WithAwsAccountID("111122223333"))
	defer srv.Close()

	mine := srv.CreateAccount(nil, openchime.Team, chimetest.AccountName("Mine"))
	other := srv.CreateAccount(nil, openchime.Team, chimetest.AccountName("Theirs"), chimetest.AccountOwner("444455556666"))

	client := srv.Client()
	list, _ := client.ListAccounts(context.Background(), &awschime.ListAccountsInput{})
	for _, a := range list.Accounts {
		fmt.Println(aws.ToString(a.Name), aws.ToString(a.AwsAccountId), aws.ToString(a.AccountId) == mine.ID)
	}
	_, err := client.GetAccount(context.Background(), &awschime.GetAccountInput{AccountId: aws.String(other.ID)})
	var notFound *types.NotFoundException
	fmt.Println(errors.As(err, &notFound))
	// Output:
	// Mine 111122223333 true
	// true
}

// A fixture declares accounts and users in any state; loading it twice
// changes nothing.
func ExampleServer_LoadFixture() {
	srv := chimetest.New()
	defer srv.Close()

	f := &fixture.Fixture{Accounts: []fixture.Account{{
		Name:        "Acme",
		AccountType: openchime.EnterpriseLWA,
		Users: []fixture.User{
			{PrimaryEmail: "alice@acme.example.com"},
			{PrimaryEmail: "bob@acme.example.com", UserRegistrationStatus: openchime.Suspended},
		},
	}}}
	first := srv.LoadFixture(nil, f)
	again := srv.LoadFixture(nil, f)
	fmt.Println("created:", first.Created, "then:", again.Created, "unchanged:", again.Unchanged)
	for _, u := range again.Accounts[0].Users {
		fmt.Println(u.PrimaryEmail, u.RegistrationStatus)
	}
	// Output:
	// created: 3 then: 0 unchanged: 3
	// alice@acme.example.com Registered
	// bob@acme.example.com Suspended
}
