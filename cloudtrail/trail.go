// Package cloudtrail records every Chime API call the way AWS CloudTrail
// does and answers CloudTrail's LookupEvents over the records.
//
// The request path only keeps what it already has (the raw body, the
// operation, the caller, the error, the time) in a Call pushed into a bounded
// in-memory ring, the Trail; the JSON record (Record) is built when it is
// read. The trail is per process: each node of a multi-node deployment keeps
// the calls it served, and nothing survives a restart.
//
// The package imports only the standard library, so any part of the server
// that needs "the CloudTrail record of a request" (webhooks, exports) builds
// it here.
package cloudtrail

import (
	"sync"
	"time"
)

// DefaultMaxEvents is the number of calls a Trail keeps when not told.
const DefaultMaxEvents = 100000

// DefaultMaxBytes bounds the request and response bytes a Trail keeps in all;
// the oldest calls go first when a new one would pass it.
const DefaultMaxBytes = 64 << 20

// MaxKeptBody is the largest request body or response a call keeps; a
// larger one is recorded as omitted, so one huge request cannot take the
// byte budget of thousands of ordinary ones.
const MaxKeptBody = 16 << 10

// Call is one API call as the request path saw it: raw values that cost
// nothing to keep (strings and slices the request already holds). Record
// turns it into the CloudTrail record.
type Call struct {
	// Seq orders the calls of a Trail (Add sets it).
	Seq uint64
	// Time is when the call was answered (eventTime).
	Time time.Time
	// EventID is the record's eventID; Add draws one from the Trail's IDs
	// when it is empty.
	EventID   string
	RequestID string
	// EventName is the operation, e.g. "BatchSuspendUser".
	EventName    string
	AwsAccountID string
	AccessKeyID  string
	// Temporary says the request carried a session token
	// (X-Amz-Security-Token): temporary credentials, an assumed role.
	Temporary bool
	// RemoteAddr is the connection's address (host:port).
	RemoteAddr string
	UserAgent  string
	// PathTemplate is the operation's route (/accounts/{accountId}/users),
	// Path the escaped path it matched: the labels are read from them when
	// the record is built.
	PathTemplate string
	Path         string
	RawQuery     string
	// FixedQueryKey is the query key that selects the operation
	// (operation=suspend), left out of requestParameters.
	FixedQueryKey string
	Body          []byte
	// Response is the body of a successful write's answer (nil for reads
	// and errors: CloudTrail writes responseElements null for them).
	Response     []byte
	ErrorCode    string
	ErrorMessage string
	// BodyOmitted and ResponseOmitted say Add dropped a body larger than
	// MaxKeptBody; the record says {"omitted":true} in its place.
	BodyOmitted, ResponseOmitted bool
}

// size is what the call counts against the byte budget.
func (c *Call) size() int { return cap(c.Body) + cap(c.Response) }

// UUIDGen makes event ids (openchime.IDGen satisfies it).
type UUIDGen interface{ UUID() string }

// Trail is a bounded ring of calls, newest last. Its zero value is not
// usable; call New.
type Trail struct {
	// MaxEvents is how many calls it keeps (New sets it).
	MaxEvents int
	// MaxBytes bounds the bodies kept (DefaultMaxBytes when 0).
	MaxBytes int
	// MaxAge, when positive, drops calls older than it (--audit-retention).
	MaxAge time.Duration
	// IDs makes the eventIDs. A seeded generator makes them reproducible.
	IDs UUIDGen
	// Identify returns the userIdentity of a caller; nil uses
	// DefaultIdentity.
	Identify func(awsAccountID, accessKeyID string, temporary bool) UserIdentity

	mu    sync.Mutex
	ring  []Call
	start int // index of the oldest call
	n     int
	seq   uint64 // the Seq of the newest call
	bytes int
}

// New returns a Trail that keeps up to maxEvents calls, with event ids from
// ids.
func New(maxEvents int, ids UUIDGen) *Trail {
	return &Trail{MaxEvents: maxEvents, IDs: ids}
}

// Add records c. It is on every request's path: it copies c into the ring
// under a lock and allocates nothing but the event id (and, now and then,
// room for the ring to grow).
func (t *Trail) Add(c *Call) {
	if t.MaxEvents <= 0 {
		return
	}
	if c.EventID == "" {
		c.EventID = t.IDs.UUID()
	}
	if len(c.Body) > MaxKeptBody {
		c.Body, c.BodyOmitted = nil, true
	}
	if len(c.Response) > MaxKeptBody {
		c.Response, c.ResponseOmitted = nil, true
	}
	maxBytes := t.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	size := c.size()
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.n > 0 && (t.n >= t.MaxEvents || t.bytes+size > maxBytes ||
		(t.MaxAge > 0 && c.Time.Sub(t.ring[t.start].Time) > t.MaxAge)) {
		t.dropOldest()
	}
	if t.n == len(t.ring) {
		t.grow()
	}
	t.seq++
	c.Seq = t.seq
	t.ring[(t.start+t.n)%len(t.ring)] = *c
	t.n++
	t.bytes += size
}

func (t *Trail) dropOldest() {
	t.bytes -= t.ring[t.start].size()
	t.ring[t.start] = Call{} // let the bodies go
	t.start = (t.start + 1) % len(t.ring)
	t.n--
}

// grow doubles the ring (up to MaxEvents), oldest first at index 0.
func (t *Trail) grow() {
	size := min(max(2*len(t.ring), 64), t.MaxEvents)
	ring := make([]Call, size)
	for i := 0; i < t.n; i++ {
		ring[i] = t.ring[(t.start+i)%len(t.ring)]
	}
	t.ring, t.start = ring, 0
}

// Len returns how many calls the trail holds.
func (t *Trail) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// scanBatch is how many calls scan copies out per lock, so a lookup over
// the whole ring never holds the request path up for long.
const scanBatch = 256

// scan calls fn with each call of Seq below before (0: all), newest first,
// until fn returns false. The calls are copies; their bodies are never
// written after Add, so sharing them is safe.
func (t *Trail) scan(before uint64, fn func(*Call) bool) {
	var buf [scanBatch]Call
	for {
		t.mu.Lock()
		oldest := t.seq - uint64(t.n) + 1
		if before == 0 || before > t.seq+1 {
			before = t.seq + 1
		}
		k := 0
		for s := before - 1; s >= oldest && s > 0 && k < scanBatch; s-- {
			buf[k] = t.ring[(t.start+int(s-oldest))%len(t.ring)]
			k++
		}
		t.mu.Unlock()
		if k == 0 {
			return
		}
		for i := 0; i < k; i++ {
			if !fn(&buf[i]) {
				return
			}
		}
		before = buf[k-1].Seq
		clear(buf[:k])
	}
}

// ByRequestID returns the record of the call answered with request id id,
// the newest first, and false when the trail no longer holds it.
func (t *Trail) ByRequestID(id string) (Record, bool) {
	var found *Call
	t.scan(0, func(c *Call) bool {
		if c.RequestID == id {
			cc := *c
			found = &cc
			return false
		}
		return true
	})
	if found == nil {
		return Record{}, false
	}
	return t.Record(found), true
}
