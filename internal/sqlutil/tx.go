package sqlutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	openchime "github.com/openchime/openchime"
)

// Tx implements openchime.Tx over a transaction's Querier. The SQL is
// written once in the dialect SQLite and PostgreSQL share ($N parameters,
// ON CONFLICT upserts, integer booleans and Unix-millisecond times), so both
// stores run the same queries.
type Tx struct {
	// Q runs the statements: SQLTx for a database/sql transaction.
	Q Querier
	// MapErr turns a driver error into an openchime error by the driver's
	// code (a unique violation becomes Conflict); nil keeps errors as they are.
	MapErr func(error) error
	// AccountLock and RowLock are locking clauses (PostgreSQL's "FOR SHARE",
	// "FOR UPDATE") appended to the point reads of an account and of a user
	// or resource; empty, the reads take no lock. A row-locked transaction
	// (openchime.WithRowLocks) sets them.
	AccountLock, RowLock string
}

var _ openchime.Tx = (*Tx)(nil)

// Wrap maps err with MapErr, or wraps it as op; nil stays nil.
func (t *Tx) Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if t.MapErr != nil {
		if mapped := t.MapErr(err); mapped != err {
			return mapped
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Millis is a time as the tables keep it: Unix milliseconds, 0 for unset.
func Millis(t time.Time) int64 { return ms(t) }

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

const accountColumns = `id, aws_account_id, name, type, status, default_license, supported_licenses,
	signin_delegate_groups, created_at, deleted_at, disable_remote_control, enable_dial_out, claimed_domains`

// Scanner is a row to scan: a Querier's row or Rows.
type Scanner interface{ Scan(dest ...any) error }

func scanAccount(row Scanner) (*openchime.Account, error) {
	var a openchime.Account
	var licenses, groups, domains string
	var created, deleted, drc, edo int64
	err := row.Scan(&a.ID, &a.AwsAccountID, &a.Name, &a.Type, &a.Status, &a.DefaultLicense, &licenses,
		&groups, &created, &deleted, &drc, &edo, &domains)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(licenses), &a.SupportedLicenses); err != nil {
		return nil, fmt.Errorf("decode supported_licenses: %w", err)
	}
	if err := json.Unmarshal([]byte(groups), &a.SigninDelegateGroups); err != nil {
		return nil, fmt.Errorf("decode signin_delegate_groups: %w", err)
	}
	if err := json.Unmarshal([]byte(domains), &a.ClaimedDomains); err != nil {
		return nil, fmt.Errorf("decode claimed_domains: %w", err)
	}
	if len(a.ClaimedDomains) == 0 {
		a.ClaimedDomains = nil // no claimed domain reads back as the domain's zero value
	}
	a.CreatedAt, a.DeletedAt = fromMS(created), fromMS(deleted)
	a.Settings = openchime.AccountSettings{DisableRemoteControl: drc != 0, EnableDialOut: edo != 0}
	return &a, nil
}

// Account implements openchime.ReadTx.
func (t *Tx) Account(ctx context.Context, id string) (*openchime.Account, error) {
	a, err := scanAccount(t.Q.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`+t.AccountLock, id))
	if errors.Is(err, ErrNoRows) {
		return nil, openchime.Errorf(openchime.NotFound, "account %s not found", id)
	}
	return a, t.Wrap("get account", err)
}

// Accounts implements openchime.ReadTx.
func (t *Tx) Accounts(ctx context.Context, f openchime.AccountFilter) ([]*openchime.Account, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.AwsAccountID != "" {
		where = append(where, "aws_account_id = "+arg(f.AwsAccountID))
	}
	if !f.IncludeDeleted {
		where = append(where, "deleted_at = 0")
	}
	if f.NamePrefix != "" {
		// substr+length keeps the prefix match case-sensitive in both engines
		// and free of LIKE's wildcards (decision D6).
		where = append(where, "substr(name, 1, length("+arg(f.NamePrefix)+")) = "+arg(f.NamePrefix))
	}
	if f.UserEmail != "" {
		where = append(where, "EXISTS (SELECT 1 FROM users u WHERE u.account_id = accounts.id AND u.email_norm = "+arg(f.UserEmail)+" AND u.removed_at = 0)")
	}
	if f.After != nil {
		c := arg(ms(f.After.CreatedAt))
		where = append(where, afterCursor(c, arg(f.After.ID)))
	}
	q := `SELECT ` + accountColumns + ` FROM accounts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at, id"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	return QueryAll(ctx, t, "list accounts", q, args, scanAccount)
}

// PutAccount implements openchime.Tx.
func (t *Tx) PutAccount(ctx context.Context, a *openchime.Account) error {
	licenses, _ := json.Marshal(nonNil(a.SupportedLicenses))
	groups, _ := json.Marshal(nonNil(a.SigninDelegateGroups))
	domains, _ := json.Marshal(nonNil(a.ClaimedDomains))
	err := t.Q.Exec(ctx, `INSERT INTO accounts (`+accountColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET aws_account_id = excluded.aws_account_id, name = excluded.name,
			type = excluded.type, status = excluded.status, default_license = excluded.default_license,
			supported_licenses = excluded.supported_licenses, signin_delegate_groups = excluded.signin_delegate_groups,
			created_at = excluded.created_at, deleted_at = excluded.deleted_at,
			disable_remote_control = excluded.disable_remote_control, enable_dial_out = excluded.enable_dial_out,
			claimed_domains = excluded.claimed_domains`,
		a.ID, a.AwsAccountID, a.Name, a.Type, a.Status, a.DefaultLicense, string(licenses),
		string(groups), ms(a.CreatedAt), ms(a.DeletedAt), b2i(a.Settings.DisableRemoteControl), b2i(a.Settings.EnableDialOut),
		string(domains))
	return t.Wrap("put account", err)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// UserColumns are the users table's columns in the order ScanUser reads
// them.
const UserColumns = `account_id, id, email, email_norm, display_name, license_type, user_type, registration_status,
	invitation_status, registered_on, invited_on, personal_pin, a4b_enabled, a4b_room_arn, provisioned_number,
	created_at, removed_at, last_logout_at, inbound_calling, outbound_calling, sms`

// ScanUser reads a row of UserColumns.
func ScanUser(row Scanner) (*openchime.User, error) {
	var u openchime.User
	var norm string
	var registered, invited, a4b, created, removed, logout, in, out, sms int64
	err := row.Scan(&u.AccountID, &u.ID, &u.PrimaryEmail, &norm, &u.DisplayName, &u.LicenseType, &u.UserType,
		&u.RegistrationStatus, &u.InvitationStatus, &registered, &invited, &u.PersonalPIN, &a4b,
		&u.AlexaForBusiness.RoomArn, &u.ProvisionedNumber, &created, &removed, &logout, &in, &out, &sms)
	if err != nil {
		return nil, err
	}
	u.RegisteredOn, u.InvitedOn, u.CreatedAt = fromMS(registered), fromMS(invited), fromMS(created)
	u.RemovedAt, u.LastLogoutAt = fromMS(removed), fromMS(logout)
	u.AlexaForBusiness.Enabled = a4b != 0
	u.Settings = openchime.UserSettings{InboundCalling: in != 0, OutboundCalling: out != 0, SMS: sms != 0}
	return &u, nil
}

// User implements openchime.ReadTx.
func (t *Tx) User(ctx context.Context, accountID, userID string) (*openchime.User, error) {
	u, err := ScanUser(t.Q.QueryRow(ctx, `SELECT `+UserColumns+` FROM users WHERE account_id = $1 AND id = $2`+t.RowLock, accountID, userID))
	if errors.Is(err, ErrNoRows) {
		return nil, openchime.Errorf(openchime.NotFound, "user %s not found", userID)
	}
	return u, t.Wrap("get user", err)
}

// UserByEmail implements openchime.ReadTx.
func (t *Tx) UserByEmail(ctx context.Context, accountID, email string) (*openchime.User, error) {
	u, err := ScanUser(t.Q.QueryRow(ctx, `SELECT `+UserColumns+` FROM users WHERE account_id = $1 AND email_norm = $2`+t.RowLock, accountID, email))
	if errors.Is(err, ErrNoRows) {
		return nil, openchime.Errorf(openchime.NotFound, "user %s not found", email)
	}
	return u, t.Wrap("get user by email", err)
}

// Users implements openchime.ReadTx.
func (t *Tx) Users(ctx context.Context, f openchime.UserFilter) ([]*openchime.User, error) {
	args := []any{f.AccountID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT ` + UserColumns + ` FROM users WHERE account_id = $1`
	if !f.IncludeRemoved {
		q += " AND removed_at = 0"
	}
	if f.Email != "" {
		q += " AND email_norm = " + arg(f.Email)
	}
	if f.UserType != "" {
		q += " AND user_type = " + arg(string(f.UserType))
	}
	if f.After != nil {
		c := arg(ms(f.After.CreatedAt))
		q += " AND " + afterCursor(c, arg(f.After.ID))
	}
	q += " ORDER BY created_at, id"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	return QueryAll(ctx, t, "list users", q, args, ScanUser)
}

// UserUpsert is the conflict clause of an insert of UserColumns: a user
// already stored under (account_id, id) is replaced.
const UserUpsert = `ON CONFLICT (account_id, id) DO UPDATE SET email = excluded.email, email_norm = excluded.email_norm,
	display_name = excluded.display_name, license_type = excluded.license_type, user_type = excluded.user_type,
	registration_status = excluded.registration_status, invitation_status = excluded.invitation_status,
	registered_on = excluded.registered_on, invited_on = excluded.invited_on, personal_pin = excluded.personal_pin,
	a4b_enabled = excluded.a4b_enabled, a4b_room_arn = excluded.a4b_room_arn,
	provisioned_number = excluded.provisioned_number, created_at = excluded.created_at,
	removed_at = excluded.removed_at, last_logout_at = excluded.last_logout_at,
	inbound_calling = excluded.inbound_calling, outbound_calling = excluded.outbound_calling, sms = excluded.sms`

// PutUser implements openchime.Tx.
func (t *Tx) PutUser(ctx context.Context, u *openchime.User) error {
	err := t.Q.Exec(ctx, `INSERT INTO users (`+UserColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
		`+UserUpsert,
		u.AccountID, u.ID, u.PrimaryEmail, openchime.NormalizeEmail(u.PrimaryEmail), u.DisplayName, u.LicenseType,
		u.UserType, u.RegistrationStatus, u.InvitationStatus, ms(u.RegisteredOn), ms(u.InvitedOn), u.PersonalPIN,
		b2i(u.AlexaForBusiness.Enabled), u.AlexaForBusiness.RoomArn, u.ProvisionedNumber, ms(u.CreatedAt),
		ms(u.RemovedAt), ms(u.LastLogoutAt), b2i(u.Settings.InboundCalling), b2i(u.Settings.OutboundCalling), b2i(u.Settings.SMS))
	return t.Wrap("put user", err)
}

// Resource implements openchime.ResourceStore.
func (t *Tx) Resource(ctx context.Context, kind, id string) (*openchime.Resource, error) {
	r, err := ScanResource(t.Q.QueryRow(ctx, `SELECT `+ResourceColumns+` FROM resources WHERE kind = $1 AND id = $2`+t.RowLock, kind, id))
	if errors.Is(err, ErrNoRows) {
		return nil, openchime.Errorf(openchime.NotFound, "%s %s not found", kind, id)
	}
	return r, t.Wrap("get resource", err)
}

// Resources implements openchime.ResourceStore.
func (t *Tx) Resources(ctx context.Context, f openchime.ResourceFilter) ([]*openchime.Resource, error) {
	args := []any{f.Kind}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT ` + ResourceColumns + ` FROM resources WHERE kind = $1`
	if f.Scope != "" {
		q += " AND scope = " + arg(f.Scope)
	}
	if f.After != nil {
		c := arg(ms(f.After.CreatedAt))
		q += " AND " + afterCursor(c, arg(f.After.ID))
	}
	q += " ORDER BY created_at, id"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	return QueryAll(ctx, t, "list resources", q, args, ScanResource)
}

// AllResources implements openchime.ReadTx.
func (t *Tx) AllResources(ctx context.Context) ([]*openchime.Resource, error) {
	return QueryAll(ctx, t, "list all resources", `SELECT `+ResourceColumns+` FROM resources ORDER BY kind, created_at, id`, nil, ScanResource)
}

// DeleteAll implements openchime.Tx, and is what both SQL stores' Reset
// runs: the one list of tables. Users go before accounts in case a store
// declares the foreign key.
func (t *Tx) DeleteAll(ctx context.Context) error {
	for _, table := range []string{"resource_index", "resources", "users", "accounts"} {
		if err := t.Q.Exec(ctx, "DELETE FROM "+table); err != nil {
			return t.Wrap("delete all "+table, err)
		}
	}
	return nil
}

// PutResource implements openchime.ResourceWriter. A resource of an
// indexed kind replaces its index entries under a savepoint: the unique
// index of resource_index refuses a key another resource holds (Conflict),
// and the savepoint then takes back the whole put, not the statement alone.
func (t *Tx) PutResource(ctx context.Context, r *openchime.Resource) error {
	if openchime.LegacyKind(r.Kind) {
		return nil
	}
	if !openchime.Indexed(r.Kind) {
		return t.upsertResource(ctx, r)
	}
	entries, err := openchime.IndexEntries(r)
	if err != nil {
		return err
	}
	if err := t.Q.Exec(ctx, `SAVEPOINT put_resource`); err != nil {
		return t.Wrap("put resource", err)
	}
	err = t.deleteIndex(ctx, r.Kind, r.ID)
	for _, e := range entries {
		if err == nil {
			err = t.Wrap("put resource index", t.Q.Exec(ctx, InsertIndexSQL, r.Kind, e.Index, e.Key, r.ID))
			if openchime.IsCode(err, openchime.Conflict) {
				err = openchime.IndexConflict(r.Kind, e) // which key, as logstore says it
			}
		}
	}
	if err == nil {
		err = t.upsertResource(ctx, r)
	}
	if err != nil {
		t.Q.Exec(ctx, `ROLLBACK TO SAVEPOINT put_resource`)
	}
	if rerr := t.Q.Exec(ctx, `RELEASE SAVEPOINT put_resource`); err == nil {
		err = t.Wrap("put resource", rerr)
	}
	return err
}

func (t *Tx) upsertResource(ctx context.Context, r *openchime.Resource) error {
	err := t.Q.Exec(ctx, `INSERT INTO resources (kind, id, scope, created_at, data) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, id) DO UPDATE SET scope = excluded.scope, created_at = excluded.created_at, data = excluded.data`,
		r.Kind, r.ID, r.Scope, ms(r.CreatedAt), string(r.Data))
	return t.Wrap("put resource", err)
}

func (t *Tx) deleteIndex(ctx context.Context, kind, id string) error {
	return t.Wrap("delete resource index", t.Q.Exec(ctx, `DELETE FROM resource_index WHERE kind = $1 AND id = $2`, kind, id))
}

// InsertIndexSQL inserts one index entry ($1 kind, $2 index, $3 key, $4
// id); the unique index on (kind, index_name, index_key) refuses a key that
// another resource holds.
const InsertIndexSQL = `INSERT INTO resource_index (kind, index_name, index_key, id) VALUES ($1, $2, $3, $4)`

// DeleteResource implements openchime.ResourceWriter.
func (t *Tx) DeleteResource(ctx context.Context, kind, id string) error {
	if openchime.Indexed(kind) {
		if err := t.deleteIndex(ctx, kind, id); err != nil {
			return err
		}
	}
	err := t.Q.Exec(ctx, `DELETE FROM resources WHERE kind = $1 AND id = $2`, kind, id)
	return t.Wrap("delete resource", err)
}

const indexedResourceColumns = `r.kind, r.id, r.scope, r.created_at, r.data`

// ResourceByIndex implements openchime.ResourceStore.
func (t *Tx) ResourceByIndex(ctx context.Context, kind, index, key string) (*openchime.Resource, error) {
	r, err := ScanResource(t.Q.QueryRow(ctx, `SELECT `+indexedResourceColumns+` FROM resource_index i
		JOIN resources r ON r.kind = i.kind AND r.id = i.id
		WHERE i.kind = $1 AND i.index_name = $2 AND i.index_key = $3`+t.RowLock, kind, index, key))
	if errors.Is(err, ErrNoRows) {
		return nil, openchime.Errorf(openchime.NotFound, "no %s holds %s %s", kind, index, key)
	}
	return r, t.Wrap("get resource by index", err)
}

// ResourcesByIndex implements openchime.ResourceStore: a range of the
// unique index, whose keys compare byte by byte (SQLite's BINARY, and
// PostgreSQL's column is COLLATE "C").
func (t *Tx) ResourcesByIndex(ctx context.Context, kind, index, prefix string) ([]*openchime.Resource, error) {
	args := []any{kind, index, prefix}
	q := `SELECT ` + indexedResourceColumns + ` FROM resource_index i
		JOIN resources r ON r.kind = i.kind AND r.id = i.id
		WHERE i.kind = $1 AND i.index_name = $2 AND i.index_key >= $3`
	if end, ok := prefixEnd(prefix); ok {
		args = append(args, end)
		q += ` AND i.index_key < $4`
	}
	return QueryAll(ctx, t, "list resources by index", q+` ORDER BY i.index_key`, args, ScanResource)
}

// prefixEnd returns the least string above every string with the prefix,
// false when there is none (a prefix of 0xff bytes, or the empty one).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// BackfillIndex writes the index entries of the resources of the indexed
// kinds: migration 0006 runs it, in its transaction, on a database whose
// resources predate resource_index. Of two old resources that claim one
// key, the first in (kind, created_at, id) order keeps it.
func BackfillIndex(ctx context.Context, q Querier) error {
	t := &Tx{Q: q}
	for _, kind := range openchime.IndexedKinds() {
		list, err := t.Resources(ctx, openchime.ResourceFilter{Kind: kind})
		if err != nil {
			return err
		}
		for _, r := range list {
			entries, err := openchime.IndexEntries(r)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if err := q.Exec(ctx, InsertIndexSQL+` ON CONFLICT DO NOTHING`, r.Kind, e.Index, e.Key, r.ID); err != nil {
					return fmt.Errorf("backfill resource index: %w", err)
				}
			}
		}
	}
	return nil
}

// QueryAll runs q and scans every row with scan; errors are wrapped as op.
func QueryAll[T any](ctx context.Context, t *Tx, op, q string, args []any, scan func(Scanner) (T, error)) ([]T, error) {
	rows, err := t.Q.Query(ctx, q, args...)
	if err != nil {
		return nil, t.Wrap(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.Wrap(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, t.Wrap(op, err)
	}
	return out, t.Wrap(op, rows.Close())
}

// ResourceColumns are the resources table's columns in the order
// ScanResource reads them.
const ResourceColumns = `kind, id, scope, created_at, data`

// ScanResource reads a row of ResourceColumns.
func ScanResource(row Scanner) (*openchime.Resource, error) {
	r := &openchime.Resource{}
	var created int64
	var data string
	if err := row.Scan(&r.Kind, &r.ID, &r.Scope, &created, &data); err != nil {
		return nil, err
	}
	r.CreatedAt, r.Data = fromMS(created), []byte(data)
	return r, nil
}

// afterCursor is the keyset condition of a listing ordered by (created_at,
// id). A row value comparison, which SQLite and PostgreSQL both turn into a
// range of the (…, created_at, id) index; the equivalent "a > x OR (a = x AND
// b > y)" made SQLite scan the account's rows from the start, so a ListUsers
// page at 1M users took ~140 ms.
func afterCursor(createdAt, id string) string {
	return "(created_at, id) > (" + createdAt + ", " + id + ")"
}
