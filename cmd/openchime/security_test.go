package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
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

// MustSelfSignedCert writes a self-signed certificate for 127.0.0.1 and its
// key under dir and returns their paths and the pool that trusts it.
func MustSelfSignedCert(tb testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "openchime-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// MustRun starts Main with args and stops it at cleanup.
func MustRun(tb testing.TB, args ...string) *Main {
	tb.Helper()
	m, stop := startMain(tb, args...)
	tb.Cleanup(stop)
	return m
}

func TestMain_TLSAndSigV4(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := MustSelfSignedCert(t, dir)
	creds := filepath.Join(dir, "credentials.json")
	os.WriteFile(creds, []byte(`{"Credentials":[{"AccessKeyId":"AKIDTLS","SecretAccessKey":"s3cret","AwsAccountId":"444455556666"}]}`), 0o600)
	m := MustRun(t, "--db", ":memory:", "--addr", "127.0.0.1:0", "--auth", "sigv4", "--credentials", creds,
		"--admin-token", "tok", "--tls-cert", certFile, "--tls-key", keyFile, "--log-level", "error")
	url := "https://" + m.Listener.Addr().String()

	for _, proto := range []string{"h2", "http/1.1"} {
		t.Run(proto, func(t *testing.T) {
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{proto}}, ForceAttemptHTTP2: proto == "h2"}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			var gotProto string
			c := awschime.New(awschime.Options{
				Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: protoRecorder{hc, &gotProto},
				Credentials: credentials.NewStaticCredentialsProvider("AKIDTLS", "s3cret", ""), RetryMaxAttempts: 1,
			})
			out, err := c.CreateAccount(context.Background(), &awschime.CreateAccountInput{Name: aws.String("tls-" + proto)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.Account.AwsAccountId) != "444455556666" {
				t.Fatalf("AwsAccountId=%s, want 444455556666", aws.ToString(out.Account.AwsAccountId))
			}
			want := map[string]string{"h2": "HTTP/2.0", "http/1.1": "HTTP/1.1"}[proto]
			if gotProto != want {
				t.Fatalf("protocol=%s, want %s", gotProto, want)
			}
			resp, err := hc.Get(url + "/_openchime/accounts")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 {
				t.Fatalf("control plane without token: %d, want 401", resp.StatusCode)
			}
		})
	}
}

// protoRecorder notes the protocol of the last response.
type protoRecorder struct {
	c     *http.Client
	proto *string
}

func (p protoRecorder) Do(r *http.Request) (*http.Response, error) {
	resp, err := p.c.Do(r)
	if err == nil {
		*p.proto = resp.Proto
	}
	return resp, err
}

func TestMain_ParseFlags_Security(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "c.json")
	os.WriteFile(creds, []byte(`{"Credentials":[{"AccessKeyId":"K","SecretAccessKey":"S","AwsAccountId":"444455556666"}]}`), 0o600)
	for _, tc := range []struct {
		name     string
		args     []string
		wantAuth string
		wantErr  string
	}{
		{"LoopbackDefaultsToNone", []string{"--addr", "127.0.0.1:0"}, "none", ""},
		{"LocalhostDefaultsToNone", []string{"--addr", "localhost:0"}, "none", ""},
		{"IPv6LoopbackDefaultsToNone", []string{"--addr", "[::1]:0"}, "none", ""},
		{"PublicDefaultsToSigV4", []string{"--addr", "0.0.0.0:0", "--credentials", creds, "--admin-token", "t"}, "sigv4", ""},
		{"ErrPublicWithoutCredentials", []string{"--addr", ":4580"}, "", "needs --credentials"},
		{"ErrSigV4WithoutAdminToken", []string{"--auth", "sigv4", "--credentials", creds}, "", "needs --admin-token"},
		{"ErrUnknownMode", []string{"--auth", "basic"}, "", "must be none or sigv4"},
		{"ErrCertWithoutKey", []string{"--tls-cert", "c.pem"}, "", "go together"},
		{"ExplicitNoneOnPublic", []string{"--addr", "0.0.0.0:0", "--auth", "none"}, "none", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMain()
			err := m.ParseFlags(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err=%v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Config.Security.Auth != tc.wantAuth {
				t.Fatalf("Auth=%q, want %q", m.Config.Security.Auth, tc.wantAuth)
			}
		})
	}
}

func TestMain_Run_BadCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "c.json")
	os.WriteFile(creds, []byte(`{"Credentials":[{"AccessKeyId":"K","SecretAccessKey":"S","AwsAccountId":"12"}]}`), 0o600)
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", ":memory:", "--addr", "127.0.0.1:0", "--auth", "sigv4", "--credentials", creds, "--admin-token", "t", "--log-level", "error"}); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "12 digits") {
		t.Fatalf("Run err=%v, want a refusal naming the bad AwsAccountId", err)
	}
}

// TestSecurityConfig_Validate_AllAtOnce checks that an explicit --auth sigv4
// on loopback names every missing requirement in one error, and does not
// blame the address.
func TestSecurityConfig_Validate_AllAtOnce(t *testing.T) {
	m := NewMain()
	err := m.ParseFlags([]string{"--auth", "sigv4", "--addr", "127.0.0.1:4580", "--tls-key", "k.pem"})
	if err == nil {
		t.Fatal("err=nil, want the missing requirements")
	}
	msg := err.Error()
	for _, want := range []string{"--credentials FILE", "--admin-token TOKEN", "--tls-cert and --tls-key go together", "2 problems"} {
		if !strings.Contains(msg, want) {
			t.Errorf("err=%q, want it to contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "loopback") {
		t.Errorf("err=%q says 127.0.0.1 is not a loopback address", msg)
	}
}

// TestMain_MaxHeaderBytes checks that serve answers headers over
// --max-header-bytes the AWS way, not with net/http's plain-text 431.
func TestMain_MaxHeaderBytes(t *testing.T) {
	m := MustRun(t, "--db", ":memory:", "--addr", "127.0.0.1:0", "--max-header-bytes", "4096", "--log-level", "error")
	req, _ := http.NewRequest("GET", "http://"+m.Listener.Addr().String()+"/accounts", nil)
	req.Header.Set("X-Filler", strings.Repeat("a", 5000))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("x-amzn-ErrorType") != "BadRequestException" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("answer = %d %q %q, want 400 BadRequestException in JSON", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), resp.Header.Get("Content-Type"))
	}
}
