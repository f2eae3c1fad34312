package sigv4_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/openchime/openchime/sigv4"
)

const batchURL = base + "/accounts/0d5f1b5c-3f7b-4a4e-9a7e-0d2e6cbb7f11/users?operation=suspend"

// batchBody is a BatchSuspendUser body with 50 user ids, the most the
// operation takes.
func batchBody() string {
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"7f3c%04d-5d2a-4e8b-9c1f-2b6e8a4d%04d"`, i, i)
	}
	return `{"UserIdList":[` + strings.Join(ids, ",") + `]}`
}

// MustSignSDK returns the wire form of a request shaped as the AWS SDK for
// Go v2 sends it: its invocation and retry headers signed, User-Agent and
// Accept-Encoding sent but unsigned, and X-Amz-Content-Sha256 only when
// contentHeader (the SDK adds it for S3, not Chime).
func MustSignSDK(tb testing.TB, creds sigv4.Credentials, method, url, body string, contentHeader bool, at time.Time) []byte {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Amz-Sdk-Invocation-Id", "6f0d7c2e-8b1a-4c3d-9e5f-1a2b3c4d5e6f")
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 ua/2.1 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/chime#1.42.0 m/E")
	if contentHeader {
		req.Header.Set("X-Amz-Content-Sha256", hashOf([]byte(body)))
	}
	ac := aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), ac, req, hashOf([]byte(body)), "chime", "us-east-1", at); err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip") // added by net/http's transport, after signing
	return wire(tb, req)
}

// BenchmarkVerify measures Verify alone on a signed BatchSuspendUser
// request: the request is parsed once, as the server has already parsed it
// and read its body when it calls Verify.
func BenchmarkVerify(b *testing.B) {
	for _, bc := range []struct {
		name          string
		contentHeader bool
	}{
		{"BatchSuspendUser", false},
		{"BatchSuspendUser/ContentSha256", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v := newVerifier(signTime)
			r, bd := parse(b, MustSignSDK(b, alice, "POST", batchURL, batchBody(), bc.contentHeader, signTime))
			if _, err := v.Verify(r, bd); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(r, bd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
