package openchime

import (
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"sync"
)

// IDGen makes the identifiers and secrets the Service hands out.
type IDGen interface {
	// UUID returns a new lowercase UUID (version 4 layout).
	UUID() string
	// Digits returns n random decimal digits.
	Digits(n int) string
	// Token returns n random characters of [A-Za-z0-9+/], for secrets such
	// as a bot's SecurityToken (decision D18).
	Token(n int) string
}

// tokenAlphabet has 64 characters, so a byte modulo 64 is unbiased.
const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// RandomIDs draws from crypto/rand.
type RandomIDs struct{}

// UUID returns a random UUID.
func (RandomIDs) UUID() string {
	var b [16]byte
	rand.Read(b[:])
	return formatUUID(b)
}

// Digits returns n random digits.
func (RandomIDs) Digits(n int) string {
	out := make([]byte, 0, n)
	var buf [16]byte
	for len(out) < n {
		rand.Read(buf[:])
		for _, c := range buf {
			// 250 is the largest multiple of 10 below 256: bytes at or
			// above it are dropped so every digit is equally likely.
			if c < 250 && len(out) < n {
				out = append(out, '0'+c%10)
			}
		}
	}
	return string(out)
}

// Token returns n random characters of the token alphabet.
func (RandomIDs) Token(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = tokenAlphabet[b[i]%64]
	}
	return string(b)
}

// SeededIDs is a reproducible IDGen: the same seed and the same calls in the
// same order give the same ids (the --id-seed option).
type SeededIDs struct {
	mu  sync.Mutex
	rng *mrand.Rand
}

// NewSeededIDs returns an IDGen seeded with seed.
func NewSeededIDs(seed uint64) *SeededIDs {
	return &SeededIDs{rng: mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// UUID returns the next UUID of the sequence.
func (s *SeededIDs) UUID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := s.rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return formatUUID(b)
}

// Digits returns the next n digits of the sequence.
func (s *SeededIDs) Digits(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = '0' + byte(s.rng.IntN(10))
	}
	return string(b)
}

// Token returns the next n token characters of the sequence.
func (s *SeededIDs) Token(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenAlphabet[s.rng.IntN(64)]
	}
	return string(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// IsUUID reports whether s has the form of the UUIDs an IDGen makes:
// lowercase hex in 8-4-4-4-12 groups.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}
