// Package nostore is a Store that stores nothing, for benchmarks only: it
// measures what the HTTP, SigV4 and JSON layers cost without any storage, the
// baseline against which `openchime bench` reports a real store.
//
// Every account exists, is an Active EnterpriseLWA account of the caller's
// AWS account; every user exists and is Suspended (so BatchUnsuspendUser has
// work to do and BatchSuspendUser answers as for a no-op); an account lists
// Users users; writes are discarded.
package nostore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	openchime "github.com/openchime/openchime"
)

// Store is the store that stores nothing.
type Store struct {
	// Users is the number of users every account lists.
	Users int
}

// New returns a Store whose accounts list users users.
func New(users int) *Store { return &Store{Users: users} }

var created = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Update runs fn against a transaction whose writes are discarded.
func (s *Store) Update(ctx context.Context, fn func(openchime.Tx) error) error { return fn(tx{s}) }

// View runs fn.
func (s *Store) View(ctx context.Context, fn func(openchime.ReadTx) error) error { return fn(tx{s}) }

// Reset does nothing.
func (s *Store) Reset(context.Context) error { return nil }

// Close does nothing.
func (s *Store) Close() error { return nil }

type tx struct{ s *Store }

func (tx) Account(ctx context.Context, id string) (*openchime.Account, error) {
	aws := openchime.DefaultAwsAccountID
	if c, ok := openchime.CallerFromContext(ctx); ok && c.AwsAccountID != "" {
		aws = c.AwsAccountID
	}
	return &openchime.Account{ID: id, AwsAccountID: aws, Name: "nostore", Type: openchime.EnterpriseLWA,
		Status: openchime.AccountActive, DefaultLicense: openchime.Pro,
		SupportedLicenses: []openchime.License{openchime.Basic, openchime.Pro}, SigninDelegateGroups: []string{},
		CreatedAt: created}, nil
}

func (t tx) Accounts(ctx context.Context, f openchime.AccountFilter) ([]*openchime.Account, error) {
	return nil, nil
}

func user(accountID, id string) *openchime.User {
	return &openchime.User{ID: id, AccountID: accountID, PrimaryEmail: id + "@example.com", LicenseType: openchime.Pro,
		UserType: openchime.PrivateUser, RegistrationStatus: openchime.Suspended, RegisteredOn: created,
		PersonalPIN: "0123456789", CreatedAt: created, Settings: openchime.DefaultUserSettings}
}

func (tx) User(_ context.Context, accountID, userID string) (*openchime.User, error) {
	return user(accountID, userID), nil
}

// UsersByID returns a user for every id, as User does, from one allocation
// of users and one of their emails: the batch calls' reads, which the
// baseline should measure as a store that costs nothing does.
func (tx) UsersByID(_ context.Context, accountID string, ids []string) ([]*openchime.User, error) {
	n := 0
	for _, id := range ids {
		n += len(id) + len("@example.com")
	}
	emails := make([]byte, 0, n)
	for _, id := range ids {
		emails = append(append(emails, id...), "@example.com"...)
	}
	all := string(emails)
	users := make([]openchime.User, len(ids))
	out := make([]*openchime.User, len(ids))
	at := 0
	for i, id := range ids {
		end := at + len(id) + len("@example.com")
		users[i] = openchime.User{ID: id, AccountID: accountID, PrimaryEmail: all[at:end], LicenseType: openchime.Pro,
			UserType: openchime.PrivateUser, RegistrationStatus: openchime.Suspended, RegisteredOn: created,
			PersonalPIN: "0123456789", CreatedAt: created, Settings: openchime.DefaultUserSettings}
		out[i], at = &users[i], end
	}
	return out, nil
}

// UsersByEmail finds no user, as UserByEmail.
func (tx) UsersByEmail(context.Context, string, []string) ([]*openchime.User, error) { return nil, nil }

func (tx) UserByEmail(_ context.Context, accountID, email string) (*openchime.User, error) {
	return nil, openchime.Errorf(openchime.NotFound, "user %s not found", email)
}

// Users lists users named u00000000, u00000001, ... in order.
func (t tx) Users(_ context.Context, f openchime.UserFilter) ([]*openchime.User, error) {
	start := 0
	if f.After != nil {
		n, err := strconv.Atoi(strings.TrimPrefix(f.After.ID, "u"))
		if err != nil {
			return nil, nil
		}
		start = n + 1
	}
	limit := f.Limit
	if limit <= 0 {
		limit = t.s.Users
	}
	n := min(limit, t.s.Users-start)
	if n <= 0 {
		return nil, nil
	}
	// The ids are substrings of one string, the users one allocation (see
	// UsersByID): a page costs what a store that costs nothing would.
	idBytes := make([]byte, 0, 9*n)
	ends := make([]int, n)
	for i := range n {
		idBytes = appendUserID(idBytes, start+i)
		ends[i] = len(idBytes)
	}
	all := string(idBytes)
	ids := make([]string, n)
	for i, at := 0, 0; i < n; i++ {
		ids[i], at = all[at:ends[i]], ends[i]
	}
	return t.UsersByID(context.Background(), f.AccountID, ids)
}

// appendUserID appends fmt.Sprintf("u%08d", i).
func appendUserID(b []byte, i int) []byte {
	if i >= 1e8 {
		return fmt.Appendf(b, "u%08d", i)
	}
	var d [9]byte
	d[0] = 'u'
	for j := 8; j >= 1; j-- {
		d[j] = byte('0' + i%10)
		i /= 10
	}
	return append(b, d[:]...)
}

func (tx) Resource(_ context.Context, kind, id string) (*openchime.Resource, error) {
	return nil, openchime.Errorf(openchime.NotFound, "%s %s not found", kind, id)
}

func (tx) Resources(context.Context, openchime.ResourceFilter) ([]*openchime.Resource, error) {
	return nil, nil
}

func (tx) AllResources(context.Context) ([]*openchime.Resource, error) { return nil, nil }
func (tx) DeleteAll(context.Context) error                             { return nil }
func (tx) PutAccount(context.Context, *openchime.Account) error        { return nil }
func (tx) PutUser(context.Context, *openchime.User) error              { return nil }
func (tx) PutResource(context.Context, *openchime.Resource) error      { return nil }
func (tx) DeleteResource(context.Context, string, string) error        { return nil }
