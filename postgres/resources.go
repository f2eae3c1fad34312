package postgres

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/sqlutil"
)

// A transaction keeps every resource it has read by key or written: a
// batch's per-item steps then read from memory, and its writes go to the
// database together, one statement for the puts and one for the deletes,
// when something must see them (a listing, AllResources, the commit). A
// 50-number batch is then five statements instead of a hundred.
//
// Answering a point read from memory is what the database would answer.
// Under SERIALIZABLE every read of the transaction sees one snapshot plus
// its own writes. A row-locked transaction (READ COMMITTED) reads rows FOR
// UPDATE, the prefetch included, so no one else can change a row it holds
// before it commits; a key it found absent is not locked either way, and
// remembering it absent only moves that unlocked read to an earlier moment.
// Deferring a write is invisible as well: the resources table has no unique
// key but (kind, id), so an upsert or a delete cannot fail for a reason
// the Service handles, and a failure (a serialization failure, say) fails
// the transaction, at the flush as it would have at the write. The one
// unique key beside it, resource_index's, fails a write that gives a key
// to a second resource: with Conflict at the flush or the commit, which
// fails the transaction as the write would have (the Service never goes on
// after a Conflict of PutResource). The flush deletes the entries of every
// resource it writes before it inserts the new ones, so the order of the
// writes inside the transaction cannot make a key look taken.

// known is what the transaction knows of one resource key.
type known struct {
	r       *openchime.Resource    // nil: there is no such resource
	dirty   bool                   // written by the transaction, not yet sent
	entries []openchime.IndexEntry // of a dirty r: its index entries
	// stored is the resource as the database holds it (nil: absent), when
	// storedKnown: what a read found or the last flush sent. A write of an
	// indexed kind whose entries are those of stored leaves the index be
	// (a batch that changes a number's product type rewrites no key).
	stored      *openchime.Resource
	storedKnown bool
}

// flushEvery bounds the writes a transaction holds back (a snapshot restore
// writes every resource), so that no single statement grows without limit.
const flushEvery = 1000

var _ openchime.ResourceBatchReader = (*tx)(nil)

func (t *tx) remember(k openchime.ResourceKey, r *openchime.Resource, dirty bool) {
	if t.known == nil {
		t.known = make(map[openchime.ResourceKey]*known)
	}
	if dirty && (t.known[k] == nil || !t.known[k].dirty) {
		t.dirty++
	}
	c := &known{r: cloneResource(r), dirty: dirty}
	if old := t.known[k]; old != nil {
		c.stored, c.storedKnown = old.stored, old.storedKnown
	}
	if !dirty {
		c.stored, c.storedKnown = c.r, true
	}
	t.known[k] = c
}

func cloneResource(r *openchime.Resource) *openchime.Resource {
	if r == nil {
		return nil
	}
	c := *r
	c.Data = bytes.Clone(r.Data)
	return &c
}

// Resource implements openchime.ResourceStore, from memory when the
// transaction knows the key.
func (t *tx) Resource(ctx context.Context, kind, id string) (*openchime.Resource, error) {
	k := openchime.ResourceKey{Kind: kind, ID: id}
	if c, ok := t.known[k]; ok {
		if c.r == nil {
			return nil, openchime.Errorf(openchime.NotFound, "%s %s not found", kind, id)
		}
		return cloneResource(c.r), nil
	}
	r, err := t.Tx.Resource(ctx, kind, id)
	switch {
	case err == nil:
		t.remember(k, r, false)
	case openchime.IsCode(err, openchime.NotFound):
		t.remember(k, nil, false)
	}
	return r, err
}

// ResourcesByKey implements openchime.ResourceBatchReader: one statement
// for the keys the transaction does not know yet, rows locked in (kind, id)
// order in a row-locked transaction so that overlapping batches queue
// instead of deadlocking.
func (t *tx) ResourcesByKey(ctx context.Context, keys []openchime.ResourceKey) ([]*openchime.Resource, error) {
	var kinds, ids []string
	asked := make(map[openchime.ResourceKey]bool, len(keys))
	for _, k := range keys {
		if _, ok := t.known[k]; !ok && !asked[k] {
			kinds, ids = append(kinds, k.Kind), append(ids, k.ID)
		}
		asked[k] = true
	}
	if len(ids) > 0 {
		rows, err := sqlutil.QueryAll(ctx, t.Tx, "get resources",
			`SELECT `+sqlutil.ResourceColumns+` FROM resources
			WHERE (kind, id) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY kind, id`+t.RowLock,
			[]any{kinds, ids}, sqlutil.ScanResource)
		if err != nil {
			return nil, err
		}
		for i := range ids {
			t.remember(openchime.ResourceKey{Kind: kinds[i], ID: ids[i]}, nil, false)
		}
		for _, r := range rows {
			t.remember(openchime.ResourceKey{Kind: r.Kind, ID: r.ID}, r, false)
		}
	}
	out := make([]*openchime.Resource, 0, len(asked))
	for k := range asked {
		if c := t.known[k]; c.r != nil {
			out = append(out, cloneResource(c.r))
		}
	}
	return out, nil
}

// Resources implements openchime.ResourceStore; the listing sees the
// transaction's writes.
func (t *tx) Resources(ctx context.Context, f openchime.ResourceFilter) ([]*openchime.Resource, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Resources(ctx, f)
}

// AllResources implements openchime.ReadTx; it sees the transaction's
// writes.
func (t *tx) AllResources(ctx context.Context) ([]*openchime.Resource, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.AllResources(ctx)
}

// PutResource implements openchime.ResourceWriter; the row is written at
// the next flush.
func (t *tx) PutResource(ctx context.Context, r *openchime.Resource) error {
	if openchime.LegacyKind(r.Kind) {
		return nil
	}
	entries, err := openchime.IndexEntries(r)
	if err != nil {
		return err
	}
	k := openchime.ResourceKey{Kind: r.Kind, ID: r.ID}
	t.remember(k, r, true)
	t.known[k].entries = entries
	return t.flushIfFull(ctx)
}

// ResourceByIndex implements openchime.ResourceStore; it sees the
// transaction's writes.
func (t *tx) ResourceByIndex(ctx context.Context, kind, index, key string) (*openchime.Resource, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.ResourceByIndex(ctx, kind, index, key)
}

// ResourcesByIndex implements openchime.ResourceStore; it sees the
// transaction's writes.
func (t *tx) ResourcesByIndex(ctx context.Context, kind, index, prefix string) ([]*openchime.Resource, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.ResourcesByIndex(ctx, kind, index, prefix)
}

// DeleteResource implements openchime.ResourceWriter; the row is deleted at
// the next flush.
func (t *tx) DeleteResource(ctx context.Context, kind, id string) error {
	t.remember(openchime.ResourceKey{Kind: kind, ID: id}, nil, true)
	return t.flushIfFull(ctx)
}

// DeleteAll implements openchime.Tx. The writes held back would be deleted
// with the rest, and every key is now absent, so the transaction forgets
// what it knew.
func (t *tx) DeleteAll(ctx context.Context) error {
	t.known, t.dirty = nil, 0
	t.users, t.userAt = nil, nil
	return t.Tx.DeleteAll(ctx)
}

func (t *tx) flushIfFull(ctx context.Context) error {
	if t.dirty < flushEvery {
		return nil
	}
	return t.flush(ctx)
}

const putResourcesSQL = `INSERT INTO resources (` + sqlutil.ResourceColumns + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])
	ON CONFLICT (kind, id) DO UPDATE SET scope = excluded.scope, created_at = excluded.created_at, data = excluded.data`

const deleteResourcesSQL = `DELETE FROM resources WHERE (kind, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`

const deleteIndexSQL = `DELETE FROM resource_index WHERE (kind, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`

const insertIndexSQL = `INSERT INTO resource_index (kind, index_name, index_key, id)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`

// flush sends the resource writes held back (resourceWrites). Listings
// call it; the commit sends them with COMMIT instead.
func (t *tx) flush(ctx context.Context) error {
	for _, w := range t.resourceWrites() {
		if err := t.c.Exec(ctx, w.sql, w.args...); err != nil {
			return t.Wrap(w.op, err)
		}
	}
	return nil
}

// resourceWrites returns the statements of the resource writes held back,
// at most one upsert and one delete, in (kind, id) order so that concurrent
// transactions lock rows in one order, and marks them sent. The keys are
// distinct, so which of the two runs first does not matter. Around them,
// the index entries of the indexed kinds' keys are deleted first and the
// new ones inserted last.
func (t *tx) resourceWrites() []write {
	if t.dirty == 0 {
		return nil
	}
	keys := make([]openchime.ResourceKey, 0, t.dirty)
	for k, c := range t.known {
		if c.dirty {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b openchime.ResourceKey) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	var kinds, ids, scopes, data, delKinds, delIDs []string
	var created []int64
	var unindexKinds, unindexIDs, ixKinds, ixNames, ixKeys, ixIDs []string
	for _, k := range keys {
		c := t.known[k]
		r := c.r
		// The entries of the key are rewritten whole (deleted, then
		// inserted) unless they are known unchanged: a key found absent is
		// not locked, so a row-locked transaction cannot know no one wrote
		// entries for it since.
		if openchime.Indexed(k.Kind) && !c.indexUnchanged() {
			unindexKinds, unindexIDs = append(unindexKinds, k.Kind), append(unindexIDs, k.ID)
			for _, e := range c.entries {
				ixKinds, ixNames = append(ixKinds, k.Kind), append(ixNames, e.Index)
				ixKeys, ixIDs = append(ixKeys, e.Key), append(ixIDs, k.ID)
			}
		}
		if r == nil {
			delKinds, delIDs = append(delKinds, k.Kind), append(delIDs, k.ID)
			continue
		}
		kinds, ids, scopes = append(kinds, r.Kind), append(ids, r.ID), append(scopes, r.Scope)
		created, data = append(created, sqlutil.Millis(r.CreatedAt)), append(data, string(r.Data))
	}
	var ws []write
	if len(unindexIDs) > 0 {
		ws = append(ws, write{"delete resource index", deleteIndexSQL, []any{unindexKinds, unindexIDs}})
	}
	if len(ids) > 0 {
		ws = append(ws, write{"put resources", putResourcesSQL, []any{kinds, ids, scopes, created, data}})
	}
	if len(delIDs) > 0 {
		ws = append(ws, write{"delete resources", deleteResourcesSQL, []any{delKinds, delIDs}})
	}
	if len(ixIDs) > 0 {
		ws = append(ws, write{"put resource index", insertIndexSQL, []any{ixKinds, ixNames, ixKeys, ixIDs}})
	}
	for _, k := range keys {
		c := t.known[k]
		c.dirty, c.entries, c.stored, c.storedKnown = false, nil, c.r, true
	}
	t.dirty = 0
	return ws
}

// indexUnchanged reports whether the database is known to hold the index
// entries of the dirty c already: the resource was read (and, in a
// row-locked transaction, locked) with the same entries.
func (c *known) indexUnchanged() bool {
	if !c.storedKnown || c.stored == nil {
		return false
	}
	held, err := openchime.IndexEntries(c.stored)
	return err == nil && slices.Equal(held, c.entries)
}
