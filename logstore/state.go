package logstore

import (
	"slices"
	"sort"
	"strings"

	openchime "github.com/openchime/openchime"
)

// state is the whole database in memory. Users, the one high-volume kind,
// are kept as encoded records (see codec.go) with three indexes per account;
// accounts and resources, which are few, are kept as encoded records in maps
// and sorted when listed.
type state struct {
	accounts  map[string]string            // id → account record
	users     map[string]*userSet          // account id → its users
	resources map[string]map[string]string // kind → id → resource record
}

func newState() *state {
	return &state{accounts: map[string]string{}, users: map[string]*userSet{}, resources: map[string]map[string]string{}}
}

// urec holds a user's current record; the indexes point at it so an update
// replaces one string.
type urec struct{ rec string }

// userSet is the users of one account.
type userSet struct {
	byID    map[string]*urec // keys share the record's memory
	byEmail map[string]*urec // normalised email; use emails()
	// emailReady is closed once byEmail is filled: after a snapshot load
	// it fills in the background, so the server answers before it is done
	// (the batch and list paths never need it).
	emailReady chan struct{}
	// order is sorted by (CreatedAt, ID): ListUsers seeks its cursor by
	// binary search and reads one page, O(log n + page).
	order []*urec
}

func newUserSet(n int) *userSet {
	ready := make(chan struct{})
	close(ready)
	return &userSet{byID: make(map[string]*urec, n), byEmail: make(map[string]*urec, n), order: make([]*urec, 0, n), emailReady: ready}
}

// emails returns the email index, waiting for it to be filled.
func (s *userSet) emails() map[string]*urec {
	<-s.emailReady
	return s.byEmail
}

func keyLess(c1 int64, id1 string, c2 int64, id2 string) bool {
	if c1 != c2 {
		return c1 < c2
	}
	return id1 < id2
}

// search returns the index of the first record after (created, id).
func (s *userSet) search(created int64, id string) int {
	return sort.Search(len(s.order), func(i int) bool {
		c, v := userKey(s.order[i].rec)
		return keyLess(created, id, c, v)
	})
}

// indexOf returns the position of the record with the key.
func (s *userSet) indexOf(created int64, id string) int {
	return sort.Search(len(s.order), func(i int) bool {
		c, v := userKey(s.order[i].rec)
		return !keyLess(c, v, created, id)
	})
}

// put inserts or replaces a user; fresh collects the new records, which
// flush adds to the order in one sorted merge. Map keys never share memory
// with a record that an update can replace (they are substrings of the
// snapshot buffer, which lives as long as the store, or copies), so an update
// only swaps the record and leaves the maps alone.
func (s *userSet) put(rec string, fresh *[]*urec) {
	created, id, email := userHead(rec)
	email = openchime.NormalizeEmail(email)
	if old := s.byID[id]; old != nil {
		oc, oid, oemail := userHead(old.rec)
		if oc != created {
			if i := s.indexOf(oc, oid); i < len(s.order) && s.order[i] == old {
				s.order = slices.Delete(s.order, i, i+1)
			}
			*fresh = append(*fresh, old)
		}
		if oemail = openchime.NormalizeEmail(oemail); oemail != email {
			emails := s.emails()
			if emails[oemail] == old {
				delete(emails, oemail)
			}
			emails[strings.Clone(email)] = old
		}
		old.rec = rec
		return
	}
	r := &urec{rec: rec}
	s.byID[strings.Clone(id)] = r
	s.emails()[strings.Clone(email)] = r
	*fresh = append(*fresh, r)
}

// addOrdered merges fresh records into the order. New users are nearly
// always created after every existing one, which makes this an append.
func (s *userSet) addOrdered(fresh []*urec) {
	if len(fresh) == 0 {
		return
	}
	less := func(a, b *urec) int {
		c1, id1 := userKey(a.rec)
		c2, id2 := userKey(b.rec)
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
	merged := make([]*urec, 0, len(s.order)+len(fresh))
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
	kindUserBlock   = 6 // snapshot only: account id, count, user records
)

// applier applies entries to a state, batching the order merges of users.
type applier struct {
	st    *state
	fresh map[*userSet][]*urec
}

func (a *applier) user(accountID, rec string) {
	set := a.st.users[accountID]
	if set == nil {
		set = newUserSet(0)
		a.st.users[strings.Clone(accountID)] = set
	}
	if a.fresh == nil {
		a.fresh = map[*userSet][]*urec{}
	}
	f := a.fresh[set]
	set.put(rec, &f)
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
		a.st.accounts[id] = body
	case kindUser:
		d := decoder{s: body}
		acct := d.str()
		if d.err != nil || len(d.s) == 0 {
			return errCorrupt
		}
		a.user(acct, strings.Clone(d.s))
	case kindResource:
		body = strings.Clone(body)
		d := decoder{s: body}
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
