package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"

	"github.com/openchime/openchime/httpapi"
)

// iamCredentials is a credentials file with allow and deny policies:
//   - AKIDADMIN may do anything in chime but delete (explicit deny);
//   - AKIDREADER may only read, from loopback, over any transport;
//   - AKIDOFFICE may act only from 10.0.0.0/8 (the test client is 127.0.0.1);
//   - AKIDTLSONLY is denied everything not over TLS (the test is plain HTTP);
//   - AKIDWINDOW may act only before 2030 on the server clock;
//   - AKIDNONE has an empty Policies list: IAM denies such a user everything;
//   - AKIDREGION may act only in requests signed for us-west-2;
//   - AKIDPLAIN has no policies and may do anything, as before.
const iamCredentials = `{"Credentials":[
 {"AccessKeyId":"AKIDADMIN","SecretAccessKey":"s","AwsAccountId":"111122223333","Policies":[
   {"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"chime:*","Resource":"*"}},
   {"Version":"2012-10-17","Statement":[{"Sid":"NoDeletes","Effect":"Deny","Action":"chime:Delete*","Resource":"*"}]}]},
 {"AccessKeyId":"AKIDREADER","SecretAccessKey":"s","AwsAccountId":"111122223333","Policies":[
   {"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["chime:List*","chime:get*"],"Resource":"*",
     "Condition":{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]},"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}}]},
 {"AccessKeyId":"AKIDOFFICE","SecretAccessKey":"s","AwsAccountId":"111122223333","Policies":[
   {"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}]},
 {"AccessKeyId":"AKIDTLSONLY","SecretAccessKey":"s","AwsAccountId":"111122223333","Policies":[
   {"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
     {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}]},
 {"AccessKeyId":"AKIDWINDOW","SecretAccessKey":"s","AwsAccountId":"111122223333","Policies":[
   {"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}}]},
 {"AccessKeyId":"AKIDNONE","SecretAccessKey":"s","AwsAccountId":"111122223333","Policies":[]},
 {"AccessKeyId":"AKIDREGION","SecretAccessKey":"s","AwsAccountId":"111122223333","Policies":[
   {"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-west-2"}}}}]},
 {"AccessKeyId":"AKIDPLAIN","SecretAccessKey":"s","AwsAccountId":"111122223333"}
]}`

type iamRecorder struct {
	mu  sync.Mutex
	got map[string]int
}

func (r *iamRecorder) ObserveIAM(mode, result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string]int{}
	}
	r.got[mode+" "+result]++
}

func (r *iamRecorder) count(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[key]
}

// mustIAMServer serves iamCredentials in mode, with the server clock at now.
func mustIAMServer(t *testing.T, mode string, now time.Time) (url string, logs *bytes.Buffer, rec *iamRecorder) {
	t.Helper()
	creds, err := httpapi.ParseCredentials(strings.NewReader(iamCredentials))
	if err != nil {
		t.Fatal(err)
	}
	logs, rec = &bytes.Buffer{}, &iamRecorder{}
	srv, _ := MustSigV4Server(t, func(s *httpapi.Server) {
		s.Authenticate = httpapi.SigV4AuthIAM(creds, nil, httpapi.IAM{
			Mode: mode, Now: func() time.Time { return now }, Observer: rec,
			Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		})
	})
	return srv.URL, logs, rec
}

func TestSigV4AuthIAM_Enforce(t *testing.T) {
	url, _, rec := mustIAMServer(t, httpapi.IAMEnforce, time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := MustClient(t, url, "AKIDADMIN", "s", "")
	out, err := admin.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("iam")})
	if err != nil {
		t.Fatalf("AKIDADMIN CreateAccount: %v", err)
	}
	acct := out.Account.AccountId

	const explicit = "User: arn:aws:iam::111122223333:user/%s is not authorized to perform: chime:%s on resource: * with an explicit deny in an identity-based policy"
	const implicit = "User: arn:aws:iam::111122223333:user/%s is not authorized to perform: chime:%s on resource: * because no identity-based policy allows the chime:%s action"
	for _, c := range []struct {
		key, op string
		call    func(*awschime.Client) error
		want    string // "" allowed, else the message
	}{
		{"AKIDADMIN", "GetAccount", func(c *awschime.Client) error {
			_, err := c.GetAccount(ctx, &awschime.GetAccountInput{AccountId: acct})
			return err
		}, ""},
		{"AKIDADMIN", "DeleteAccount", func(c *awschime.Client) error {
			_, err := c.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: acct})
			return err
		}, strings.ReplaceAll(explicit, "%s", "") /* filled below */},
		{"AKIDREADER", "ListAccounts", func(c *awschime.Client) error {
			_, err := c.ListAccounts(ctx, &awschime.ListAccountsInput{})
			return err
		}, ""},
		{"AKIDREADER", "GetAccount", func(c *awschime.Client) error { // chime:get* matches GetAccount
			_, err := c.GetAccount(ctx, &awschime.GetAccountInput{AccountId: acct})
			return err
		}, ""},
		{"AKIDREADER", "UpdateAccount", func(c *awschime.Client) error {
			_, err := c.UpdateAccount(ctx, &awschime.UpdateAccountInput{AccountId: acct, Name: aws.String("x")})
			return err
		}, "implicit"},
		{"AKIDOFFICE", "ListAccounts", func(c *awschime.Client) error {
			_, err := c.ListAccounts(ctx, &awschime.ListAccountsInput{})
			return err
		}, "implicit"},
		{"AKIDTLSONLY", "ListAccounts", func(c *awschime.Client) error {
			_, err := c.ListAccounts(ctx, &awschime.ListAccountsInput{})
			return err
		}, "explicit"},
		{"AKIDWINDOW", "ListAccounts", func(c *awschime.Client) error {
			_, err := c.ListAccounts(ctx, &awschime.ListAccountsInput{})
			return err
		}, ""},
		{"AKIDNONE", "ListAccounts", func(c *awschime.Client) error {
			_, err := c.ListAccounts(ctx, &awschime.ListAccountsInput{})
			return err
		}, "implicit"},
		{"AKIDREGION", "ListAccounts", func(c *awschime.Client) error { // signed for us-east-1
			_, err := c.ListAccounts(ctx, &awschime.ListAccountsInput{})
			return err
		}, "implicit"},
		{"AKIDREGION", "GetAccount", func(c *awschime.Client) error {
			_, err := c.GetAccount(ctx, &awschime.GetAccountInput{AccountId: acct}, func(o *awschime.Options) { o.Region = "us-west-2" })
			return err
		}, ""},
		{"AKIDPLAIN", "DeleteAccount", func(c *awschime.Client) error {
			_, err := c.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: acct})
			return err
		}, ""},
	} {
		t.Run(c.key+" "+c.op, func(t *testing.T) {
			err := c.call(MustClient(t, url, c.key, "s", ""))
			want := c.want
			switch {
			case strings.HasPrefix(want, "User: "), want == "explicit":
				want = strings.Replace(strings.Replace(explicit, "%s", c.key, 1), "%s", c.op, 1)
			case want == "implicit":
				want = strings.Replace(strings.Replace(strings.Replace(implicit, "%s", c.key, 1), "%s", c.op, 1), "%s", c.op, 1)
			}
			if want == "" {
				if err != nil {
					t.Fatalf("err = %v, want allowed", err)
				}
				return
			}
			status, code, msg := apiErr(err)
			if status != 403 || code != "AccessDeniedException" || msg != want {
				t.Fatalf("answer = %d %s %q, want 403 AccessDeniedException %q", status, code, msg, want)
			}
		})
	}
	if rec.count("enforce explicit_deny") != 2 || rec.count("enforce implicit_deny") != 4 || rec.count("enforce allow") != 6 {
		t.Errorf("decisions counted = %v, want 6 allow, 4 implicit_deny, 2 explicit_deny (AKIDPLAIN not evaluated)", rec.got)
	}
}

func TestSigV4AuthIAM_CurrentTimeIsTheServerClock(t *testing.T) {
	url, _, _ := mustIAMServer(t, httpapi.IAMEnforce, time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC))
	_, err := MustClient(t, url, "AKIDWINDOW", "s", "").ListAccounts(context.Background(), &awschime.ListAccountsInput{})
	if status, code, _ := apiErr(err); status != 403 || code != "AccessDeniedException" {
		t.Fatalf("AKIDWINDOW after its window: %d %s, want 403 AccessDeniedException", status, code)
	}
}

func TestSigV4AuthIAM_SoftAllowsLogsAndCounts(t *testing.T) {
	url, logs, rec := mustIAMServer(t, httpapi.IAMSoft, time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := MustClient(t, url, "AKIDADMIN", "s", "")
	out, err := admin.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("soft")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: out.Account.AccountId}); err != nil {
		t.Fatalf("soft mode DeleteAccount: %v, want it served", err)
	}
	if _, err := MustClient(t, url, "AKIDOFFICE", "s", "").ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
		t.Fatalf("soft mode ListAccounts from outside the range: %v, want it served", err)
	}
	log := logs.String()
	for _, want := range []string{`"decision":"explicit_deny"`, `"op":"DeleteAccount"`, `"sid":"NoDeletes"`, `"statement":"Policies[1].Statement[0]"`,
		`"decision":"implicit_deny"`, `"access_key":"AKIDOFFICE"`, `with an explicit deny in an identity-based policy`} {
		if !strings.Contains(log, want) {
			t.Errorf("soft-mode log lacks %s:\n%s", want, log)
		}
	}
	if rec.count("soft explicit_deny") != 1 || rec.count("soft implicit_deny") != 1 || rec.count("soft allow") != 1 {
		t.Errorf("decisions counted = %v, want one of each in soft mode", rec.got)
	}
}

func TestSigV4AuthIAM_Off(t *testing.T) {
	url, logs, rec := mustIAMServer(t, httpapi.IAMOff, time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC))
	if _, err := MustClient(t, url, "AKIDTLSONLY", "s", "").ListAccounts(context.Background(), &awschime.ListAccountsInput{}); err != nil {
		t.Fatalf("off mode: %v, want the policies ignored", err)
	}
	if len(rec.got) != 0 || logs.Len() != 0 {
		t.Errorf("off mode evaluated: %v %s", rec.got, logs)
	}
}

func TestParseCredentials_RefusesBadPolicies(t *testing.T) {
	for _, c := range []struct{ policy, want string }{
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddres":{"aws:SourceIp":"10.0.0.0/8"}}}}`, `entry 1 (AKIDBAD): Policies[0]: Statement[0]: Condition: unknown condition operator "IpAddres"`},
		{`{"Statement":{"Effect":"Permit","Action":"*","Resource":"*"}}`, `entry 1 (AKIDBAD): Policies[0]: Statement[0]: Effect must be "Allow" or "Deny"`},
		{`"chime:*"`, `entry 1 (AKIDBAD): Policies[0]: the policy is not a JSON object`},
	} {
		file := `{"Credentials":[{"AccessKeyId":"AKIDOK","SecretAccessKey":"s","AwsAccountId":"111122223333"},
			{"AccessKeyId":"AKIDBAD","SecretAccessKey":"s","AwsAccountId":"111122223333","Policies":[` + c.policy + `]}]}`
		_, err := httpapi.ParseCredentials(strings.NewReader(file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseCredentials err = %v, want it to contain %q", err, c.want)
		}
	}
}

// BenchmarkSigV4AuthIAM compares the authentication of one signed request
// by an entry without Policies and by one with them: the difference is what
// policy evaluation costs a request.
func BenchmarkSigV4AuthIAM(b *testing.B) {
	creds, err := httpapi.ParseCredentials(strings.NewReader(iamCredentials))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	auth := httpapi.SigV4AuthIAM(creds, func() time.Time { return now }, httpapi.IAM{})
	for _, key := range []string{"AKIDPLAIN", "AKIDADMIN"} {
		b.Run(key, func(b *testing.B) {
			body := []byte(`{"UserIdList":["u1"]}`)
			req, _ := http.NewRequest("POST", "http://127.0.0.1/accounts/a/users?operation=suspend", bytes.NewReader(body))
			req.RemoteAddr = "127.0.0.1:5555"
			sum := sha256.Sum256(body)
			if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: "s"}, req, hex.EncodeToString(sum[:]), "chime", "us-east-1", now); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := auth(req, "BatchSuspendUser", body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSigV4AuthIAM_LookupEvents checks that CloudTrail's LookupEvents is
// evaluated as the action cloudtrail:LookupEvents: chime:* does not allow it,
// "*" does.
func TestSigV4AuthIAM_LookupEvents(t *testing.T) {
	url, _, _ := mustIAMServer(t, httpapi.IAMEnforce, time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC))
	status, out := lookupEvents(t, url, "AKIDADMIN", "s", "", "cloudtrail", `{}`)
	want := "User: arn:aws:iam::111122223333:user/AKIDADMIN is not authorized to perform: cloudtrail:LookupEvents on resource: * because no identity-based policy allows the cloudtrail:LookupEvents action"
	if status != http.StatusForbidden || out["message"] != want && out["Message"] != want {
		t.Errorf("AKIDADMIN (chime:*) LookupEvents: %d %v; want 403 %q", status, out, want)
	}
	if status, out := lookupEvents(t, url, "AKIDWINDOW", "s", "", "cloudtrail", `{}`); status != http.StatusOK {
		t.Errorf(`AKIDWINDOW ("*") LookupEvents: %d %v; want 200`, status, out)
	}
}
