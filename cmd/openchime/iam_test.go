package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
)

const iamTestCredentials = `{"Credentials":[
 {"AccessKeyId":"AKIDREAD","SecretAccessKey":"s","AwsAccountId":"111122223333","Policies":[
   {"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["chime:List*","chime:Get*"],"Resource":"*"}}]},
 {"AccessKeyId":"AKIDALL","SecretAccessKey":"s","AwsAccountId":"111122223333"}]}`

// runIAM starts serve with --auth sigv4 over iamTestCredentials and extra
// args, and returns its URL and its log.
func runIAM(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	creds := filepath.Join(t.TempDir(), "credentials.json")
	os.WriteFile(creds, []byte(iamTestCredentials), 0o600)
	logs := &syncBuffer{}
	m := NewMain()
	m.LogOutput = logs
	if err := m.ParseFlags(append([]string{"--db", ":memory:", "--addr", "127.0.0.1:0", "--auth", "sigv4",
		"--credentials", creds, "--admin-token", "tok"}, args...)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Ready():
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + m.Listener.Addr().String(), logs
}

func adminGet(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestMain_IAM(t *testing.T) {
	for _, c := range []struct {
		name       string
		args       []string
		env        string
		mode       string
		wantDenied bool
	}{
		{"default with policies is enforce", nil, "", "enforce", true},
		{"--iam soft", []string{"--iam", "soft"}, "", "soft", false},
		{"OPENCHIME_IAM=soft", nil, "soft", "soft", false},
		{"--iam off", []string{"--iam", "off"}, "", "off", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("OPENCHIME_IAM", c.env)
			url, logs := runIAM(t, c.args...)
			client := func(key string) *awschime.Client {
				return awschime.New(awschime.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
					Credentials: credentials.NewStaticCredentialsProvider(key, "s", "")})
			}
			ctx := context.Background()
			if _, err := client("AKIDREAD").ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
				t.Fatalf("AKIDREAD ListAccounts: %v", err)
			}
			_, err := client("AKIDREAD").CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("x")})
			if denied := err != nil && strings.Contains(err.Error(), "AccessDeniedException"); denied != c.wantDenied {
				t.Errorf("AKIDREAD CreateAccount err = %v, want denied %v", err, c.wantDenied)
			}
			if _, err := client("AKIDALL").CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("y")}); err != nil {
				t.Errorf("AKIDALL (no Policies) CreateAccount: %v", err)
			}

			var info struct{ IAM, Auth string }
			json.Unmarshal([]byte(adminGet(t, url+"/_openchime/info")), &info)
			if info.IAM != c.mode || info.Auth != "sigv4" {
				t.Errorf("info IAM=%q Auth=%q, want %q sigv4", info.IAM, info.Auth, c.mode)
			}
			// The mode is among the first lines of the log, before the server listens.
			time.Sleep(250 * time.Millisecond) // the log buffer flushes on a timer
			lines := strings.Split(logs.String(), "\n")
			found := false
			for _, l := range lines[:min(4, len(lines))] {
				var line struct{ Msg, Mode string }
				if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "iam" && line.Mode == c.mode {
					found = true
				}
			}
			if !found {
				t.Errorf("no iam line with mode %s in the first log lines:\n%s", c.mode, strings.Join(lines[:min(4, len(lines))], "\n"))
			}
			metrics := adminGet(t, url+"/metrics")
			if c.mode != "off" && !strings.Contains(metrics, `openchime_iam_decisions_total{mode="`+c.mode+`",result="implicit_deny"} 1`) {
				t.Errorf("/metrics lacks the one implicit deny in mode %s:\n%s", c.mode, grepLines(metrics, "iam"))
			}
			if c.mode == "soft" && !strings.Contains(logs.String(), `"decision":"implicit_deny"`) {
				t.Errorf("soft mode did not log the decision:\n%s", logs)
			}
		})
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestSecurityConfig_Validate_IAM(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--iam", "enforced"}, `--iam "enforced" (env OPENCHIME_IAM) must be enforce, soft or off`},
		{[]string{"--auth", "none", "--iam", "enforce"}, "--iam enforce needs --auth sigv4"},
	} {
		err := NewMain().ParseFlags(append([]string{"--addr", "127.0.0.1:0"}, c.args...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseFlags(%v) err = %v, want it to say %q", c.args, err, c.want)
		}
	}
}

func TestMain_Run_BadPolicy(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(creds, []byte(`{"Credentials":[{"AccessKeyId":"AKIDX","SecretAccessKey":"S","AwsAccountId":"111122223333",
		"Policies":[{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateAfter":{"aws:CurrentTime":"2030-01-01"}}}}]}]}`), 0o600)
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", ":memory:", "--addr", "127.0.0.1:0", "--auth", "sigv4", "--credentials", creds, "--admin-token", "t", "--log-level", "error"}); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), `entry 0 (AKIDX): Policies[0]: Statement[0]: Condition: unknown condition operator "DateAfter"`) {
		t.Fatalf("Run err = %v, want a refusal naming the entry and the operator", err)
	}
}
