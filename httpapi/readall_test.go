package httpapi

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadAll_IsReadAllOfLimitReader checks readAll against
// io.ReadAll(io.LimitReader) whatever length the request declares.
func TestReadAll_IsReadAllOfLimitReader(t *testing.T) {
	for _, size := range []int{0, 1, 511, 512, 513, 2000, 5000} {
		body := strings.Repeat("x", size)
		for _, declared := range []int64{-1, 0, 1, int64(size) - 1, int64(size), int64(size) + 7, 1 << 20} {
			for _, max := range []int64{1, 600, 4096, 1 << 21} {
				want, _ := io.ReadAll(io.LimitReader(strings.NewReader(body), max))
				got, err := readAll(iotest.HalfReader(strings.NewReader(body)), declared, max)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("size %d declared %d max %d: %d bytes, %v; want %d", size, declared, max, len(got), err, len(want))
				}
			}
		}
	}
	if _, err := readAll(iotest.ErrReader(io.ErrUnexpectedEOF), 10, 100); err != io.ErrUnexpectedEOF {
		t.Errorf("readAll of a failing reader = %v", err)
	}
}

// TestReadAll_DeclaredLengthIsNotTrusted: a request that declares a large
// body and sends one byte reserves no more than preallocMax; before the cap
// an unauthenticated client could make the server hold a buffer of the
// declared size (1 MiB on the API, 16 MiB on the control plane) per
// connection.
func TestReadAll_DeclaredLengthIsNotTrusted(t *testing.T) {
	got, err := readAll(strings.NewReader("x"), 1<<30, 16<<20)
	if err != nil || string(got) != "x" {
		t.Fatalf("readAll = %q, %v", got, err)
	}
	if cap(got) > preallocMax {
		t.Fatalf("a 1-byte body declared as 1 GiB reserved %d bytes, want at most %d", cap(got), preallocMax)
	}
}
