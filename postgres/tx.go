package postgres

import (
	"context"
	"database/sql"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/sqlutil"
)

// tx is a transaction of this store: the SQL both stores share
// (sqlutil.Tx), and the statements that read or write many users or
// resources at once, which only PostgreSQL has (arrays, unnest). A 50-user
// batch is then five statements (account, users, users, audit, commit)
// instead of a hundred.
type tx struct {
	*sqlutil.Tx
	puts int // users written, to refresh the planner's statistics after a bulk load

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
	readWrite = &sql.TxOptions{Isolation: sql.LevelSerializable}
	rowLocked = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	readOnly  = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	forShare  = " FOR SHARE"
	forUpdate = " FOR UPDATE"
)

// PutUser implements openchime.Tx.
func (t *tx) PutUser(ctx context.Context, u *openchime.User) error {
	t.puts++
	return t.Tx.PutUser(ctx, u)
}

// UsersByID implements openchime.UserBatchReader with one statement.
func (t *tx) UsersByID(ctx context.Context, accountID string, ids []string) ([]*openchime.User, error) {
	return sqlutil.QueryAll(ctx, t.Tx, "get users",
		`SELECT `+sqlutil.UserColumns+` FROM users WHERE account_id = $1 AND id = ANY($2) ORDER BY id`+t.RowLock,
		[]any{accountID, ids}, sqlutil.ScanUser)
}

// UsersByEmail implements openchime.UserBatchReader with one statement.
func (t *tx) UsersByEmail(ctx context.Context, accountID string, emails []string) ([]*openchime.User, error) {
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
	ON CONFLICT (account_id, id) DO UPDATE SET email = excluded.email, email_norm = excluded.email_norm,
		display_name = excluded.display_name, license_type = excluded.license_type, user_type = excluded.user_type,
		registration_status = excluded.registration_status, invitation_status = excluded.invitation_status,
		registered_on = excluded.registered_on, invited_on = excluded.invited_on, personal_pin = excluded.personal_pin,
		a4b_enabled = excluded.a4b_enabled, a4b_room_arn = excluded.a4b_room_arn,
		provisioned_number = excluded.provisioned_number, created_at = excluded.created_at,
		removed_at = excluded.removed_at, last_logout_at = excluded.last_logout_at,
		inbound_calling = excluded.inbound_calling, outbound_calling = excluded.outbound_calling, sms = excluded.sms`

// PutUsers implements openchime.UserBatchWriter with one statement. An
// upsert may not touch a row twice, so of two users with one id only the
// last is sent, which is what PutUser for each would leave.
func (t *tx) PutUsers(ctx context.Context, users []*openchime.User) error {
	if len(users) == 0 {
		return nil
	}
	last := make(map[[2]string]int, len(users))
	for i, u := range users {
		last[[2]string{u.AccountID, u.ID}] = i
	}
	n := len(last)
	var (
		accountID, id, email, norm, name, license, userType, status, invitation = col[string](n), col[string](n), col[string](n), col[string](n), col[string](n), col[string](n), col[string](n), col[string](n), col[string](n)
		pin, roomArn, number                                                    = col[string](n), col[string](n), col[string](n)
		registered, invited, a4b, created, removed, logout, in, out, sms        = col[int64](n), col[int64](n), col[int64](n), col[int64](n), col[int64](n), col[int64](n), col[int64](n), col[int64](n), col[int64](n)
	)
	for i, u := range users {
		if last[[2]string{u.AccountID, u.ID}] != i {
			continue
		}
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
	t.puts += n
	err := t.Q.Exec(ctx, putUsersSQL, accountID, id, email, norm, name, license, userType, status,
		invitation, registered, invited, pin, a4b, roomArn, number, created, removed, logout, in, out, sms)
	return t.Wrap("put users", err)
}

func col[T any](n int) []T { return make([]T, 0, n) }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
