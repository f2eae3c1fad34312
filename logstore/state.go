package logstore

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	openchime "github.com/openchime/openchime"
)

// state is the whole database in memory. Users, the one high-volume kind,
// are kept as encoded records (see codec.go) in a pointer-free user set per
// account; accounts and resources, which are few, are kept as encoded records
// in maps and sorted when listed.
type state struct {
	accounts  map[string]string             // id → account record
	decoded   map[string]*openchime.Account // id → the record decoded, never handed out (reads get a Clone)
	users     map[string]*userSet           // account id → its users
	resources map[string]map[string]string  // kind → id → resource record
	cold      map[string]*coldSet           // kind → its records on disk (cold.go)
	segLive   map[uint32]int                // cold segment → how many live records it holds
}

func newState() *state {
	return &state{accounts: map[string]string{}, decoded: map[string]*openchime.Account{}, users: map[string]*userSet{}, resources: map[string]map[string]string{},
		cold: map[string]*coldSet{}, segLive: map[uint32]int{}}
}

// userSet is the users of one account. A user is a slot number: refs locates
// its current record in the arena, the two indexes find a slot by id and by
// normalised email, and order lists the slots by (CreatedAt, ID), so that
// ListUsers seeks its cursor by binary search and reads one page,
// O(log n + page). Users are never deleted (a removed user is a tombstone),
// so slots are never reused.
type userSet struct {
	arena  arena
	refs   []ref
	ids    index
	emails index
	order  []uint32
	// live is the size of the records refs point at, which a compaction
	// copies.
	live int
	// reading is set while a checkpoint writes the set out (see
	// userCapture): writes then keep what it reads unchanged.
	reading *userCapture
}

// userCapture is what a checkpoint reads of a user set without holding a
// lock, and what the writer does meanwhile so that it stays as captured:
// the records of sealed chunks never change; an index or the order is copied
// before its first change in place (an append is past what was captured);
// and a slot's ref, which the checkpoint reads atomically, has its captured
// value saved in undo before its first change. No copy of the set is taken
// under the writer lock: at a million users that took 25-75 ms, the batch
// workload's worst latencies.
type userCapture struct {
	refs                  []ref // as captured: the first n slots
	sealed                int   // chunks sealed
	ids, emails           []uint64
	order                 []uint32
	tablesCopied, ordered bool // the writer has its own copy

	mu   sync.Mutex
	undo map[uint32]ref
}

// ref returns the slot's ref as it was when captured; the checkpoint calls
// it concurrently with the writer. The writer may have moved refs to a larger
// array since: then this one holds the values of that moment, which are
// either the captured ones or already saved in undo.
func (c *userCapture) ref(slot uint32) ref {
	r := ref(atomic.LoadUint64((*uint64)(&c.refs[slot])))
	if r.chunk() < c.sealed {
		return r
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.undo[slot]
}

// beforeIndexChange copies the indexes a checkpoint reads before the writer
// changes them.
func (s *userSet) beforeIndexChange() {
	if c := s.reading; c != nil && !c.tablesCopied {
		s.ids.tab, s.emails.tab = cloneSlice(s.ids.tab), cloneSlice(s.emails.tab)
		c.tablesCopied = true
	}
}

func newUserSet(n int) *userSet {
	return &userSet{refs: make([]ref, 0, n), ids: newIndex(n), emails: newIndex(n), order: make([]uint32, 0, n)}
}

func (s *userSet) rec(slot uint32) string { return s.arena.get(s.refs[slot]) }

// byID returns the record of the user with the id.
func (s *userSet) byID(id string) (string, bool) {
	slot, ok := s.slotOf(id)
	if !ok {
		return "", false
	}
	return s.rec(slot), true
}

func (s *userSet) slotOf(id string) (uint32, bool) {
	return s.ids.find(keyHash(id), func(slot uint32) bool { return keyID(s.rec(slot)) == id })
}

// warm touches, for up to len(buf) ids, the index entry each probe starts
// at, then the slot's ref, then the first bytes of its record, each pass over
// all the ids before the next. A lookup is three dependent reads that each
// miss the cache on a large account; done one id after another they wait in
// turn, while the reads of one pass are independent, so the processor
// overlaps their misses and slotOf then finds them cached.
func (s *userSet) warm(ids []string, buf []uint64) {
	tab := s.ids.tab
	if len(tab) == 0 {
		return
	}
	mask := uint64(len(tab) - 1)
	ids = ids[:min(len(ids), len(buf))]
	for i, id := range ids {
		buf[i] = tab[tagStart(keyHash(id)>>32, mask)]
	}
	var sink uint64
	for i := range ids {
		if slot := uint32(buf[i]); slot != 0 && int(slot-1) < len(s.refs) {
			buf[i] = uint64(s.refs[slot-1])
			sink += buf[i]
		} else {
			buf[i] = 0
		}
	}
	for i := range ids {
		if r := ref(buf[i]); buf[i] != 0 && r.chunk() < len(s.arena.chunks) {
			if c := s.arena.chunks[r.chunk()]; r.offset() < len(c) {
				sink += uint64(c[r.offset()])
			}
		}
	}
	warmSink = sink
}

// warmSink keeps the compiler from dropping warm's reads.
var warmSink uint64

func keyID(rec string) string {
	_, id := userKey(rec)
	return id
}

// byEmail returns the record of the user whose normalised email is email.
func (s *userSet) byEmail(email string) (string, bool) {
	slot, ok := s.emails.find(keyHash(email), func(slot uint32) bool {
		_, _, e := userHead(s.rec(slot))
		return openchime.NormalizeEmail(e) == email
	})
	if !ok {
		return "", false
	}
	return s.rec(slot), true
}

func keyLess(c1 int64, id1 string, c2 int64, id2 string) bool {
	if c1 != c2 {
		return c1 < c2
	}
	return id1 < id2
}

func (s *userSet) keyAt(i int) (int64, string) { return userKey(s.rec(s.order[i])) }

// search returns the index in order of the first record after (created, id).
func (s *userSet) search(created int64, id string) int {
	return sort.Search(len(s.order), func(i int) bool {
		c, v := s.keyAt(i)
		return keyLess(created, id, c, v)
	})
}

// indexOf returns the position in order of the record with the key.
func (s *userSet) indexOf(created int64, id string) int {
	return sort.Search(len(s.order), func(i int) bool {
		c, v := s.keyAt(i)
		return !keyLess(c, v, created, id)
	})
}

// put inserts or replaces a user; fresh collects the slots that need a place
// in the order, which addOrdered merges in one pass.
func (s *userSet) put(rec string, fresh *[]uint32, hint func(id string) (uint32, bool)) {
	created, id, email := userHead(rec)
	email = openchime.NormalizeEmail(email)
	slot, ok := uint32(0), false
	if hint != nil {
		// The transaction found the slot already; a lookup costs several
		// cache misses at a million users. Checked, not trusted.
		if slot, ok = hint(id); ok && (int(slot) >= len(s.refs) || keyID(s.rec(slot)) != id) {
			ok = false
		}
	}
	if !ok {
		slot, ok = s.slotOf(id)
	}
	if ok {
		old := s.rec(slot)
		oc, oid, oemail := userHead(old)
		if oc != created {
			if c := s.reading; c != nil && !c.ordered {
				s.order = cloneSlice(s.order)
				c.ordered = true
			}
			if i := s.indexOf(oc, oid); i < len(s.order) && s.order[i] == slot {
				s.order = slices.Delete(s.order, i, i+1)
			}
			*fresh = append(*fresh, slot)
		}
		if oemail = openchime.NormalizeEmail(oemail); oemail != email {
			s.beforeIndexChange()
			s.emails.remove(keyHash(oemail), slot)
			s.emails.insert(keyHash(email), slot)
		}
		s.live += recordSize(len(rec)) - recordSize(len(old))
		r := s.arena.add(rec)
		if c := s.reading; c != nil && int(slot) < len(c.refs) {
			if prev := s.refs[slot]; prev.chunk() < c.sealed {
				c.mu.Lock()
				c.undo[slot] = prev
				c.mu.Unlock()
			}
		}
		atomic.StoreUint64((*uint64)(&s.refs[slot]), uint64(r))
		return
	}
	slot = uint32(len(s.refs))
	s.refs = append(s.refs, s.arena.add(rec))
	s.live += recordSize(len(rec))
	s.beforeIndexChange()
	s.ids.insert(keyHash(id), slot)
	s.emails.insert(keyHash(email), slot)
	*fresh = append(*fresh, slot)
}

// addOrdered merges fresh slots into the order. New users are nearly always
// created after every existing one, which makes this an append.
func (s *userSet) addOrdered(fresh []uint32) {
	if len(fresh) == 0 {
		return
	}
	less := func(a, b uint32) int {
		c1, id1 := userKey(s.rec(a))
		c2, id2 := userKey(s.rec(b))
		switch {
		case keyLess(c1, id1, c2, id2):
			return -1
		case keyLess(c2, id2, c1, id1):
			return 1
		}
		return 0
	}
	slices.SortFunc(fresh, less)
	if n := len(s.order); n == 0 || less(s.order[n-1], fresh[0]) < 0 {
		s.order = append(s.order, fresh...)
		return
	}
	merged := make([]uint32, 0, len(s.order)+len(fresh))
	i, j := 0, 0
	for i < len(s.order) && j < len(fresh) {
		if less(s.order[i], fresh[j]) <= 0 {
			merged = append(merged, s.order[i])
			i++
		} else {
			merged = append(merged, fresh[j])
			j++
		}
	}
	merged = append(merged, s.order[i:]...)
	s.order = append(merged, fresh[j:]...)
}

// Log and snapshot entry kinds. A new record type takes the next number, an
// encode/decode pair in codec.go and a case in apply.
const (
	kindAccount     = 1 // account record
	kindUser        = 2 // account id, user record
	kindResource    = 3 // resource record
	kindDelResource = 4 // kind, id
	kindReset       = 5 // nothing
	kindUserBlock   = 6 // snapshot format 1 only: account id, count, user records
	kindUserSet     = 7 // snapshot only: a whole user set, see writeSet
	kindColdSet     = 8 // snapshot only: a cold set's entries, see writeSet
	kindColdTail    = 9 // snapshot only: segment appended to, its length
)

// applier applies entries to a state, batching the order merges of users.
type applier struct {
	st    *state
	fresh map[*userSet][]uint32
	cold  *coldFiles
	// coldLocs are where applyPayload wrote the transaction's cold records,
	// in entry order.
	coldLocs []coldLoc
	// slots, when set, tells where the committing transaction found users.
	slots func(accountID, id string) (uint32, bool)
}

func (a *applier) user(accountID, rec string) {
	set := a.st.users[accountID]
	if set == nil {
		set = newUserSet(0)
		a.st.users[strings.Clone(accountID)] = set
	}
	if a.fresh == nil {
		a.fresh = map[*userSet][]uint32{}
	}
	f := a.fresh[set]
	var hint func(string) (uint32, bool)
	if a.slots != nil {
		hint = func(id string) (uint32, bool) { return a.slots(accountID, id) }
	}
	set.put(rec, &f, hint)
	a.fresh[set] = f
}

func (a *applier) flush() {
	for set, f := range a.fresh {
		set.addOrdered(f)
	}
	clear(a.fresh)
}

// apply applies one entry. body may be a view of a reused buffer: what the
// state keeps is cloned, so no record pins a whole log frame.
func (a *applier) apply(kind byte, body string) error {
	switch kind {
	case kindAccount:
		if len(body) == 0 {
			return errCorrupt
		}
		body = strings.Clone(body)
		d := decoder{s: body[1:]}
		id := d.str()
		if d.err != nil {
			return d.err
		}
		// Decoded once here rather than on every read: every request
		// reads its account.
		acct, err := decodeAccount(body)
		if err != nil {
			return err
		}
		a.st.accounts[id] = body
		a.st.decoded[id] = acct
	case kindUser:
		d := decoder{s: body}
		acct := d.str()
		if d.err != nil || len(d.s) == 0 {
			return errCorrupt
		}
		a.user(acct, d.s) // the arena copies it
	case kindResource:
		d := decoder{s: body}
		if k := d.str(); d.err == nil && isCold(k) {
			return a.coldResource(body)
		}
		// The keys must share the kept copy, not the frame.
		body = strings.Clone(body)
		d = decoder{s: body}
		k, id := d.str(), d.str()
		if d.err != nil {
			return d.err
		}
		m := a.st.resources[k]
		if m == nil {
			m = map[string]string{}
			a.st.resources[k] = m
		}
		m[id] = body
	case kindDelResource:
		d := decoder{s: body}
		k, id := d.str(), d.str()
		if d.err != nil {
			return d.err
		}
		if set := a.st.cold[k]; set != nil {
			if loc, ok := set.remove(id); ok {
				a.st.segLive[loc.seg]--
			}
		}
		if m := a.st.resources[k]; m != nil {
			delete(m, id)
		}
	case kindReset:
		a.flush()
		*a.st = *newState()
	default:
		return errCorrupt
	}
	return nil
}

// coldResource records a cold record: its body is written to a segment
// (applyPayload did, or it is done here) and memory keeps where.
func (a *applier) coldResource(body string) error {
	var loc coldLoc
	if len(a.coldLocs) > 0 {
		loc, a.coldLocs = a.coldLocs[0], a.coldLocs[1:]
	} else {
		locs, err := a.cold.appendRecords([]string{body})
		if err != nil {
			return err
		}
		loc = locs[0]
	}
	d := decoder{s: body}
	k, id, scope := d.str(), d.str(), d.str()
	created := d.int()
	if d.err != nil {
		return d.err
	}
	set := a.st.cold[k]
	if set == nil {
		set = &coldSet{}
		a.st.cold[strings.Clone(k)] = set
	}
	old, replaced := set.put(coldEntry{created: created, id: id, scope: scope, loc: loc})
	if replaced {
		a.st.segLive[old.seg]--
	}
	a.st.segLive[loc.seg]++
	return nil
}

// writeCold writes the cold records of a transaction's payload to a segment
// in one write, before anything is applied, so that a failed write leaves
// memory untouched.
func (a *applier) writeCold(entries string) error {
	var recs []string
	d := decoder{s: entries}
	for len(d.s) > 0 {
		kind := d.byte()
		body := d.str()
		if d.err != nil {
			return d.err
		}
		if kind == kindResource {
			b := decoder{s: body}
			if isCold(b.str()) {
				recs = append(recs, body)
			}
		}
	}
	if len(recs) == 0 {
		return nil
	}
	locs, err := a.cold.appendRecords(recs)
	if err != nil {
		return err
	}
	a.coldLocs = locs
	return nil
}
