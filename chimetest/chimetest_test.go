package chimetest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/chimetest"
)

func TestNewServer(t *testing.T) {
	var srv *chimetest.Server
	t.Run("Inner", func(t *testing.T) {
		srv = chimetest.NewServer(t)
		if _, err := http.Get(srv.URL() + "/_openchime/health"); err != nil {
			t.Fatal(err)
		}
	})
	// The inner test's cleanup closed the server.
	if _, err := http.Get(srv.URL() + "/_openchime/health"); err == nil {
		t.Fatalf("server still answers after its test ended")
	}
	srv.Close() // closing again does nothing
}

func TestNewUnstartedServer(t *testing.T) {
	srv := chimetest.NewUnstartedServer()
	defer srv.Close()
	srv.HTTPServer().Authenticate = func(r *http.Request, op string, body []byte) (openchime.Caller, error) {
		return openchime.Caller{}, openchime.Errorf(openchime.Forbidden, "nobody may pass")
	}
	srv.Start()
	_, err := srv.Client().ListAccounts(context.Background(), &awschime.ListAccountsInput{})
	var forbidden *types.ForbiddenException
	if !errors.As(err, &forbidden) {
		t.Fatalf("ListAccounts err=%v, want ForbiddenException from the hook set before Start", err)
	}
}

// TestServer_Parallel runs servers side by side, as parallel tests do: each
// has its own database, clock and ids (run it with -race).
func TestServer_Parallel(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			srv := chimetest.NewServer(t, chimetest.WithIDSeed(7), chimetest.WithFrozenTime(time.Unix(1e9, 0)))
			acct := srv.CreateAccount(t, openchime.EnterpriseLWA)
			var ids []string
			for range 3 {
				ids = append(ids, srv.CreateUser(t, acct.ID, openchime.Suspended).ID)
			}
			out, err := srv.Client().BatchUnsuspendUser(context.Background(), &awschime.BatchUnsuspendUserInput{
				AccountId: aws.String(acct.ID), UserIdList: ids})
			if err != nil || len(out.UserErrors) != 0 {
				t.Fatalf("BatchUnsuspendUser = %+v, %v", out, err)
			}
			list, err := srv.Client().ListUsers(context.Background(), &awschime.ListUsersInput{AccountId: aws.String(acct.ID)})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range list.Users {
				if u.UserRegistrationStatus != types.RegistrationStatusRegistered {
					t.Errorf("user %s = %s, want Registered", aws.ToString(u.UserId), u.UserRegistrationStatus)
				}
			}
		})
	}
}

func TestServer_CreateAccount(t *testing.T) {
	srv := chimetest.NewServer(t, chimetest.WithAwsAccountID("111122223333"))
	a := srv.CreateAccount(t, openchime.EnterpriseOIDC, chimetest.AccountStatus(openchime.AccountSuspended),
		chimetest.AccountDefaultLicense(openchime.Basic))
	if a.Type != openchime.EnterpriseOIDC || a.Status != openchime.AccountSuspended || a.DefaultLicense != openchime.Basic ||
		a.AwsAccountID != "111122223333" || a.Name != "Account 1" {
		t.Fatalf("account = %+v", a)
	}
	u := srv.CreateUser(t, a.ID, openchime.Unregistered, chimetest.UserDisplayName("Ann"),
		chimetest.UserType(openchime.SharedDevice), chimetest.UserLicense(openchime.Plus))
	if u.RegistrationStatus != openchime.Unregistered || u.DisplayName != "Ann" || u.UserType != openchime.SharedDevice ||
		u.LicenseType != openchime.Plus || u.PrimaryEmail != "user1@example.com" {
		t.Fatalf("user = %+v", u)
	}
}

func TestServer_LoadFixtureFile(t *testing.T) {
	srv := chimetest.NewServer(t)
	res := srv.LoadFixtureFile(t, "../examples/fixture.json")
	if res.Created != 8 {
		t.Fatalf("Created=%d, want 8", res.Created)
	}
	// The YAML twin of the fixture names the same records.
	if again := srv.LoadFixtureFile(t, "../examples/fixture.yaml"); again.Created != 0 || again.Unchanged != 8 {
		t.Fatalf("YAML fixture Created=%d Unchanged=%d, want 0, 8", again.Created, again.Unchanged)
	}
	acct := res.Accounts[0].Account
	list, err := srv.Client().ListUsers(context.Background(), &awschime.ListUsersInput{
		AccountId: aws.String(acct.ID), UserEmail: aws.String("BOB@acme.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Users) != 1 || list.Users[0].UserRegistrationStatus != types.RegistrationStatusSuspended {
		t.Fatalf("bob = %+v, want one Suspended user", list.Users)
	}
}

// BenchmarkNewServer measures what a test pays for its own server: an
// in-memory database with the migrations applied and a loopback listener.
func BenchmarkNewServer(b *testing.B) {
	for b.Loop() {
		chimetest.New().Close()
	}
}

func TestWithSigV4(t *testing.T) {
	ctx := context.Background()
	srv := chimetest.NewServer(t, chimetest.WithSigV4(), chimetest.WithFrozenTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)))
	if _, err := srv.Client().ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
		t.Fatalf("signed with AWSConfig's credentials: %v", err)
	}
	cfg := srv.AWSConfig()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(srv.AwsAccountID(), "wrong-secret", "")
	_, err := awschime.NewFromConfig(cfg).ListAccounts(ctx, &awschime.ListAccountsInput{})
	if err == nil {
		t.Fatal("a request signed with the wrong secret succeeded")
	}
	resp, err := http.Get(srv.URL() + "/accounts")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned request: status %d, want 403", resp.StatusCode)
	}
}
