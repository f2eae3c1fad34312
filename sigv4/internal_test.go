package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests inject faults into the verifier's own guards of correctness:
// the derived-key cache and the pooled scratch memory.

var (
	testTime   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	testSecret = "test-secret"
)

// signedRequest builds a header-signed request with this package's own
// canonicalisation; the SDK-signed tests in sigv4_test pin that to the SDK.
func signedRequest(t testing.TB, secret, region string, body []byte) *http.Request {
	return signedRequestAs(t, "AKIDTEST", secret, region, body)
}

func signedRequestAs(t testing.TB, akid, secret, region string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest("POST", "http://127.0.0.1:4580/accounts/a/users?operation=suspend", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	date := testTime.Format(timeFormat)
	r.Header.Set("X-Amz-Date", date)
	r.Header.Set("Content-Type", "application/json")
	signed := "content-type;host;x-amz-date"
	sum := sha256.Sum256(body)
	canonical := "POST\n" + CanonicalURI(r.URL) + "\n" + CanonicalQuery(r.URL.RawQuery, false) + "\n" +
		"content-type:application/json\nhost:" + r.Host + "\nx-amz-date:" + date + "\n\n" + signed + "\n" + hex.EncodeToString(sum[:])
	crSum := sha256.Sum256([]byte(canonical))
	scope := date[:8] + "/" + region + "/chime/aws4_request"
	sts := Algorithm + "\n" + date + "\n" + scope + "\n" + hex.EncodeToString(crSum[:])
	sig := hmacSHA256(DeriveKey(secret, date[:8], region, "chime"), []byte(sts))
	r.Header.Set("Authorization", Algorithm+" Credential="+akid+"/"+scope+", SignedHeaders="+signed+", Signature="+hex.EncodeToString(sig))
	return r
}

func testVerifier(secret *string) *Verifier {
	return &Verifier{
		Service: "chime",
		Lookup: func(k string) (Credentials, bool) {
			return Credentials{AccessKeyID: k, SecretAccessKey: *secret}, k == "AKIDTEST"
		},
		Now: func() time.Time { return testTime },
	}
}

func TestHMACSHA256Block(t *testing.T) {
	for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 300} {
		key := sha256.Sum256([]byte(fmt.Sprint("key", n)))
		msg := bytes.Repeat([]byte{byte(n)}, n)
		buf := append(make([]byte, sha256.BlockSize), msg...)
		got := hmacSHA256Block(&key, buf)
		if want := hmacSHA256(key[:], msg); !hmac.Equal(got[:], want) {
			t.Errorf("len %d: hmacSHA256Block=%x, want crypto/hmac's %x", n, got, want)
		}
	}
}

func TestVerifier_KeyCachePoisoned(t *testing.T) {
	secret := testSecret
	v := testVerifier(&secret)
	body := []byte(`{"UserIdList":["u-1"]}`)
	if _, err := v.Verify(signedRequest(t, secret, "us-east-1", body), body); err != nil {
		t.Fatalf("verify: %v", err)
	}
	ck := keyCacheKey{secret, "20260301", "us-east-1", "chime"}
	if _, ok := v.keys[ck]; !ok || len(v.keys) != 1 {
		t.Fatalf("cache=%v, want one entry for %v", v.keys, ck)
	}

	t.Run("WrongKeyUnderOtherSecret", func(t *testing.T) {
		// A wrong key cached for another secret is never served for this one.
		bad := &[sha256.Size]byte{1}
		v.storeKey(keyCacheKey{"other-secret", ck.date, ck.region, ck.service}, bad)
		if _, err := v.Verify(signedRequest(t, secret, "us-east-1", body), body); err != nil {
			t.Fatalf("verify: %v", err)
		}
	})
	t.Run("CorruptedEntry", func(t *testing.T) {
		// A corrupted entry fails verification; it never lets a request through.
		good := v.keys[ck]
		defer func() { v.keys[ck] = good }()
		bad := *good
		bad[0] ^= 1
		v.keys[ck] = &bad
		if _, err := v.Verify(signedRequest(t, secret, "us-east-1", body), body); err == nil {
			t.Fatalf("verified with a corrupted cached key")
		}
	})
	t.Run("RotatedSecret", func(t *testing.T) {
		secret = "rotated"
		defer func() { secret = testSecret }()
		if _, err := v.Verify(signedRequest(t, testSecret, "us-east-1", body), body); err == nil {
			t.Fatalf("old secret's signature verified after rotation")
		}
		if _, err := v.Verify(signedRequest(t, "rotated", "us-east-1", body), body); err != nil {
			t.Fatalf("new secret: %v", err)
		}
	})
}

func TestVerifier_KeyCacheBounded(t *testing.T) {
	secret := testSecret
	v := testVerifier(&secret)
	body := []byte("{}")

	// A failed verification caches nothing: whoever lacks the secret cannot
	// fill the cache, whatever regions they name.
	for i := 0; i < 10; i++ {
		r := signedRequest(t, "guess", fmt.Sprintf("region-%d", i), body)
		if _, err := v.Verify(r, body); err == nil {
			t.Fatalf("verified with a wrong secret")
		}
	}
	if len(v.keys) != 0 {
		t.Fatalf("cache has %d entries after failed verifications, want 0", len(v.keys))
	}
	// An overlong region verifies but is not cached.
	long := strings.Repeat("r", maxCachedRegion+1)
	if _, err := v.Verify(signedRequest(t, secret, long, body), body); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if len(v.keys) != 0 {
		t.Fatalf("cache has %d entries after an overlong region, want 0", len(v.keys))
	}
	for i := 0; i < 3*maxCachedKeys; i++ {
		v.storeKey(keyCacheKey{secret, "20260301", fmt.Sprint(i), "chime"}, &[sha256.Size]byte{})
		if len(v.keys) > maxCachedKeys {
			t.Fatalf("cache has %d entries, want at most %d", len(v.keys), maxCachedKeys)
		}
	}
}

func TestVerifier_DirtyScratch(t *testing.T) {
	secret := testSecret
	v := testVerifier(&secret)
	body := []byte(`{"UserIdList":["u-1","u-2"]}`)
	junk := func(n int) []byte { return bytes.Repeat([]byte{0xff}, n) }
	dirty := &scratch{buf: junk(100), sts: junk(100), esc: junk(2000), params: []param{{0, 5, 9}, {1, 2, 3}}}
	for i := 0; i < 3; i++ {
		if _, err := v.verify(signedRequest(t, secret, "us-east-1", body), body, dirty); err != nil {
			t.Fatalf("verify %d with a dirty scratch: %v", i, err)
		}
		for _, b := range [][]byte{dirty.buf, dirty.sts, dirty.esc} {
			copy(b[:cap(b)], junk(cap(b)))
		}
	}
	tampered := append([]byte{}, body...)
	tampered[3] ^= 1
	if _, err := v.verify(signedRequest(t, secret, "us-east-1", body), tampered, dirty); err == nil {
		t.Fatalf("tampered body verified with a reused scratch")
	}
}

// TestVerifier_Concurrent verifies, from many goroutines sharing one
// Verifier and its cache, requests under three access keys and two regions,
// signed with each key's own secret or another key's; run it with -race.
func TestVerifier_Concurrent(t *testing.T) {
	secrets := map[string]string{"AKID0": "s0", "AKID1": "s1", "AKID2": "s2"}
	v := &Verifier{
		Service: "chime",
		Lookup: func(k string) (Credentials, bool) {
			s, ok := secrets[k]
			return Credentials{AccessKeyID: k, SecretAccessKey: s}, ok
		},
		Now: func() time.Time { return testTime },
	}
	type job struct {
		akid, signWith, region string
		body                   []byte
		r                      *http.Request
	}
	var jobs []job
	for akid := range secrets {
		for _, s := range secrets {
			for _, reg := range []string{"us-east-1", "eu-west-1"} {
				body := []byte(fmt.Sprintf(`{"k":%q,"s":%q}`, akid, s))
				jobs = append(jobs, job{akid, s, reg, body, signedRequestAs(t, akid, s, reg, body)})
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				for _, j := range jobs {
					res, err := v.Verify(j.r, j.body)
					if want := secrets[j.akid] == j.signWith; (err == nil) != want || (err == nil && res.Credentials.AccessKeyID != j.akid) {
						errs <- fmt.Errorf("%s signed with %s in %s: err %v, want verified=%v", j.akid, j.signWith, j.region, err, want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
