package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
)

// MustServe runs the serve command with extra args on 127.0.0.1:0 until the
// test ends, and returns its base URL.
func MustServe(tb testing.TB, args ...string) string {
	tb.Helper()
	m := MustRun(tb, append([]string{"--addr", "127.0.0.1:0", "--log-level", "error"}, args...)...)
	return "http://" + m.Listener.Addr().String()
}

// recorder keeps the raw body of every response the SDK receives.
type recorder struct {
	mu     sync.Mutex
	bodies map[string][]byte // by operation name (the last one wins)
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	r.mu.Lock()
	defer r.mu.Unlock()
	key := req.Method + " " + req.URL.Path + "?" + req.URL.RawQuery
	r.bodies[key] = append(append([]byte(nil), b...), []byte("\nRequestId: "+resp.Header.Get("x-amzn-RequestId"))...)
	return resp, nil
}

func clientFor(url string, rec *recorder) *awschime.Client {
	return awschime.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("123456789012", "secret", ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   rec,
	})
}

// TestMain_Deterministic runs the same scenario on two servers started with
// the same --id-seed, fixture and frozen clock, and requires byte-identical
// ListUsers answers (ids, timestamps, request ids and all).
func TestMain_Deterministic(t *testing.T) {
	args := []string{"--db", ":memory:", "--id-seed", "42", "--seed", "../../examples/fixture.json", "--clock", "2030-01-02T03:04:05Z"}
	run := func() []byte {
		rec := &recorder{bodies: map[string][]byte{}}
		client := clientFor(MustServe(t, args...), rec)
		ctx := context.Background()
		accounts, err := client.ListAccounts(ctx, &awschime.ListAccountsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(accounts.Accounts) != 2 {
			t.Fatalf("accounts = %d, want the fixture's 2", len(accounts.Accounts))
		}
		lwa := accounts.Accounts[0].AccountId
		if _, err := client.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("Made by the test")}); err != nil {
			t.Fatal(err)
		}
		users, err := client.ListUsers(ctx, &awschime.ListUsersInput{AccountId: lwa})
		if err != nil {
			t.Fatal(err)
		}
		var suspended []string
		for _, u := range users.Users {
			if u.UserRegistrationStatus == types.RegistrationStatusSuspended {
				suspended = append(suspended, aws.ToString(u.UserId))
			}
		}
		if len(suspended) != 2 {
			t.Fatalf("suspended users = %v, want the fixture's 2", suspended)
		}
		if _, err := client.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: lwa, UserIdList: suspended[:1]}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.ListUsers(ctx, &awschime.ListUsersInput{AccountId: lwa}); err != nil {
			t.Fatal(err)
		}
		var all bytes.Buffer
		for _, key := range []string{"GET /accounts?", "POST /accounts?", "GET /accounts/" + aws.ToString(lwa) + "/users?"} {
			b, ok := rec.bodies[key]
			if !ok {
				t.Fatalf("no response recorded for %s (have %v)", key, rec.bodies)
			}
			all.WriteString(key + "\n")
			all.Write(b)
			all.WriteString("\n")
		}
		return all.Bytes()
	}
	first, second := run(), run()
	if !bytes.Equal(first, second) {
		t.Fatalf("two runs differ:\n%s\n---\n%s", first, second)
	}
	if !bytes.Contains(first, []byte(`"RegisteredOn":"2030-01-02T03:04:05.000Z"`)) {
		t.Fatalf("responses do not carry the frozen time:\n%s", first)
	}
}

func TestServe_FlagsRefused(t *testing.T) {
	for name, args := range map[string][]string{
		"IDSeed": {"--id-seed", "-1"},
		"Clock":  {"--clock", "tomorrow"},
	} {
		if err := NewMain().ParseFlags(args); err == nil {
			t.Errorf("%s: ParseFlags(%v) accepted", name, args)
		}
	}
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", ":memory:", "--addr", "127.0.0.1:0", "--seed", "no-such-file.json"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "--seed") {
		t.Fatalf("Run with a missing fixture err=%v, want a --seed error", err)
	}
}

func TestSnapshotCommand(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	ctx := context.Background()

	// State made by a server: the fixture plus a removed Team user.
	func() {
		m := NewMain()
		if err := m.ParseFlags([]string{"--db", src, "--addr", "127.0.0.1:0", "--log-level", "error",
			"--seed", "../../examples/fixture.json", "--clock", "2030-01-02T03:04:05Z"}); err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- m.Run(runCtx) }()
		<-m.Ready()
		client := clientFor("http://"+m.Listener.Addr().String(), &recorder{bodies: map[string][]byte{}})
		accts, err := client.ListAccounts(ctx, &awschime.ListAccountsInput{Name: aws.String("Acme Team")})
		if err != nil || len(accts.Accounts) != 1 {
			t.Fatalf("ListAccounts = %v, %v", accts, err)
		}
		users, err := client.ListUsers(ctx, &awschime.ListUsersInput{AccountId: accts.Accounts[0].AccountId})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: accts.Accounts[0].AccountId,
			UserIdList: []string{aws.ToString(users.Users[0].UserId)}}); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}()

	save := func(db, file string) []byte {
		t.Helper()
		if err := run(ctx, []string{"snapshot", "save", "--db", db, file}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	saved := save(src, filepath.Join(dir, "src.json"))
	if !bytes.Contains(saved, []byte(`"RemovedTimestamp": "2030-01-02T03:04:05Z"`)) {
		t.Fatalf("snapshot lacks the removed user:\n%s", saved)
	}
	if err := run(ctx, []string{"snapshot", "load", "--db", dst, filepath.Join(dir, "src.json")}); err != nil {
		t.Fatal(err)
	}
	if got := save(dst, filepath.Join(dir, "dst.json")); !bytes.Equal(got, saved) {
		t.Fatalf("round trip differs:\n%s\nwant:\n%s", got, saved)
	}

	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"FormatVersion":2,"Accounts":[{"AccountId":""}]}`), 0o644)
	if err := run(ctx, []string{"snapshot", "load", "--db", dst, bad}); err == nil {
		t.Fatal("loading a bad snapshot succeeded")
	}
	if got := save(dst, filepath.Join(dir, "dst2.json")); !bytes.Equal(got, saved) {
		t.Fatal("a refused load changed the database")
	}
	for _, args := range [][]string{{"snapshot"}, {"snapshot", "save"}, {"snapshot", "copy", "x"}, {"snapshot", "save", "--db", ":memory:", "x"}} {
		if err := run(ctx, args); err == nil {
			t.Errorf("run(%v) accepted", args)
		}
	}
}

func TestMain_ParseFlagsTestingEnv(t *testing.T) {
	t.Setenv("OPENCHIME_ID_SEED", "9")
	t.Setenv("OPENCHIME_CLOCK", "2030-01-02T03:04:05Z")
	t.Setenv("OPENCHIME_SEED", "../../examples/fixture.yaml")
	m := NewMain()
	if err := m.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	if c := m.Config; c.IDSeed != "9" || c.Clock != "2030-01-02T03:04:05Z" || c.Seed != "../../examples/fixture.yaml" {
		t.Fatalf("config from the environment = %+v", c)
	}
	if err := m.ParseFlags([]string{"--id-seed", "10"}); err != nil || m.Config.IDSeed != "10" {
		t.Fatalf("--id-seed over the environment: IDSeed=%q, %v; want 10", m.Config.IDSeed, err)
	}
}
