// Package cloudtrail records every Chime API call the way AWS CloudTrail
// does and answers CloudTrail's LookupEvents over the records.
//
// The request path only copies what it already has (the raw body, the
// operation, the caller, the error, the time) into a bounded in-memory ring,
// the Trail; the JSON record (Record) is built when it is read. The trail is per process: each node of a multi-node deployment keeps
// the calls it served, and nothing survives a restart.
//
// The package imports only the standard library, so any part of the server
// that needs "the CloudTrail record of a request" (webhooks, exports) builds
// it here.
package cloudtrail

import (
	"encoding/binary"
	"sync"
	"time"
	"unsafe"
)

// DefaultMaxEvents is the number of calls a Trail keeps when not told.
const DefaultMaxEvents = 100000

// DefaultMaxBytes bounds the bytes a Trail keeps its calls in (their bodies,
// answers and strings); the oldest calls go first when a new one would pass
// it.
const DefaultMaxBytes = 64 << 20

// MaxKeptBody is the largest request body or response a call keeps; a
// larger one is recorded as omitted, so one huge request cannot take the
// byte budget of thousands of ordinary ones.
const MaxKeptBody = 16 << 10

// Call is one API call as the request path saw it, in raw values. Record
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

	mu sync.Mutex
	// The calls are kept in memory the collector never scans: a ring of
	// fixed headers and a ring of bytes holding each call's strings and
	// bodies. Kept as Calls (a dozen pointers each, and each pointing to
	// memory of its own), 100,000 of them cost every collection a scan of
	// them all and a quarter of a batch call's CPU (BENCHMARKS.md).
	heads []head
	start int // index of the oldest call in heads
	n     int
	seq   uint64 // the Seq of the newest call
	buf   []byte // the calls' encodings, each contiguous, in call order
}

// head is the fixed part of a kept call: where its encoding lies in buf.
type head struct {
	seq       uint64
	sec       int64 // Time, in seconds and nanoseconds: exact for any year
	nsec      int32
	off, size int
}

// maxRecordBytes bounds one call's encoding; a call with longer strings is
// kept with its bodies omitted, or not at all.
const maxRecordBytes = 1 << 20

// New returns a Trail that keeps up to maxEvents calls, with event ids from
// ids.
func New(maxEvents int, ids UUIDGen) *Trail {
	return &Trail{MaxEvents: maxEvents, IDs: ids}
}

// Add records c. It is on every request's path: it copies c into the rings
// under a lock and allocates nothing but the event id (and, now and then,
// room for the rings to grow).
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
	size := c.encodedSize()
	if size > maxRecordBytes || size > maxBytes {
		c.Body, c.BodyOmitted = nil, c.Body != nil || c.BodyOmitted
		c.Response, c.ResponseOmitted = nil, c.Response != nil || c.ResponseOmitted
		if size = c.encodedSize(); size > maxRecordBytes || size > maxBytes {
			return
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.n > 0 && (t.n >= t.MaxEvents || (t.MaxAge > 0 && c.Time.Sub(t.heads[t.start].time()) > t.MaxAge)) {
		t.dropOldest()
	}
	off := t.place(size, maxBytes)
	if t.n == len(t.heads) {
		t.growHeads()
	}
	t.seq++
	c.Seq = t.seq
	c.encode(t.buf[off : off : off+size])
	t.heads[(t.start+t.n)%len(t.heads)] = head{seq: t.seq, sec: c.Time.Unix(), nsec: int32(c.Time.Nanosecond()), off: off, size: size}
	t.n++
}

func (h *head) time() time.Time { return time.Unix(h.sec, int64(h.nsec)).UTC() }

// place returns where in buf a call of size bytes goes, dropping the oldest
// calls until it fits, and growing buf (up to maxBytes) rather than dropping
// while it can. The calls lie in buf in call order, around the ring: from
// the oldest call's offset to the newest's end, wrapping to 0 when a call
// does not fit at the end (the rest of the end is left unused).
func (t *Trail) place(size, maxBytes int) int {
	for {
		if t.n == 0 {
			if len(t.buf) < size {
				t.buf = make([]byte, min(max(2*len(t.buf), 64<<10, size), max(maxBytes, size)))
			}
			return 0
		}
		oldest, newest := &t.heads[t.start], &t.heads[(t.start+t.n-1)%len(t.heads)]
		r, w := oldest.off, newest.off+newest.size
		if newest.off >= oldest.off { // not wrapped: the calls lie in [r, w)
			if w+size <= len(t.buf) {
				return w
			}
			if len(t.buf) < maxBytes {
				t.growBuf(maxBytes)
				continue
			}
			if size <= r {
				return 0
			}
		} else if w+size <= r { // wrapped: in [r, end of the tail) and [0, w)
			return w
		}
		t.dropOldest()
	}
}

// growBuf doubles buf, up to maxBytes, moving the calls to its start in
// order.
func (t *Trail) growBuf(maxBytes int) {
	buf := make([]byte, min(max(2*len(t.buf), 64<<10), maxBytes))
	at := 0
	for i := 0; i < t.n; i++ {
		h := &t.heads[(t.start+i)%len(t.heads)]
		copy(buf[at:], t.buf[h.off:h.off+h.size])
		h.off = at
		at += h.size
	}
	t.buf = buf
}

func (t *Trail) dropOldest() {
	t.heads[t.start] = head{}
	t.start = (t.start + 1) % len(t.heads)
	t.n--
}

// growHeads makes room for more heads, up to MaxEvents.
func (t *Trail) growHeads() {
	size := min(max(2*len(t.heads), 64), t.MaxEvents)
	heads := make([]head, size)
	for i := 0; i < t.n; i++ {
		heads[i] = t.heads[(t.start+i)%len(t.heads)]
	}
	t.heads, t.start = heads, 0
}

// A call's encoding: a flags byte, then each string and byte slice of
// callFields as a uvarint length and its bytes.
const (
	flagTemporary = 1 << iota
	flagBodyOmitted
	flagResponseOmitted
	flagBodyNil
	flagResponseNil
)

// strings returns the string fields of c in their encoded order.
func (c *Call) strings() [13]*string {
	return [...]*string{&c.EventID, &c.RequestID, &c.EventName, &c.AwsAccountID, &c.AccessKeyID, &c.RemoteAddr,
		&c.UserAgent, &c.PathTemplate, &c.Path, &c.RawQuery, &c.FixedQueryKey, &c.ErrorCode, &c.ErrorMessage}
}

func (c *Call) encodedSize() int {
	n := 1 + uvarintLen(len(c.Body)) + len(c.Body) + uvarintLen(len(c.Response)) + len(c.Response)
	for _, f := range c.strings() {
		n += uvarintLen(len(*f)) + len(*f)
	}
	return n
}

func uvarintLen(n int) int {
	k := 1
	for ; n >= 0x80; n >>= 7 {
		k++
	}
	return k
}

// encode appends c's encoding to b, which has room for it.
func (c *Call) encode(b []byte) {
	var flags byte
	for _, f := range []struct {
		on   bool
		flag byte
	}{{c.Temporary, flagTemporary}, {c.BodyOmitted, flagBodyOmitted}, {c.ResponseOmitted, flagResponseOmitted},
		{c.Body == nil, flagBodyNil}, {c.Response == nil, flagResponseNil}} {
		if f.on {
			flags |= f.flag
		}
	}
	b = append(b, flags)
	for _, f := range c.strings() {
		b = binary.AppendUvarint(b, uint64(len(*f)))
		b = append(b, *f...)
	}
	b = binary.AppendUvarint(b, uint64(len(c.Body)))
	b = append(b, c.Body...)
	b = binary.AppendUvarint(b, uint64(len(c.Response)))
	_ = append(b, c.Response...)
}

// decodeCall rebuilds the call that h heads from b, a copy of its encoding
// that no one writes again: its strings and slices point into b.
func decodeCall(h *head, b []byte) Call {
	c := Call{Seq: h.seq, Time: h.time()}
	flags := b[0]
	b = b[1:]
	next := func() []byte {
		n, k := binary.Uvarint(b)
		v := b[k : k+int(n) : k+int(n)]
		b = b[k+int(n):]
		return v
	}
	for _, f := range c.strings() {
		if v := next(); len(v) > 0 {
			*f = unsafe.String(&v[0], len(v))
		}
	}
	c.Body, c.Response = next(), next()
	if flags&flagBodyNil != 0 {
		c.Body = nil
	}
	if flags&flagResponseNil != 0 {
		c.Response = nil
	}
	c.Temporary, c.BodyOmitted, c.ResponseOmitted = flags&flagTemporary != 0, flags&flagBodyOmitted != 0, flags&flagResponseOmitted != 0
	return c
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
			h := &t.heads[(t.start+int(s-oldest))%len(t.heads)]
			// One copy per call, which the decoded call's strings share:
			// the ring's bytes are overwritten by later calls.
			buf[k] = decodeCall(h, append([]byte(nil), t.buf[h.off:h.off+h.size]...))
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
