package logstore

import (
	"cmp"
	"context"
	"encoding/binary"
	"slices"
	"time"

	openchime "github.com/openchime/openchime"
)

// readTx reads the committed state; View holds the read lock around it and
// Update's transactions read it under the writer lock (only the writer
// changes the state).
type readTx struct {
	st   *state
	cold *coldFiles
}

func accountNotFound(id string) error {
	return openchime.Errorf(openchime.NotFound, "account %s not found", id)
}

func userNotFound(id string) error {
	return openchime.Errorf(openchime.NotFound, "user %s not found", id)
}

func (t readTx) Account(_ context.Context, id string) (*openchime.Account, error) {
	a, ok := t.st.decoded[id]
	if !ok {
		return nil, accountNotFound(id)
	}
	return a.Clone(), nil
}

func (t readTx) allAccounts() ([]*openchime.Account, error) {
	out := make([]*openchime.Account, 0, len(t.st.decoded))
	for _, a := range t.st.decoded {
		out = append(out, a.Clone())
	}
	return out, nil
}

func (t readTx) Accounts(ctx context.Context, f openchime.AccountFilter) ([]*openchime.Account, error) {
	all, err := t.allAccounts()
	if err != nil {
		return nil, err
	}
	return filterAccounts(ctx, t, all, f)
}

// filterAccounts applies f to the accounts, which are few, and sorts them.
func filterAccounts(ctx context.Context, tx openchime.ReadTx, all []*openchime.Account, f openchime.AccountFilter) ([]*openchime.Account, error) {
	var out []*openchime.Account
	for _, a := range all {
		if !f.MatchAccount(a) {
			continue
		}
		if f.UserEmail != "" {
			u, err := tx.UserByEmail(ctx, a.ID, f.UserEmail)
			if openchime.IsCode(err, openchime.NotFound) || (err == nil && u.Removed()) {
				continue
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *openchime.Account) int {
		return cmpKey(a.CreatedAt.UnixMilli(), a.ID, b.CreatedAt.UnixMilli(), b.ID)
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func cmpKey(c1 int64, id1 string, c2 int64, id2 string) int {
	if c := cmp.Compare(c1, c2); c != 0 {
		return c
	}
	return cmp.Compare(id1, id2)
}

func msOf(u *openchime.User) int64 { return msTime(u.CreatedAt) }

// msTime is a time as the records hold it: Unix milliseconds, 0 for zero.
func msTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func (t readTx) User(_ context.Context, accountID, userID string) (*openchime.User, error) {
	u, _, err := t.userSlot(accountID, userID)
	return u, err
}

// userSlot returns the user and its slot.
func (t readTx) userSlot(accountID, userID string) (*openchime.User, uint32, error) {
	if set := t.st.users[accountID]; set != nil {
		if slot, ok := set.slotOf(userID); ok {
			u, err := decodeUser(accountID, set.rec(slot))
			return u, slot, err
		}
	}
	return nil, 0, userNotFound(userID)
}

var _ openchime.UserBatchReader = readTx{}

// UsersByID implements openchime.UserBatchReader: what a User call per id
// returns (an id named twice gives two copies), the users decoded into one
// block.
func (t readTx) UsersByID(_ context.Context, accountID string, ids []string) ([]*openchime.User, error) {
	return t.usersByID(accountID, ids, nil, nil)
}

// usersByID decodes the users of the account with the ids into one block
// and returns them; an id for which skip is true (an overlay's) is passed
// over, and found, when not nil, is told the slot of each user decoded.
func (t readTx) usersByID(accountID string, ids []string, skip func(id string) bool, found func(u *openchime.User, slot uint32)) ([]*openchime.User, error) {
	set := t.st.users[accountID]
	if set == nil || len(ids) == 0 {
		return nil, nil
	}
	block := make([]openchime.User, len(ids))
	out := make([]*openchime.User, 0, len(ids))
	var buf [64]uint64
	for i, id := range ids {
		if i%len(buf) == 0 {
			set.warm(ids[i:], buf[:])
		}
		if skip != nil && skip(id) {
			continue
		}
		slot, ok := set.slotOf(id)
		if !ok {
			continue
		}
		u := &block[len(out)]
		if err := decodeUserInto(u, accountID, set.rec(slot)); err != nil {
			return nil, err
		}
		if found != nil {
			found(u, slot)
		}
		out = append(out, u)
	}
	return out, nil
}

// UsersByEmail implements openchime.UserBatchReader: what a UserByEmail
// call per normalised email returns, the users decoded into one block.
func (t readTx) UsersByEmail(_ context.Context, accountID string, emails []string) ([]*openchime.User, error) {
	set := t.st.users[accountID]
	if set == nil || len(emails) == 0 {
		return nil, nil
	}
	block := make([]openchime.User, len(emails))
	out := make([]*openchime.User, 0, len(emails))
	for _, email := range emails {
		rec, ok := set.byEmail(email)
		if !ok {
			continue
		}
		u := &block[len(out)]
		if err := decodeUserInto(u, accountID, rec); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

func (t readTx) UserByEmail(_ context.Context, accountID, email string) (*openchime.User, error) {
	if set := t.st.users[accountID]; set != nil {
		if rec, ok := set.byEmail(email); ok {
			return decodeUser(accountID, rec)
		}
	}
	return nil, userNotFound(email)
}

func (t readTx) Users(_ context.Context, f openchime.UserFilter) ([]*openchime.User, error) {
	set := t.st.users[f.AccountID]
	if set == nil {
		return nil, nil
	}
	var out []*openchime.User
	if f.Email != "" {
		if rec, ok := set.byEmail(f.Email); ok {
			u, err := decodeUser(f.AccountID, rec)
			if err != nil {
				return nil, err
			}
			if f.MatchUser(u) {
				out = append(out, u)
			}
		}
		return out, nil
	}
	i := 0
	if f.After != nil {
		i = set.search(msTime(f.After.CreatedAt), f.After.ID)
	}
	// Users are decoded into blocks rather than one allocation each.
	var block []openchime.User
	for ; i < len(set.order); i++ {
		if len(block) == 0 {
			n := 128
			if f.Limit > 0 {
				n = min(n, f.Limit-len(out))
			}
			block = make([]openchime.User, n)
		}
		u := &block[0]
		if err := decodeUserInto(u, f.AccountID, set.rec(set.order[i])); err != nil {
			return nil, err
		}
		if !f.MatchUser(u) {
			continue
		}
		block = block[1:]
		out = append(out, u)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

func (t readTx) Resource(_ context.Context, kind, id string) (*openchime.Resource, error) {
	if set := t.st.cold[kind]; set != nil {
		if slot, ok := set.slotOf(id); ok {
			e, _ := set.entry(slot)
			return t.coldResource(e)
		}
	}
	if rec, ok := t.st.resources[kind][id]; ok {
		return decodeResource(rec)
	}
	return nil, openchime.Errorf(openchime.NotFound, "%s %s not found", kind, id)
}

func (t readTx) Resources(_ context.Context, f openchime.ResourceFilter) ([]*openchime.Resource, error) {
	if isCold(f.Kind) {
		return t.coldResources(f)
	}
	var all []*openchime.Resource
	for _, rec := range t.st.resources[f.Kind] {
		r, err := decodeResource(rec)
		if err != nil {
			return nil, err
		}
		all = append(all, r)
	}
	return filterResources(all, f), nil
}

// coldResources lists cold records in order, seeking the cursor and reading
// from disk only the records it returns.
func (t readTx) coldResources(f openchime.ResourceFilter) ([]*openchime.Resource, error) {
	set := t.st.cold[f.Kind]
	if set == nil {
		return nil, nil
	}
	i := 0
	if f.After != nil {
		i = set.search(msTime(f.After.CreatedAt), f.After.ID)
	}
	var out []*openchime.Resource
	for ; i < len(set.order) && (f.Limit <= 0 || len(out) < f.Limit); i++ {
		e, live := set.entry(set.order[i])
		if !live || (f.Scope != "" && e.scope != f.Scope) {
			continue
		}
		r, err := t.coldResource(e)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (t readTx) AllResources(context.Context) ([]*openchime.Resource, error) {
	var all []*openchime.Resource
	for _, m := range t.st.resources {
		for _, rec := range m {
			r, err := decodeResource(rec)
			if err != nil {
				return nil, err
			}
			all = append(all, r)
		}
	}
	for kind := range t.st.cold {
		list, err := t.coldResources(openchime.ResourceFilter{Kind: kind})
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
	}
	sortResources(all)
	return all, nil
}

func sortResources(all []*openchime.Resource) {
	slices.SortFunc(all, func(a, b *openchime.Resource) int {
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return cmpKey(a.CreatedAt.UnixMilli(), a.ID, b.CreatedAt.UnixMilli(), b.ID)
	})
}

func filterResources(all []*openchime.Resource, f openchime.ResourceFilter) []*openchime.Resource {
	var out []*openchime.Resource
	for _, r := range all {
		if r.Kind != f.Kind || (f.Scope != "" && r.Scope != f.Scope) ||
			(f.After != nil && !f.After.Before(r.CreatedAt, r.ID)) {
			continue
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *openchime.Resource) int {
		return cmpKey(a.CreatedAt.UnixMilli(), a.ID, b.CreatedAt.UnixMilli(), b.ID)
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out
}

type ukey struct{ account, id string }
type rkey struct{ kind, id string }

// wtx is a write transaction: its writes go to an overlay that reads see
// first, and reach the state only when the callback succeeds, so a failing
// callback leaves nothing behind.
type wtx struct {
	s        *Store
	base     readTx
	accounts map[string]*openchime.Account
	users    map[ukey]*openchime.User
	emails   map[ukey]string // (account, normalised email) → user id, for users in the overlay
	// resources holds written resources; a nil value is a deletion.
	resources map[rkey]*openchime.Resource
	// userOrder keeps the log in write order, for readability.
	userOrder []ukey
	// cleared is set by DeleteAll: the transaction then starts from an
	// empty state, and its log frame starts with a reset.
	cleared bool
	// seen remembers the users read from the base: a status change then
	// needs no second lookup for the email check, nor a third to commit.
	seen map[ukey]seenUser
}

type seenUser struct {
	slot  uint32
	email string // normalised
}

var _ openchime.Tx = (*wtx)(nil)

func (t *wtx) empty() bool {
	return !t.cleared && len(t.accounts) == 0 && len(t.users) == 0 && len(t.resources) == 0
}

// DeleteAll implements openchime.Tx: later reads of the transaction see an
// empty store, and the commit replaces the whole state.
func (t *wtx) DeleteAll(context.Context) error {
	t.cleared = true
	t.base = readTx{st: newState(), cold: t.s.cold}
	t.accounts, t.users, t.emails, t.resources, t.userOrder, t.seen = nil, nil, nil, nil, nil, nil
	return nil
}

func (t *wtx) AllResources(ctx context.Context) ([]*openchime.Resource, error) {
	all, err := t.base.AllResources(ctx)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(r *openchime.Resource) bool { _, ok := t.resources[rkey{r.Kind, r.ID}]; return ok })
	for _, r := range t.resources {
		if r != nil {
			all = append(all, cloneResource(r))
		}
	}
	sortResources(all)
	return all, nil
}

func (t *wtx) Account(ctx context.Context, id string) (*openchime.Account, error) {
	if a, ok := t.accounts[id]; ok {
		return a.Clone(), nil
	}
	return t.base.Account(ctx, id)
}

func (t *wtx) Accounts(ctx context.Context, f openchime.AccountFilter) ([]*openchime.Account, error) {
	all, err := t.base.allAccounts()
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(a *openchime.Account) bool { _, ok := t.accounts[a.ID]; return ok })
	for _, a := range t.accounts {
		all = append(all, a.Clone())
	}
	return filterAccounts(ctx, t, all, f)
}

func (t *wtx) PutAccount(_ context.Context, a *openchime.Account) error {
	if t.accounts == nil {
		t.accounts = map[string]*openchime.Account{}
	}
	t.accounts[a.ID] = a.Clone()
	return nil
}

func (t *wtx) User(ctx context.Context, accountID, userID string) (*openchime.User, error) {
	k := ukey{accountID, userID}
	if u, ok := t.users[k]; ok {
		return u.Clone(), nil
	}
	u, slot, err := t.base.userSlot(accountID, userID)
	if err == nil {
		if t.seen == nil {
			t.seen = map[ukey]seenUser{}
		}
		t.seen[k] = seenUser{slot: slot, email: openchime.NormalizeEmail(u.PrimaryEmail)}
	}
	return u, err
}

var (
	_ openchime.UserBatchReader = (*wtx)(nil)
	_ openchime.UserBatchWriter = (*wtx)(nil)
)

// UsersByID implements openchime.UserBatchReader: what a User call per id
// returns, its own writes first, and like User it remembers where it found
// each user of the base for the commit and PutUser's email check. The base's
// users are decoded into one block.
func (t *wtx) UsersByID(_ context.Context, accountID string, ids []string) ([]*openchime.User, error) {
	var skip func(string) bool
	if len(t.users) > 0 {
		skip = func(id string) bool { _, ok := t.users[ukey{accountID, id}]; return ok }
	}
	if t.seen == nil {
		t.seen = make(map[ukey]seenUser, len(ids))
	}
	out, err := t.base.usersByID(accountID, ids, skip, func(u *openchime.User, slot uint32) {
		t.seen[ukey{accountID, u.ID}] = seenUser{slot: slot, email: openchime.NormalizeEmail(u.PrimaryEmail)}
	})
	if err != nil || skip == nil {
		return out, err
	}
	for _, id := range ids {
		if u, ok := t.users[ukey{accountID, id}]; ok {
			out = append(out, u.Clone())
		}
	}
	return out, nil
}

// UsersByEmail implements openchime.UserBatchReader: what a UserByEmail call
// per normalised email returns.
func (t *wtx) UsersByEmail(_ context.Context, accountID string, emails []string) ([]*openchime.User, error) {
	ids := make([]string, 0, len(emails))
	for _, email := range emails {
		if id := t.emailOwner(accountID, email); id != "" {
			ids = append(ids, id)
		}
	}
	return t.UsersByID(context.Background(), accountID, ids)
}

// PutUsers implements openchime.UserBatchWriter: PutUser for each user, in
// order.
func (t *wtx) PutUsers(_ context.Context, users []*openchime.User) error {
	// One block for the copies and maps sized once: a batch's 50 users were
	// 50 allocations and a few map growths of their own.
	if t.users == nil {
		t.users = make(map[ukey]*openchime.User, len(users))
		t.emails = make(map[ukey]string, len(users))
	}
	t.userOrder = slices.Grow(t.userOrder, len(users))
	block := make([]openchime.User, len(users))
	for i, u := range users {
		if err := t.putUser(u, &block[i]); err != nil {
			return err
		}
	}
	return nil
}

// slotOf tells the commit where the transaction found a user.
func (t *wtx) slotOf(accountID, id string) (uint32, bool) {
	s, ok := t.seen[ukey{accountID, id}]
	return s.slot, ok
}

// emailOwner returns the id of the user of the account who has the email in
// the transaction's view, or "".
func (t *wtx) emailOwner(accountID, email string) string {
	if id, ok := t.emails[ukey{accountID, email}]; ok {
		return id
	}
	if set := t.base.st.users[accountID]; set != nil {
		if rec, ok := set.byEmail(email); ok {
			_, id, _ := userHead(rec)
			if _, changed := t.users[ukey{accountID, id}]; changed {
				return "" // that user's overlay version has another email
			}
			return id
		}
	}
	return ""
}

func (t *wtx) UserByEmail(ctx context.Context, accountID, email string) (*openchime.User, error) {
	if id := t.emailOwner(accountID, email); id != "" {
		return t.User(ctx, accountID, id)
	}
	return nil, userNotFound(email)
}

func (t *wtx) Users(ctx context.Context, f openchime.UserFilter) ([]*openchime.User, error) {
	out, merged, err := overlaid(t.users, f.Limit,
		func(k ukey) bool { return k.account == f.AccountID },
		func(limit int) ([]*openchime.User, error) { bf := f; bf.Limit = limit; return t.base.Users(ctx, bf) },
		func(u *openchime.User) ukey { return ukey{u.AccountID, u.ID} },
		func(u *openchime.User) bool { return u.AccountID == f.AccountID && f.MatchUser(u) },
		(*openchime.User).Clone)
	if err != nil || !merged {
		return out, err
	}
	slices.SortFunc(out, func(a, b *openchime.User) int { return cmpKey(msOf(a), a.ID, msOf(b), b.ID) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// overlaid lists what a write transaction sees: the committed listing with
// the overlay's entries in place of the records they replace or delete. ours
// says which overlay keys can touch the listing; when none can, the
// committed listing of the filter's limit (0: all) is the answer (merged
// false). Otherwise list is asked for as many more records as there are such
// keys (at most that many are dropped), the records the overlay touches are
// dropped, and the overlay's values that keep accepts are added as copies,
// unsorted (merged true).
func overlaid[K comparable, V any](overlay map[K]V, limit int, ours func(K) bool, list func(limit int) ([]V, error),
	keyOf func(V) K, keep func(V) bool, clone func(V) V) (out []V, merged bool, err error) {
	mine := 0
	for k := range overlay {
		if ours(k) {
			mine++
		}
	}
	if mine == 0 {
		out, err = list(limit)
		return out, false, err
	}
	if limit > 0 {
		limit += mine
	}
	out, err = list(limit)
	if err != nil {
		return nil, false, err
	}
	out = slices.DeleteFunc(out, func(v V) bool { _, ok := overlay[keyOf(v)]; return ok })
	for _, v := range overlay {
		if keep(v) {
			out = append(out, clone(v))
		}
	}
	return out, true, nil
}

func (t *wtx) PutUser(_ context.Context, u *openchime.User) error {
	return t.putUser(u, new(openchime.User))
}

// putUser is PutUser with the transaction's copy of u written into into.
func (t *wtx) putUser(u, into *openchime.User) error {
	email := openchime.NormalizeEmail(u.PrimaryEmail)
	k := ukey{u.AccountID, u.ID}
	// A user who keeps their email (a status change, the hot path) cannot
	// take another's; only a new user or a new email needs the email index.
	if cur, exists := t.currentEmail(k); !exists || cur != email {
		if owner := t.emailOwner(u.AccountID, email); owner != "" && owner != u.ID {
			return openchime.Errorf(openchime.Conflict, "A user with email %s already exists in account %s.", u.PrimaryEmail, u.AccountID)
		}
	}
	if t.users == nil {
		t.users = map[ukey]*openchime.User{}
		t.emails = map[ukey]string{}
	}
	if prev, ok := t.users[k]; ok {
		delete(t.emails, ukey{u.AccountID, openchime.NormalizeEmail(prev.PrimaryEmail)})
	} else {
		t.userOrder = append(t.userOrder, k)
	}
	*into = *u
	t.users[k] = into
	t.emails[ukey{u.AccountID, email}] = u.ID
	return nil
}

// currentEmail returns the normalised email of the user in the transaction's
// view, and false for a user who does not exist.
func (t *wtx) currentEmail(k ukey) (string, bool) {
	if u, ok := t.users[k]; ok {
		return openchime.NormalizeEmail(u.PrimaryEmail), true
	}
	if s, ok := t.seen[k]; ok {
		return s.email, true
	}
	if set := t.base.st.users[k.account]; set != nil {
		if rec, ok := set.byID(k.id); ok {
			_, _, email := userHead(rec)
			return openchime.NormalizeEmail(email), true
		}
	}
	return "", false
}

func (t *wtx) Resource(ctx context.Context, kind, id string) (*openchime.Resource, error) {
	if r, ok := t.resources[rkey{kind, id}]; ok {
		if r == nil {
			return nil, openchime.Errorf(openchime.NotFound, "%s %s not found", kind, id)
		}
		return cloneResource(r), nil
	}
	return t.base.Resource(ctx, kind, id)
}

func cloneResource(r *openchime.Resource) *openchime.Resource {
	c := *r
	c.Data = slices.Clone(r.Data)
	return &c
}

func (t *wtx) Resources(ctx context.Context, f openchime.ResourceFilter) ([]*openchime.Resource, error) {
	all, merged, err := overlaid(t.resources, f.Limit,
		func(k rkey) bool { return k.kind == f.Kind },
		func(limit int) ([]*openchime.Resource, error) {
			bf := f
			bf.Limit = limit
			return t.base.Resources(ctx, bf)
		},
		func(r *openchime.Resource) rkey { return rkey{r.Kind, r.ID} },
		func(r *openchime.Resource) bool { return r != nil && r.Kind == f.Kind }, // nil: deleted here
		cloneResource)
	if err != nil || !merged {
		return all, err
	}
	return filterResources(all, f), nil
}

func (t *wtx) PutResource(_ context.Context, r *openchime.Resource) error {
	if t.resources == nil {
		t.resources = map[rkey]*openchime.Resource{}
	}
	t.resources[rkey{r.Kind, r.ID}] = cloneResource(r)
	return nil
}

func (t *wtx) DeleteResource(_ context.Context, kind, id string) error {
	if t.resources == nil {
		t.resources = map[rkey]*openchime.Resource{}
	}
	t.resources[rkey{kind, id}] = nil
	return nil
}

// appendEntries appends the log entries of the overlay to b.
func (t *wtx) appendEntries(b []byte) []byte {
	var body []byte
	entry := func(kind byte, body []byte) {
		b = append(b, kind)
		b = binary.AppendUvarint(b, uint64(len(body)))
		b = append(b, body...)
	}
	if t.cleared {
		entry(kindReset, nil)
	}
	for _, a := range t.accounts {
		body = appendAccount(body[:0], a)
		entry(kindAccount, body)
	}
	for _, k := range t.userOrder {
		u := t.users[k]
		body = binary.AppendUvarint(body[:0], uint64(len(k.account)))
		body = append(body, k.account...)
		body = appendUser(body, u)
		entry(kindUser, body)
	}
	for k, r := range t.resources {
		if r == nil {
			e := encoder{b: body[:0]}
			e.str(k.kind)
			e.str(k.id)
			body = e.b
			entry(kindDelResource, body)
			continue
		}
		body = appendResource(body[:0], r)
		entry(kindResource, body)
	}
	return b
}
