package openchime

import (
	"slices"
	"strings"
	"time"
)

// AccountType is the kind of a Chime account.
type AccountType string

// The account types of the model.
const (
	Team                AccountType = "Team"
	EnterpriseDirectory AccountType = "EnterpriseDirectory"
	EnterpriseLWA       AccountType = "EnterpriseLWA"
	EnterpriseOIDC      AccountType = "EnterpriseOIDC"
)

// Valid reports whether t is one of the model's account types.
func (t AccountType) Valid() bool {
	switch t {
	case Team, EnterpriseDirectory, EnterpriseLWA, EnterpriseOIDC:
		return true
	}
	return false
}

// AccountStatus says whether an account may be changed.
type AccountStatus string

// The account statuses of the model.
const (
	AccountActive    AccountStatus = "Active"
	AccountSuspended AccountStatus = "Suspended"
)

// Valid reports whether s is one of the model's account statuses.
func (s AccountStatus) Valid() bool { return s == AccountActive || s == AccountSuspended }

// writable refuses a change of a suspended account: it can be read but not
// changed (decision D11).
func (a *Account) writable() error {
	if a.Status == AccountSuspended {
		return Errorf(Forbidden, "Account %s is suspended; it can be read but not changed.", a.ID)
	}
	return nil
}

// License is a user's permission tier.
type License string

// The licences of the model.
const (
	Basic    License = "Basic"
	Plus     License = "Plus"
	Pro      License = "Pro"
	ProTrial License = "ProTrial"
)

// Valid reports whether l is one of the model's licences.
func (l License) Valid() bool {
	switch l {
	case Basic, Plus, Pro, ProTrial:
		return true
	}
	return false
}

// Account is a Chime account, owned by one AWS account.
type Account struct {
	ID                   string
	AwsAccountID         string
	Name                 string
	Type                 AccountType
	Status               AccountStatus
	DefaultLicense       License
	SupportedLicenses    []License
	SigninDelegateGroups []string
	// ClaimedDomains are the email domains an Enterprise account has claimed.
	// The API has no operation to claim or release one (the console did
	// that), so only the control plane sets them; while any is claimed,
	// DeleteAccount refuses an Enterprise account (semantics Q11).
	ClaimedDomains []string
	CreatedAt      time.Time
	// DeletedAt is set once DeleteAccount has run: the account is then a
	// tombstone, invisible to the public API (decision D5).
	DeletedAt time.Time
	Settings  AccountSettings
}

// AccountSettings are the account's meeting policies.
type AccountSettings struct {
	DisableRemoteControl bool
	EnableDialOut        bool
}

// Deleted reports whether the account is a tombstone.
func (a *Account) Deleted() bool { return !a.DeletedAt.IsZero() }

// Supports reports whether l is among the account's supported licences.
func (a *Account) Supports(l License) bool {
	for _, s := range a.SupportedLicenses {
		if s == l {
			return true
		}
	}
	return false
}

// Clone returns a deep copy, so a store can hand out records without sharing
// them. An empty list stays empty and a nil one nil: stores read lists back
// as [] and the wire and audit encodings tell the two apart.
func (a *Account) Clone() *Account {
	c := *a
	c.SupportedLicenses = slices.Clone(a.SupportedLicenses)
	c.SigninDelegateGroups = slices.Clone(a.SigninDelegateGroups)
	c.ClaimedDomains = slices.Clone(a.ClaimedDomains)
	return &c
}

// Validate checks the invariants of an account record.
func (a *Account) Validate() error {
	switch {
	case a.ID == "":
		return Errorf(BadRequest, "account id is required")
	case a.AwsAccountID == "":
		return Errorf(BadRequest, "AWS account id is required")
	case !a.Type.Valid():
		return Errorf(BadRequest, "account type %q is not one of Team, EnterpriseDirectory, EnterpriseLWA, EnterpriseOIDC", a.Type)
	case !a.Status.Valid():
		return Errorf(BadRequest, "account status %q is not one of Active, Suspended", a.Status)
	case !a.DefaultLicense.Valid():
		return Errorf(BadRequest, "license %q is not one of Basic, Plus, Pro, ProTrial", a.DefaultLicense)
	case a.Type == Team && len(a.ClaimedDomains) > 0:
		return Errorf(BadRequest, "a Team account claims no domains: claiming one makes it an Enterprise account; use AccountType EnterpriseLWA, EnterpriseDirectory or EnterpriseOIDC")
	}
	for _, d := range a.ClaimedDomains {
		if !validDomain(d) {
			return Errorf(BadRequest, "claimed domain %q is not a domain name such as example.com", d)
		}
	}
	return nil
}

// validDomain accepts a host name with at least one dot and no spaces, '@'
// or empty labels: enough to refuse an email address or a typo.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 || strings.ContainsAny(d, " \t@/") {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
	}
	return true
}
