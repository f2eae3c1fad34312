package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
)

// startMain runs the serve command with args and returns it once it
// listens, with a stop that shuts it down gracefully and waits (safe to call
// more than once).
func startMain(tb testing.TB, args ...string) (*Main, func()) {
	tb.Helper()
	return startMainLogging(tb, nil, args...)
}

// startMainLogging is startMain with the server's log written to logs (nil:
// stderr).
func startMainLogging(tb testing.TB, logs io.Writer, args ...string) (*Main, func()) {
	tb.Helper()
	m := NewMain()
	m.LogOutput = logs
	if err := m.ParseFlags(args); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Ready():
	case err := <-done:
		cancel()
		tb.Fatalf("serve %v: %v", args, err)
	}
	var once sync.Once
	return m, func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("serve: %v", err)
			}
		})
	}
}

// MustRunMain starts the serve command on a free port over db and returns
// its base URL and a function that stops it gracefully.
func MustRunMain(tb testing.TB, db string) (string, func()) {
	tb.Helper()
	m, stop := startMain(tb, "--addr", "127.0.0.1:0", "--db", db, "--log-level", "error")
	return "http://" + m.Listener.Addr().String(), stop
}

func postJSON(tb testing.TB, url string, in any, out any) {
	tb.Helper()
	body, _ := json.Marshal(in)
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("POST %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		tb.Fatal(err)
	}
}

func client(url string) *awschime.Client {
	return awschime.New(awschime.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "secret", "")})
}

// TestMain_RestartPersistence checks that state written through the API
// survives a restart of the server on the same --db.
func TestMain_RestartPersistence(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "openchime.db")

	url, stop := MustRunMain(t, db)
	var acct struct{ Account struct{ AccountId string } }
	postJSON(t, url+"/_openchime/accounts", map[string]string{"Name": "lwa", "AccountType": "EnterpriseLWA"}, &acct)
	id := acct.Account.AccountId
	var users struct{ Users []struct{ UserId string } }
	postJSON(t, url+"/_openchime/accounts/"+id+"/users", map[string]any{"Users": []map[string]string{
		{"PrimaryEmail": "a@example.com", "UserRegistrationStatus": "Suspended"},
		{"PrimaryEmail": "b@example.com", "UserRegistrationStatus": "Registered"},
	}}, &users)
	a, b := users.Users[0].UserId, users.Users[1].UserId
	c := client(url)
	if _, err := c.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: &id, UserIdList: []string{a}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &id, UserIdList: []string{b}}); err != nil {
		t.Fatal(err)
	}
	stop()

	url, stop = MustRunMain(t, db)
	defer stop()
	c = client(url)
	for user, want := range map[string]types.RegistrationStatus{a: types.RegistrationStatusRegistered, b: types.RegistrationStatusSuspended} {
		out, err := c.GetUser(ctx, &awschime.GetUserInput{AccountId: &id, UserId: aws.String(user)})
		if err != nil {
			t.Fatal(err)
		}
		if out.User.UserRegistrationStatus != want {
			t.Errorf("after restart user %s is %s, want %s", user, out.User.UserRegistrationStatus, want)
		}
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, args := range [][]string{
		{"--addr", "nonsense"},
		{"--log-level", "nonsense"},
		{"--db", ""},
		{"--default-aws-account", "12"},
		{"--audit-retention", "-1s"},
		{"--trail-max-events", "-1"},
		{"--gogc", "0"},
		{"--gogc", "lots"},
		{"--gc-floor", "lots"},
		{"--gc-floor", "-1MiB"},
		{"--db", "log:"},
		{"extra"},
	} {
		if err := NewMain().ParseFlags(args); err == nil {
			t.Errorf("ParseFlags(%v) accepted", args)
		}
	}
}

// TestConfig_ValidateAllAtOnce checks that a start refused for several
// reasons names them all, the security ones beside the others, and that an
// explicit --auth sigv4 on loopback is not blamed on the address.
func TestConfig_ValidateAllAtOnce(t *testing.T) {
	err := NewMain().ParseFlags([]string{"--addr", "127.0.0.1:0", "--auth", "sigv4", "--log-level", "loud", "--init-dir", filepath.Join(t.TempDir(), "nope")})
	if err == nil {
		t.Fatal("ParseFlags accepted")
	}
	msg := err.Error()
	for _, want := range []string{"3 problems", "--log-level", "--init-dir", "--credentials FILE", "--admin-token TOKEN"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "not a loopback") {
		t.Errorf("error blames 127.0.0.1 for not being loopback:\n%s", msg)
	}
}
