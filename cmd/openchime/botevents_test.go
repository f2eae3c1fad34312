package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/smithy-go"
)

// TestServe_BotEndpointTrustsSSLCertFile: the serve command's outbound HTTPS
// uses the system roots, so SSL_CERT_FILE lets it trust a bot's throwaway
// certificate, and without it the verification fails saying so. Each case
// runs in a child process: Go reads the system roots once per process.
func TestServe_BotEndpointTrustsSSLCertFile(t *testing.T) {
	if mode := os.Getenv("OPENCHIME_TEST_BOT_CHILD"); mode != "" {
		botVerificationChild(t, mode == "trust")
		return
	}
	for _, mode := range []string{"trust", "distrust"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestServe_BotEndpointTrustsSSLCertFile$", "-test.v")
		cmd.Env = append(os.Environ(), "OPENCHIME_TEST_BOT_CHILD="+mode, "SSL_CERT_FILE=", "SSL_CERT_DIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestServe_BotEndpointTrustsSSLCertFile") {
			t.Errorf("%s: %v\n%s", mode, err, out)
		}
	}
}

func botVerificationChild(t *testing.T, trust bool) {
	bot := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		json.NewDecoder(r.Body).Decode(&in)
		json.NewEncoder(w).Encode(map[string]string{"Challenge": in["Challenge"]})
	}))
	defer bot.Close()
	if trust {
		file := filepath.Join(t.TempDir(), "bot.pem")
		pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: bot.Certificate().Raw})
		if err := os.WriteFile(file, pemCert, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("SSL_CERT_FILE", file)
	}
	m, stop := startMain(t, "--addr", "127.0.0.1:0", "--db", ":memory:", "--log-level", "error")
	defer stop()
	url := "http://" + m.Listener.Addr().String()
	var acct struct{ Account struct{ AccountId string } }
	postJSON(t, url+"/_openchime/accounts", map[string]string{"Name": "corp", "AccountType": "EnterpriseLWA"}, &acct)
	client := awschime.New(awschime.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	ctx := context.Background()
	a := acct.Account.AccountId
	b, err := client.CreateBot(ctx, &awschime.CreateBotInput{AccountId: &a, DisplayName: aws.String("Bot"), Domain: aws.String("example.com")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{AccountId: &a, BotId: b.Bot.BotId, OutboundEventsHTTPSEndpoint: aws.String(bot.URL)})
	var ae smithy.APIError
	switch {
	case trust && err != nil:
		t.Errorf("PutEventsConfiguration with the bot's certificate in SSL_CERT_FILE: %v", err)
	case !trust && (!errors.As(err, &ae) || ae.ErrorCode() != "BadRequestException" || !strings.Contains(ae.ErrorMessage(), "certificate")):
		t.Errorf("PutEventsConfiguration with an untrusted certificate: %v, want BadRequestException naming the certificate", err)
	}
}

func TestMain_ParseFlagsLambdaEndpoint(t *testing.T) {
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", ":memory:", "--lambda-endpoint", "http://127.0.0.1:9001"}); err != nil || m.Config.LambdaEndpoint != "http://127.0.0.1:9001" {
		t.Errorf("--lambda-endpoint: err=%v, LambdaEndpoint=%q", err, m.Config.LambdaEndpoint)
	}
	if err := NewMain().ParseFlags([]string{"--db", ":memory:", "--lambda-endpoint", "localhost:9001"}); err == nil {
		t.Errorf("--lambda-endpoint localhost:9001: err=nil, want an error (no scheme)")
	}
}
