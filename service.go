package openchime

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultAwsAccountID is the AWS account of callers whose access key is not
// a 12-digit AWS account id.
const DefaultAwsAccountID = "123456789012"

// Service implements every Chime administration operation: it checks the
// rules, applies the transitions and leaves persistence to the Store.
type Service struct {
	Store Store
	Clock Clock
	IDs   IDGen
	// DefaultAwsAccountID scopes requests whose context has no caller.
	DefaultAwsAccountID string
	// Faults makes chosen requests fail on purpose; batch operations
	// consult it per user (nil: none). httpapi.NewServer gives a Service
	// without one a faults.Set, which its control plane manages.
	Faults FaultInjector
	// Phone holds the telephony durations and limits (decisions D40, D41)
	// that apply while the store holds no configuration: before the first
	// SetPhoneConfig or UpdatePhoneConfig, and after a reset. Set it before
	// serving; changes while serving go to the store.
	Phone     PhoneConfig
	phoneMemo atomic.Pointer[phoneMemo] // the last stored configuration decoded (service_config.go)
	// Collab holds the limits of bots, rooms and memberships and the
	// retention grace period (decisions D37, D41); zero fields take defaults.
	// Like Phone, its limits apply while the store holds no collaboration
	// settings (PUT /_openchime/config, UpdateConfig); LenientRedaction
	// always applies.
	Collab     CollabConfig
	collabMemo atomic.Pointer[collabMemo] // the last stored settings decoded (service_collab_config.go)
	// BotEvents verifies bots' endpoints and delivers their events
	// (decision D44); nil sends nothing and verifies nothing (decision D21).
	BotEvents BotEvents
	// BaseURL is the server's own URL, such as http://127.0.0.1:4580: the
	// base of incoming-webhook URLs made outside a request (one carries the
	// Host it was sent to).
	BaseURL string

	outboxOn   atomic.Bool  // a target is configured: audit writes outbox rows (outbox.go)
	outboxLast atomic.Int64 // the last outbox key's time (outboxKey)
}

// NewService returns a Service over store with random ids and a ControlClock
// that runs at real time until the control plane sets or freezes it.
func NewService(store Store) *Service {
	return &Service{Store: store, Clock: &ControlClock{}, IDs: RandomIDs{}, DefaultAwsAccountID: DefaultAwsAccountID}
}

// UserError is the failure of one user inside a batch operation.
type UserError struct {
	UserID  string
	Code    Code
	Message string
}

// Page bounds a listing: MaxResults (0 = the operation's default) and the
// NextToken of the previous page.
type Page struct {
	MaxResults int
	NextToken  string
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Millisecond) }

// Now is the time the Service stamps on what it creates or changes: its
// clock's, in UTC, to the millisecond (the API's precision).
func (s *Service) Now() time.Time { return s.now() }

// AwsAccount returns the AWS account the request of ctx is scoped to: its
// caller's, else DefaultAwsAccountID.
func (s *Service) AwsAccount(ctx context.Context) string { return s.awsAccount(ctx) }

// awsAccount is AwsAccount.
func (s *Service) awsAccount(ctx context.Context) string {
	if c, ok := CallerFromContext(ctx); ok && c.AwsAccountID != "" {
		return c.AwsAccountID
	}
	if s.DefaultAwsAccountID != "" {
		return s.DefaultAwsAccountID
	}
	return DefaultAwsAccountID
}

func accountNotFound(id string) error {
	return Errorf(NotFound, "The requested account %s was not found.", id)
}

func userNotFound(accountID, userID string) error {
	return Errorf(NotFound, "The requested user %s was not found in account %s.", userID, accountID)
}

// visibleAccount returns the account the caller may see: one of its own AWS
// account that is not deleted. Anything else is NotFound, exactly as an id
// that does not exist, so one tenant never learns of another's accounts.
func (s *Service) visibleAccount(ctx context.Context, tx ReadTx, id string) (*Account, error) {
	a, err := tx.Account(ctx, id)
	if IsCode(err, NotFound) || (err == nil && (a.AwsAccountID != s.awsAccount(ctx) || a.Deleted())) {
		return nil, accountNotFound(id)
	}
	return a, err
}

// writableAccount is visibleAccount for a write: a suspended account refuses
// every change (decision D11).
func (s *Service) writableAccount(ctx context.Context, tx ReadTx, id string) (*Account, error) {
	a, err := s.visibleAccount(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := a.writable(); err != nil {
		return nil, err
	}
	return a, nil
}

// visibleUser returns a user of the account who was not removed.
func visibleUser(ctx context.Context, tx ReadTx, accountID, userID string) (*User, error) {
	u, err := tx.User(ctx, accountID, userID)
	if IsCode(err, NotFound) || (err == nil && u.Removed()) {
		return nil, userNotFound(accountID, userID)
	}
	return u, err
}

// NewAccount describes an account to create.
type NewAccount struct {
	AwsAccountID   string // defaults to the caller's
	Name           string
	Type           AccountType   // defaults to Team
	Status         AccountStatus // defaults to Active
	DefaultLicense License       // defaults to Pro
	ClaimedDomains []string      // Enterprise accounts only; see Account.ClaimedDomains
}

// CreateAccount creates a Team account for the caller (the only type the API
// can create). Defaults per decision D12.
func (s *Service) CreateAccount(ctx context.Context, name string) (*Account, error) {
	return s.createAccount(ctx, "CreateAccount", NewAccount{Name: name, Type: Team})
}

// AdminCreateAccount creates an account of any type and status; the control
// plane uses it for states the public API cannot create.
func (s *Service) AdminCreateAccount(ctx context.Context, n NewAccount) (*Account, error) {
	return s.createAccount(ctx, "AdminCreateAccount", n)
}

// createAccount stores the account n describes and audits it as op.
func (s *Service) createAccount(ctx context.Context, op string, n NewAccount) (*Account, error) {
	a, err := s.BuildAccount(ctx, n, s.now())
	if err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx Tx) error {
		if err := tx.PutAccount(ctx, a); err != nil {
			return err
		}
		return s.audit(ctx, tx, op, a.ID, AccountChange(nil, a))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// BuildAccount returns the account CreateAccount would store for n, with a
// new id and the defaults filled in, validated but not stored (fixture.Load
// stores it in its own transaction). The account's AWS account, when n has
// none, is the caller's of ctx.
func (s *Service) BuildAccount(ctx context.Context, n NewAccount, now time.Time) (*Account, error) {
	a := &Account{
		ID:                   s.IDs.UUID(),
		AwsAccountID:         n.AwsAccountID,
		Name:                 n.Name,
		Type:                 n.Type,
		Status:               n.Status,
		DefaultLicense:       n.DefaultLicense,
		SupportedLicenses:    []License{Basic, Pro},
		SigninDelegateGroups: []string{},
		ClaimedDomains:       normalizeDomains(n.ClaimedDomains),
		CreatedAt:            now,
	}
	if a.AwsAccountID == "" {
		a.AwsAccountID = s.awsAccount(ctx)
	}
	if a.Type == "" {
		a.Type = Team
	}
	if a.Status == "" {
		a.Status = AccountActive
	}
	if a.DefaultLicense == "" {
		a.DefaultLicense = Pro
	}
	if strings.TrimSpace(a.Name) == "" {
		return nil, Errorf(BadRequest, "Name is required and must contain a non-space character.")
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// GetAccount returns one of the caller's accounts.
func (s *Service) GetAccount(ctx context.Context, id string) (*Account, error) {
	var a *Account
	err := s.Store.View(ctx, func(tx ReadTx) (err error) {
		a, err = s.visibleAccount(ctx, tx, id)
		return err
	})
	return a, err
}

// ListAccountsInput filters ListAccounts.
type ListAccountsInput struct {
	Name      string // prefix, case-sensitive
	UserEmail string
	Page
}

// ListAccounts lists the caller's accounts in creation order (decision D6).
func (s *Service) ListAccounts(ctx context.Context, in ListAccountsInput) ([]*Account, string, error) {
	f := AccountFilter{
		AwsAccountID: s.awsAccount(ctx),
		NamePrefix:   in.Name,
		UserEmail:    NormalizeEmail(in.UserEmail),
	}
	scope := "accounts\x00" + f.AwsAccountID + "\x00" + f.NamePrefix + "\x00" + f.UserEmail
	limit, after, err := pageBounds(in.Page, scope)
	if err != nil {
		return nil, "", err
	}
	f.After, f.Limit = after, limit+1
	var list []*Account
	err = s.Store.View(ctx, func(tx ReadTx) (err error) {
		list, err = tx.Accounts(ctx, f)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if f.UserEmail != "" {
		// The account the user belongs to: at most one (service_email.go).
		return firstAccount(list), "", nil
	}
	list, next := cutPage(list, limit, scope, func(a *Account) Cursor { return Cursor{a.CreatedAt, a.ID} })
	return list, next, nil
}

// ListUsersInput filters ListUsers.
type ListUsersInput struct {
	AccountID string
	UserEmail string
	UserType  UserType
	Page
}

// ListUsers lists the users of an account in creation order; users removed
// from a Team account are not listed (decision D4).
func (s *Service) ListUsers(ctx context.Context, in ListUsersInput) ([]*User, string, error) {
	f := UserFilter{AccountID: in.AccountID, Email: NormalizeEmail(in.UserEmail), UserType: in.UserType}
	scope := "users\x00" + f.AccountID + "\x00" + f.Email + "\x00" + string(f.UserType)
	limit, after, err := pageBounds(in.Page, scope)
	if err != nil {
		return nil, "", err
	}
	f.After, f.Limit = after, limit+1
	var list []*User
	err = s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := s.visibleAccount(ctx, tx, in.AccountID); err != nil {
			return err
		}
		var err error
		list, err = tx.Users(ctx, f)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	list, next := cutPage(list, limit, scope, func(u *User) Cursor { return Cursor{u.CreatedAt, u.ID} })
	return list, next, nil
}

// GetUser returns one user of one of the caller's accounts.
func (s *Service) GetUser(ctx context.Context, accountID, userID string) (*User, error) {
	var u *User
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := s.visibleAccount(ctx, tx, accountID); err != nil {
			return err
		}
		var err error
		u, err = visibleUser(ctx, tx, accountID, userID)
		return err
	})
	return u, err
}

// BatchSuspendUser suspends users. On EnterpriseLWA a Registered or
// Unregistered user becomes Suspended; on Team the user is removed from the
// account (decision D4); other account types get a per-user Forbidden
// (decision D2).
func (s *Service) BatchSuspendUser(ctx context.Context, accountID string, userIDs []string) ([]UserError, error) {
	return s.batchTransition(ctx, SuspendUsers, accountID, userIDs)
}

// BatchUnsuspendUser lifts the suspension of users of an EnterpriseLWA
// account: Suspended users become Registered, others are left alone without
// an error (the model's documentation). Other account types get a per-user
// Forbidden (decision D2).
func (s *Service) BatchUnsuspendUser(ctx context.Context, accountID string, userIDs []string) ([]UserError, error) {
	return s.batchTransition(ctx, UnsuspendUsers, accountID, userIDs)
}

// batchTransition applies t to each distinct user id, in order of first
// appearance, in one transaction (decision D3).
func (s *Service) batchTransition(ctx context.Context, t Transition, accountID string, userIDs []string) ([]UserError, error) {
	op := t.Operation()
	ids := distinct(userIDs)
	errs := []UserError{}
	now := s.now()
	awsAccount := s.awsAccount(ctx)
	faults := s.perUserFaults(op, awsAccount, accountID, len(ids))
	changed := make([]*User, 0, len(ids))
	changes := make([]AuditChange, 0, len(ids))
	err := s.updateRows(ctx, func(tx Tx) error {
		errs, changed, changes = errs[:0], changed[:0], changes[:0]
		// The changes' diffs share two buffers (a retry starts new ones:
		// the changes of a failed attempt may still be referenced).
		bb, ab := make([]byte, 0, 64*len(ids)), make([]byte, 0, 64*len(ids))
		a, err := s.visibleAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if !t.appliesTo(a.Type) {
			for _, id := range ids {
				errs = append(errs, UserError{UserID: id, Code: Forbidden,
					Message: op + " is not supported for accounts of type " + string(a.Type) + "."})
			}
			return nil
		}
		if err := a.writable(); err != nil {
			return err
		}
		found, err := usersAt(ctx, tx, accountID, ids)
		if err != nil {
			return err
		}
		for i, id := range ids {
			if ue := faults.forUser(i, id); ue != nil {
				errs = append(errs, *ue)
				continue
			}
			u := found[i]
			if u == nil || u.Removed() {
				errs = append(errs, UserError{UserID: id, Code: NotFound, Message: ErrorMessage(userNotFound(accountID, id))})
				continue
			}
			before := *u
			if t.removes(a.Type) {
				u.RemovedAt = now
				if err := s.releaseUserNumber(ctx, tx, u, now); err != nil {
					return err
				}
			} else {
				next, ok := t.next(u.RegistrationStatus)
				if !ok {
					continue
				}
				u.RegistrationStatus = next
				if next == Registered && u.RegisteredOn.IsZero() {
					u.RegisteredOn = now
				}
			}
			changed = append(changed, u)
			var c AuditChange
			bb, ab, c = appendUserChange(bb, ab, &before, u)
			changes = append(changes, c)
		}
		// No sort by email (putUsersInOrder): these rows are locked already,
		// read under WithRowLocks (PostgreSQL: FOR UPDATE, in id order), and
		// a status or removal changes no indexed column, so the order of the
		// writes cannot deadlock; the other stores have one writer.
		if err := putUsers(ctx, tx, changed); err != nil {
			return err
		}
		return s.audit(ctx, tx, op, accountID, changes...)
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

func distinct(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out
}

// NewUser describes a user the control plane creates in any state.
type NewUser struct {
	PrimaryEmail       string
	DisplayName        string
	UserType           UserType
	LicenseType        License
	RegistrationStatus RegistrationStatus
}

// AdminCreateUser adds a user to any account, of any AWS account, in any
// registration status: the control plane's way to reach states the public
// API cannot create.
func (s *Service) AdminCreateUser(ctx context.Context, accountID string, n NewUser) (*User, error) {
	users, err := s.AdminCreateUsers(ctx, accountID, []NewUser{n})
	if err != nil {
		return nil, err
	}
	return users[0], nil
}

// AscendingUUIDs draws n UUIDs and returns them sorted. The users one
// request creates share its creation time, and lists order by creation
// time, then id (D6): handing them ids in ascending order lists them in the
// order the request gave them, while the ids stay random and paging stays by
// (creation time, id).
func (s *Service) AscendingUUIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = s.IDs.UUID()
	}
	slices.Sort(ids)
	return ids
}

// AdminCreateUsers adds many users in one transaction, all or none.
func (s *Service) AdminCreateUsers(ctx context.Context, accountID string, list []NewUser) ([]*User, error) {
	now := s.now()
	users := make([]*User, 0, len(list))
	err := s.Store.Update(ctx, func(tx Tx) error {
		users = users[:0]
		var changes []AuditChange
		a, err := tx.Account(ctx, accountID)
		if IsCode(err, NotFound) || (err == nil && a.Deleted()) {
			return accountNotFound(accountID)
		}
		if err != nil {
			return err
		}
		seen := make(map[string]bool, len(list))
		emails := make([]string, 0, len(list))
		ids := s.AscendingUUIDs(len(list))
		for i, n := range list {
			u, err := s.BuildUser(a, ids[i], n, now)
			if err != nil {
				return withIndex(err, i, len(list))
			}
			email := NormalizeEmail(u.PrimaryEmail)
			if seen[email] {
				return withIndex(Errorf(Conflict, "PrimaryEmail %s is given twice.", u.PrimaryEmail), i, len(list))
			}
			seen[email] = true
			emails = append(emails, email)
			users = append(users, u)
			changes = append(changes, UserChange(nil, u))
		}
		existing, err := usersByEmail(ctx, tx, a.ID, emails)
		if err != nil {
			return err
		}
		for i, email := range emails {
			if existing[email] != nil {
				return withIndex(Errorf(Conflict, "A user with email %s already exists in account %s.", users[i].PrimaryEmail, a.ID), i, len(list))
			}
		}
		elsewhere, err := s.emailsElsewhere(ctx, tx, a, emails)
		if err != nil {
			return err
		}
		for i, email := range emails {
			if o := elsewhere[email]; o != nil {
				return withIndex(emailConflict(users[i].PrimaryEmail, a, o), i, len(list))
			}
		}
		if err := putUsersInOrder(ctx, tx, users); err != nil {
			return err
		}
		return s.audit(ctx, tx, "AdminCreateUsers", a.ID, changes...)
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

func withIndex(err error, i, n int) error {
	if n == 1 {
		return err
	}
	if e, ok := err.(*Error); ok {
		return &Error{Code: e.Code, Message: "Users[" + strconv.Itoa(i) + "]: " + e.Message, Err: e.Err}
	}
	return err
}

// BuildUser returns the user with id that creating n in account a stores,
// with the defaults of a and of n's registration status filled in,
// validated but not stored.
func (s *Service) BuildUser(a *Account, id string, n NewUser, now time.Time) (*User, error) {
	email := strings.TrimSpace(n.PrimaryEmail)
	if !ValidEmail(email) {
		return nil, Errorf(BadRequest, "PrimaryEmail %q is not an email address.", n.PrimaryEmail)
	}
	u := &User{
		ID:                 id,
		AccountID:          a.ID,
		PrimaryEmail:       email,
		DisplayName:        n.DisplayName,
		UserType:           n.UserType,
		LicenseType:        n.LicenseType,
		RegistrationStatus: n.RegistrationStatus,
		PersonalPIN:        s.IDs.Digits(10),
		CreatedAt:          now,
		Settings:           DefaultUserSettings,
	}
	if u.UserType == "" {
		u.UserType = PrivateUser
	}
	if u.LicenseType == "" {
		u.LicenseType = a.DefaultLicense
	}
	if u.RegistrationStatus == "" {
		u.RegistrationStatus = Registered
	}
	switch u.RegistrationStatus {
	case Registered, Suspended:
		u.RegisteredOn = now
		if a.Type == Team {
			u.InvitationStatus, u.InvitedOn = InviteAccepted, now
		}
	case Unregistered:
		if a.Type == Team {
			u.InvitationStatus, u.InvitedOn = InvitePending, now
		}
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return u, nil
}

// ValidEmail reports whether s matches the model's EmailAddress pattern
// `.+@.+\..+`.
func ValidEmail(s string) bool {
	at := strings.Index(s, "@")
	if at < 1 {
		return false
	}
	dot := strings.LastIndex(s[at+1:], ".")
	return dot > 0 && at+1+dot < len(s)-1
}

// AdminAccounts lists accounts of every AWS account, tombstones included.
func (s *Service) AdminAccounts(ctx context.Context, f AccountFilter) ([]*Account, error) {
	var list []*Account
	err := s.Store.View(ctx, func(tx ReadTx) (err error) {
		list, err = tx.Accounts(ctx, f)
		return err
	})
	return list, err
}

// Reset deletes everything, injected faults included.
func (s *Service) Reset(ctx context.Context) error {
	if s.Faults != nil {
		s.Faults.Clear()
	}
	return s.Store.Reset(ctx)
}

// pageBounds turns a Page into a limit and a cursor. MaxResults outside
// 1..200 is rejected by the wire layer's validation; 0 means the default, 100.
func pageBounds(p Page, scope string) (int, *Cursor, error) {
	limit := p.MaxResults
	if limit <= 0 {
		limit = 100
	}
	if p.NextToken == "" {
		return limit, nil, nil
	}
	c, err := decodeToken(scope, p.NextToken)
	if err != nil {
		return 0, nil, err
	}
	return limit, c, nil
}

// cutPage trims a listing fetched with limit+1 rows to limit, and returns
// the token of the next page when there was a further row.
func cutPage[T any](list []T, limit int, scope string, key func(T) Cursor) ([]T, string) {
	if len(list) <= limit {
		return list, ""
	}
	list = list[:limit]
	return list, encodeToken(scope, key(list[limit-1]))
}

// Page tokens are opaque to clients: base64 of the listing's scope (so a
// token of another listing is refused, decision D6) and the last key seen.
func encodeToken(scope string, c Cursor) string {
	raw := scope + "\x00" + strconv.FormatInt(c.CreatedAt.UnixMilli(), 10) + "\x00" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeToken(scope, token string) (*Cursor, error) {
	bad := Errorf(BadRequest, "NextToken %q is not a token of this listing; pass the NextToken of the previous page unchanged, with the same filters.", token)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, bad
	}
	rest, ok := strings.CutPrefix(string(raw), scope+"\x00")
	if !ok {
		return nil, bad
	}
	ms, id, ok := strings.Cut(rest, "\x00")
	if !ok || id == "" {
		return nil, bad
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return nil, bad
	}
	return &Cursor{CreatedAt: time.UnixMilli(n).UTC(), ID: id}, nil
}

// AdminAccount returns any account by id, whatever its AWS account, deleted
// ones included: the console and the control plane look accounts up this way.
func (s *Service) AdminAccount(ctx context.Context, id string) (*Account, error) {
	var a *Account
	err := s.Store.View(ctx, func(tx ReadTx) (err error) {
		a, err = tx.Account(ctx, id)
		if IsCode(err, NotFound) {
			return accountNotFound(id)
		}
		return err
	})
	return a, err
}
