package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/sqlutil"
)

// tx is a transaction of this store: the SQL both stores share
// (sqlutil.Tx), and the statements that read or write many users or
// resources at once, which only PostgreSQL has (arrays, unnest). A 50-user
// batch is then five statements (account, users, users, audit, commit)
// instead of a hundred, in three round trips: BEGIN with the account, the
// users, and the users' and the audit's writes with COMMIT.
type tx struct {
	*sqlutil.Tx
	c    *conn
	puts int // users written, to refresh the planner's statistics after a bulk load

	// users are the users written and not yet sent, at most one per key
	// (userAt: its index), sent in order by flushUsers (see PutUsers).
	users  []*openchime.User
	userAt map[[2]string]int

	// known holds the resources the transaction has read by key or written,
	// dirty counts those written and not yet sent (see resources.go).
	known map[openchime.ResourceKey]*known
	dirty int
}

var (
	_ openchime.Tx              = (*tx)(nil)
	_ openchime.UserBatchReader = (*tx)(nil)
	_ openchime.UserBatchWriter = (*tx)(nil)
)

// Isolation per path (openchime.WithRowLocks). A row-locked transaction runs
// READ COMMITTED and locks what it reads: the account FOR SHARE, so that no
// change to the account (suspension, deletion) commits between its read and
// the transaction's end, while other batches on the account still share it;
// users and resources FOR UPDATE, users of a batch in id order so that
// overlapping batches queue instead of deadlocking. Every statement of
// READ COMMITTED sees what committed before it, and a FOR UPDATE read waits
// for the row's writer and returns the row as it committed, so the
// transaction has the effect of running at the moment it holds all its
// locks. Everything else runs SERIALIZABLE, where predicate reads (listings,
// counts, limits) need it.
//
// Reads (View) run on a REPEATABLE READ snapshot, which is what a View
// promises (one consistent snapshot, as SQLite and the log store give)
// without taking serializable predicate locks: read-only SERIALIZABLE
// transactions took SIRead locks on every index page a ListUsers page or a
// GetUser touched, so concurrent writers failed with serialization errors.
var (
	readWrite = &txMode{begin: "BEGIN ISOLATION LEVEL SERIALIZABLE"}
	rowLocked = &txMode{begin: "BEGIN ISOLATION LEVEL READ COMMITTED"}
	readOnly  = &txMode{begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"}
	forShare  = " FOR SHARE"
	forUpdate = " FOR UPDATE"
)

// Users the transaction writes are held back, like its resources
// (resources.go), and sent together: at the commit, in the round trip of
// COMMIT, or before any read that could see them (a listing, a read by
// email, a count). A read of a user by id the transaction wrote is answered
// from memory, which is what the database would answer. Deferring the write
// is invisible otherwise: a unique-email violation still fails the
// transaction with Conflict, at the flush or the commit, and nothing the
// transaction wrote is kept; no Service callback carries on after a failed
// PutUser.

// PutUser implements openchime.Tx; the row is written at the next flush.
func (t *tx) PutUser(ctx context.Context, u *openchime.User) error {
	return t.PutUsers(ctx, []*openchime.User{u})
}

// holdUser adds u to the users held back. Two writes of one key are not
// merged: the first is sent before the second is held (an upsert may not
// touch a row twice, and the order of email changes must stay as written).
func (t *tx) holdUser(ctx context.Context, u *openchime.User) error {
	k := [2]string{u.AccountID, u.ID}
	if _, ok := t.userAt[k]; ok {
		if err := t.flushUsers(ctx); err != nil {
			return err
		}
	}
	if t.userAt == nil {
		t.userAt = make(map[[2]string]int)
	}
	t.userAt[k] = len(t.users)
	t.users = append(t.users, u.Clone())
	t.puts++
	return nil
}

// flushUsers sends the users held back, in one statement.
func (t *tx) flushUsers(ctx context.Context) error {
	w, ok := t.userWrite()
	if !ok {
		return nil
	}
	return t.Wrap(w.op, t.c.Exec(ctx, w.sql, w.args...))
}

// User implements openchime.ReadTx, from memory when the transaction wrote
// the user.
func (t *tx) User(ctx context.Context, accountID, userID string) (*openchime.User, error) {
	if i, ok := t.userAt[[2]string{accountID, userID}]; ok {
		return t.users[i].Clone(), nil
	}
	return t.Tx.User(ctx, accountID, userID)
}

// UserByEmail implements openchime.ReadTx; it sees the transaction's writes.
func (t *tx) UserByEmail(ctx context.Context, accountID, email string) (*openchime.User, error) {
	if err := t.flushUsers(ctx); err != nil {
		return nil, err
	}
	return t.Tx.UserByEmail(ctx, accountID, email)
}

// Users implements openchime.ReadTx; it sees the transaction's writes.
func (t *tx) Users(ctx context.Context, f openchime.UserFilter) ([]*openchime.User, error) {
	if err := t.flushUsers(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Users(ctx, f)
}

// Accounts implements openchime.ReadTx; a filter by a user's email sees
// the transaction's writes.
func (t *tx) Accounts(ctx context.Context, f openchime.AccountFilter) ([]*openchime.Account, error) {
	if f.UserEmail != "" {
		if err := t.flushUsers(ctx); err != nil {
			return nil, err
		}
	}
	return t.Tx.Accounts(ctx, f)
}

// CountUsers implements openchime.UserCounter; it sees the transaction's
// writes.
func (t *tx) CountUsers(ctx context.Context) (openchime.UserCounts, error) {
	if err := t.flushUsers(ctx); err != nil {
		return openchime.UserCounts{}, err
	}
	return t.Tx.CountUsers(ctx)
}

// UsersByID implements openchime.UserBatchReader with one statement; it
// sees the transaction's writes.
func (t *tx) UsersByID(ctx context.Context, accountID string, ids []string) ([]*openchime.User, error) {
	if err := t.flushUsers(ctx); err != nil {
		return nil, err
	}
	return sqlutil.QueryAll(ctx, t.Tx, "get users",
		`SELECT `+sqlutil.UserColumns+` FROM users WHERE account_id = $1 AND id = ANY($2) ORDER BY id`+t.RowLock,
		[]any{accountID, ids}, sqlutil.ScanUser)
}

// UsersByEmail implements openchime.UserBatchReader with one statement.
func (t *tx) UsersByEmail(ctx context.Context, accountID string, emails []string) ([]*openchime.User, error) {
	if err := t.flushUsers(ctx); err != nil {
		return nil, err
	}
	return sqlutil.QueryAll(ctx, t.Tx, "get users by email",
		`SELECT `+sqlutil.UserColumns+` FROM users WHERE account_id = $1 AND email_norm = ANY($2) ORDER BY id`+t.RowLock,
		[]any{accountID, emails}, sqlutil.ScanUser)
}

// putUsersSQL upserts the rows of 21 parallel arrays, one per column of
// sqlutil.UserColumns, in one statement.
const putUsersSQL = `INSERT INTO users (` + sqlutil.UserColumns + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::text[], $13::bigint[], $14::text[], $15::text[],
		$16::bigint[], $17::bigint[], $18::bigint[], $19::bigint[], $20::bigint[], $21::bigint[])
	` + sqlutil.UserUpsert

// PutUsers implements openchime.UserBatchWriter; the rows are written at
// the next flush, in one statement. An upsert may not touch a row twice, so
// of two users with one id only the last is kept, which is what PutUser for
// each would leave.
func (t *tx) PutUsers(ctx context.Context, users []*openchime.User) error {
	last := make(map[[2]string]int, len(users))
	for i, u := range users {
		last[[2]string{u.AccountID, u.ID}] = i
	}
	for i, u := range users {
		if last[[2]string{u.AccountID, u.ID}] != i {
			continue
		}
		if err := t.holdUser(ctx, u); err != nil {
			return err
		}
	}
	if len(t.users) >= flushEvery {
		return t.flushUsers(ctx)
	}
	return nil
}

// write is a statement held back until a flush or the commit.
type write struct {
	op, sql string
	args    []any
}

// userWrite returns the upsert of the users held back, and forgets them.
func (t *tx) userWrite() (write, bool) {
	n := len(t.users)
	if n == 0 {
		return write{}, false
	}
	var (
		accountID, id, email, norm, name, license, userType, status, invitation = col[string](n), col[string](n), col[string](n), col[string](n), col[string](n), col[string](n), col[string](n), col[string](n), col[string](n)
		pin, roomArn, number                                                    = col[string](n), col[string](n), col[string](n)
		registered, invited, a4b, created, removed, logout, in, out, sms        = col[int64](n), col[int64](n), col[int64](n), col[int64](n), col[int64](n), col[int64](n), col[int64](n), col[int64](n), col[int64](n)
	)
	for _, u := range t.users {
		accountID, id, email = append(accountID, u.AccountID), append(id, u.ID), append(email, u.PrimaryEmail)
		norm, name = append(norm, openchime.NormalizeEmail(u.PrimaryEmail)), append(name, u.DisplayName)
		license, userType = append(license, string(u.LicenseType)), append(userType, string(u.UserType))
		status, invitation = append(status, string(u.RegistrationStatus)), append(invitation, string(u.InvitationStatus))
		registered, invited = append(registered, sqlutil.Millis(u.RegisteredOn)), append(invited, sqlutil.Millis(u.InvitedOn))
		pin, a4b = append(pin, u.PersonalPIN), append(a4b, b2i(u.AlexaForBusiness.Enabled))
		roomArn, number = append(roomArn, u.AlexaForBusiness.RoomArn), append(number, u.ProvisionedNumber)
		created, removed = append(created, sqlutil.Millis(u.CreatedAt)), append(removed, sqlutil.Millis(u.RemovedAt))
		logout, in = append(logout, sqlutil.Millis(u.LastLogoutAt)), append(in, b2i(u.Settings.InboundCalling))
		out, sms = append(out, b2i(u.Settings.OutboundCalling)), append(sms, b2i(u.Settings.SMS))
	}
	t.users, t.userAt = nil, nil
	return write{"put users", putUsersSQL, []any{accountID, id, email, norm, name, license, userType, status,
		invitation, registered, invited, pin, a4b, roomArn, number, created, removed, logout, in, out, sms}}, true
}

// commit sends, in one round trip, BEGIN if no statement has yet, the
// writes held back (users, then resources) and COMMIT. PostgreSQL runs them
// in order and skips the rest after an error, so an error reply to a write
// proves that COMMIT never ran: the attempt is then retryable exactly as a
// failed statement is (a conflict, a read-only session), and a unique
// violation is Conflict. An error reply to COMMIT is judged as before
// (retryableCommit: only a conflict proves nothing committed). Any other
// failure, the connection lost above all, leaves the outcome unknown unless
// the transaction wrote nothing.
//
// The context is not the caller's: a commit under way is not interrupted.
func (t *tx) commit(ctx context.Context) (retry bool, err error) {
	ctx = context.WithoutCancel(ctx)
	var ws []write
	if t.c.begin != "" && len(t.users) == 0 && t.dirty == 0 {
		return false, nil // no statement, nothing to write: nothing to begin or commit
	}
	if begin := t.c.takeBegin(); begin != "" {
		ws = append(ws, write{op: "begin", sql: begin})
	}
	if w, ok := t.userWrite(); ok {
		ws = append(ws, w)
	}
	ws = append(ws, t.resourceWrites()...)
	wrote := t.c.wrote || len(ws) > 0 && ws[len(ws)-1].op != "begin"
	ws = append(ws, write{op: "commit", sql: "COMMIT"})
	b := &pgx.Batch{}
	for _, w := range ws {
		b.Queue(w.sql, w.args...)
	}
	br := t.c.conn.SendBatch(ctx, b)
	failed := -1
	var tag pgconn.CommandTag
	for i := range ws {
		if tag, err = br.Exec(); err != nil {
			failed = i
			break
		}
	}
	br.Close() // adds nothing: either COMMIT's answer was read, or err says what failed
	var pe *pgconn.PgError
	switch {
	case err == nil && tag.String() == "ROLLBACK":
		// A statement failed earlier and the transaction was aborted.
		return false, fmt.Errorf("commit: %w", pgx.ErrTxCommitRollback)
	case err == nil:
		return false, nil // COMMIT's answer came: committed, whatever happened after
	case !wrote:
		return retryable(err), fmt.Errorf("commit: %w", mapErr(err))
	case ws[failed].op != "commit" && errors.As(err, &pe):
		return retryable(err), t.Wrap(ws[failed].op, err)
	}
	return retryableCommit(err), fmt.Errorf("commit: %w", mapCommitErr(err))
}

func col[T any](n int) []T { return make([]T, 0, n) }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
