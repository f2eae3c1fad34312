package openchime

import (
	"context"
	"time"
)

// Store persists accounts and users. It holds no business rule: the Service
// decides, the Store keeps. Every implementation passes storetest.Run.
type Store interface {
	// Update runs fn in one read-write transaction. When fn returns an error,
	// nothing fn wrote is kept and that error is returned; otherwise every write
	// is durable when Update returns nil.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(tx ReadTx) error) error
	// Reset deletes every record.
	Reset(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// ReadTx reads records inside a transaction.
type ReadTx interface {
	// Account returns the account with the id, tombstones included, or an
	// error with Code NotFound.
	Account(ctx context.Context, id string) (*Account, error)
	// Accounts returns the accounts that match f, ordered by (CreatedAt, ID),
	// at most f.Limit of them when f.Limit > 0.
	Accounts(ctx context.Context, f AccountFilter) ([]*Account, error)
	// User returns the user of the account with the id, tombstones included,
	// or an error with Code NotFound.
	User(ctx context.Context, accountID, userID string) (*User, error)
	// UserByEmail returns the user of the account whose normalised email is
	// email, tombstones included, or an error with Code NotFound.
	UserByEmail(ctx context.Context, accountID, email string) (*User, error)
	// Users returns the users that match f, ordered by (CreatedAt, ID), at
	// most f.Limit of them when f.Limit > 0.
	Users(ctx context.Context, f UserFilter) ([]*User, error)
	// AllResources returns every resource of every kind, ordered by (Kind,
	// CreatedAt, ID); exporting a snapshot needs it.
	AllResources(ctx context.Context) ([]*Resource, error)
	ResourceStore
}

// Tx reads and writes records inside a read-write transaction.
type Tx interface {
	ReadTx
	// PutAccount inserts or replaces the account with a.ID.
	PutAccount(ctx context.Context, a *Account) error
	// PutUser inserts or replaces the user with u.ID. It returns an error with
	// Code Conflict when another user of the account has the same normalised
	// email.
	PutUser(ctx context.Context, u *User) error
	// DeleteAll deletes every record inside the transaction, so restoring a
	// snapshot replaces the whole state all or nothing.
	DeleteAll(ctx context.Context) error
	ResourceWriter
}

// Cursor is a position in a listing ordered by (CreatedAt, ID): the listing
// continues after it.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// AccountFilter selects accounts. Zero fields select everything.
type AccountFilter struct {
	AwsAccountID   string
	NamePrefix     string // case-sensitive prefix of Name
	UserEmail      string // normalised email of a user who is not removed
	IncludeDeleted bool
	After          *Cursor
	Limit          int
}

// UserFilter selects the users of one account.
type UserFilter struct {
	AccountID      string
	Email          string // normalised email
	UserType       UserType
	IncludeRemoved bool
	After          *Cursor
	Limit          int
}

// matches reports whether a filter's field want selects got: an empty one
// selects everything.
func matches(want, got string) bool { return want == "" || want == got }

// MatchAccount reports whether a matches f apart from UserEmail, After and
// Limit; stores that filter in memory use it so every store agrees.
func (f *AccountFilter) MatchAccount(a *Account) bool {
	if f.AwsAccountID != "" && a.AwsAccountID != f.AwsAccountID {
		return false
	}
	if !f.IncludeDeleted && a.Deleted() {
		return false
	}
	if f.NamePrefix != "" && !hasPrefix(a.Name, f.NamePrefix) {
		return false
	}
	return f.After == nil || f.After.Before(a.CreatedAt, a.ID)
}

// MatchUser reports whether u matches f apart from After and Limit.
func (f *UserFilter) MatchUser(u *User) bool {
	if u.AccountID != f.AccountID {
		return false
	}
	if !f.IncludeRemoved && u.Removed() {
		return false
	}
	if f.Email != "" && NormalizeEmail(u.PrimaryEmail) != f.Email {
		return false
	}
	if f.UserType != "" && u.UserType != f.UserType {
		return false
	}
	return f.After == nil || f.After.Before(u.CreatedAt, u.ID)
}

// Before reports whether the cursor sorts before (t, id).
func (c *Cursor) Before(t time.Time, id string) bool {
	if !c.CreatedAt.Equal(t) {
		return c.CreatedAt.Before(t)
	}
	return c.ID < id
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// Resource is a record of one of the lower-volume kinds (bots, rooms,
// memberships, phone numbers, orders, settings, audit events, ...), kept as a
// JSON document so that every store holds a new kind without a schema change.
// The Service owns the document's shape; the store only keys, orders and
// filters it.
type Resource struct {
	Kind string // e.g. "bot", "room", "phone-number"
	ID   string // unique within Kind
	// Scope groups resources for listing, e.g. a Chime account id or an AWS
	// account id.
	Scope     string
	CreatedAt time.Time
	Data      []byte // JSON
}

// ResourceFilter selects resources of one kind and scope, ordered by
// (CreatedAt, ID).
type ResourceFilter struct {
	Kind  string
	Scope string // "" selects every scope
	After *Cursor
	Limit int
}

// ResourceStore is the part of a transaction that reads and writes resources.
// ReadTx and Tx embed it.
type ResourceStore interface {
	// Resource returns the resource of the kind with the id, or an error with
	// Code NotFound.
	Resource(ctx context.Context, kind, id string) (*Resource, error)
	// Resources returns the resources matching f in (CreatedAt, ID) order,
	// at most f.Limit of them when f.Limit > 0.
	Resources(ctx context.Context, f ResourceFilter) ([]*Resource, error)
}

// ResourceWriter writes resources.
type ResourceWriter interface {
	// PutResource inserts or replaces the resource with (r.Kind, r.ID).
	PutResource(ctx context.Context, r *Resource) error
	// DeleteResource deletes the resource; deleting one that does not exist
	// is not an error.
	DeleteResource(ctx context.Context, kind, id string) error
}

// UserBatchReader is implemented by transactions that read many users in one
// round trip (postgres: one statement instead of one per user). The Service
// reads through usersByID and usersByEmail, which fall back to one User or
// UserByEmail call per key on other stores.
type UserBatchReader interface {
	// UsersByID returns the users of the account with the ids, tombstones
	// included, in any order; an id with no user is left out.
	UsersByID(ctx context.Context, accountID string, ids []string) ([]*User, error)
	// UsersByEmail returns the users of the account whose normalised email
	// is one of emails, tombstones included, in any order.
	UsersByEmail(ctx context.Context, accountID string, emails []string) ([]*User, error)
}

// UserBatchWriter is implemented by transactions that write many users in
// one round trip. PutUsers is PutUser for each user, in order (of two users
// with the same id the last wins), with the same Conflict rule.
type UserBatchWriter interface {
	PutUsers(ctx context.Context, users []*User) error
}

// ResourceKey names one resource.
type ResourceKey struct{ Kind, ID string }

// ResourceBatchReader is implemented by transactions that read many
// resources in one round trip (postgres: one statement instead of one per
// resource). The Service calls it through prefetchResources before the
// per-item steps of a batch, which then read each resource with Resource
// as before: an implementation keeps what it read and answers those later
// point reads of the same keys from it, without a round trip.
type ResourceBatchReader interface {
	// ResourcesByKey returns the resources with the keys, in any order; a
	// key with no resource is left out. It sees the transaction's own writes
	// and locks what it reads exactly as Resource of each key would.
	ResourcesByKey(ctx context.Context, keys []ResourceKey) ([]*Resource, error)
}

type rowLocksKey struct{}

// WithRowLocks marks the Updates run with ctx as ones whose every invariant
// is a lock on a row the callback reads by key: it reads the account and the
// users or resources it names, never a listing or a count, and what it
// writes is unique by key or by a unique index. It writes no account: the
// account is only read, and locked against change, so concurrent row-locked
// transactions on one account run side by side. A store that can run such a
// transaction below SERIALIZABLE (postgres: READ COMMITTED, the account read
// FOR SHARE, users and resources FOR UPDATE) may do so; the others ignore
// the mark. The Service sets it on its per-user paths (the batches and the
// single-user updates), which are most of the write traffic and which
// serializable transactions made abort one another.
func WithRowLocks(ctx context.Context) context.Context {
	return context.WithValue(ctx, rowLocksKey{}, true)
}

// RowLocks reports whether ctx carries WithRowLocks.
func RowLocks(ctx context.Context) bool {
	v, _ := ctx.Value(rowLocksKey{}).(bool)
	return v
}
