package openchime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Fixture is a declarative description of accounts and users in any state,
// loaded at start (openchime serve --seed), over the control plane
// (POST /_openchime/seed) or by chimetest. Its JSON field names are those of
// the Chime wire (AwsAccountId, UserRegistrationStatus, ...):
//
//	{"Accounts": [{"Name": "Acme", "AccountType": "EnterpriseLWA", "AwsAccountId": "123456789012",
//	  "Users": [{"PrimaryEmail": "a@example.com", "UserRegistrationStatus": "Suspended"}]}]}
//
// Loading is idempotent by natural keys: an account is known by its Name and
// AWS account, a user by its email within the account. A record that already
// exists is left exactly as it is (even when its state differs from the
// fixture's, so a fixture never undoes what a test did), and loading the same
// fixture twice changes nothing.
type Fixture struct {
	Accounts []FixtureAccount
}

// FixtureAccount is an account of a Fixture. Only Name is required.
type FixtureAccount struct {
	// AccountID pins the account id; empty means a generated one.
	AccountID      string        `json:"AccountId,omitempty"`
	Name           string        `json:"Name"`
	AccountType    AccountType   `json:"AccountType,omitempty"`    // default Team
	AwsAccountID   string        `json:"AwsAccountId,omitempty"`   // default the caller's
	AccountStatus  AccountStatus `json:"AccountStatus,omitempty"`  // default Active
	DefaultLicense License       `json:"DefaultLicense,omitempty"` // default Pro
	Users          []FixtureUser `json:"Users,omitempty"`
}

// FixtureUser is a user of a FixtureAccount. Only PrimaryEmail is required.
type FixtureUser struct {
	// UserID pins the user id; empty means a generated one.
	UserID                 string             `json:"UserId,omitempty"`
	PrimaryEmail           string             `json:"PrimaryEmail"`
	DisplayName            string             `json:"DisplayName,omitempty"`
	UserType               UserType           `json:"UserType,omitempty"`               // default PrivateUser
	LicenseType            License            `json:"LicenseType,omitempty"`            // default the account's
	UserRegistrationStatus RegistrationStatus `json:"UserRegistrationStatus,omitempty"` // default Registered
}

// FixtureResult says what loading a fixture did.
type FixtureResult struct {
	// Accounts are the fixture's accounts in its order, each with the users
	// the fixture names, whether created now or found.
	Accounts []LoadedAccount
	// Created and Unchanged count the records (accounts and users) created
	// and the ones that already existed.
	Created, Unchanged int
}

// LoadedAccount is an account of a loaded fixture with its users.
type LoadedAccount struct {
	Account *Account
	Users   []*User
}

// ParseFixture decodes a JSON fixture strictly: an unknown field is an error
// (a misspelt "UserRegistrationStatus" would otherwise seed Registered users
// without a word).
func ParseFixture(data []byte) (*Fixture, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f Fixture
	if err := dec.Decode(&f); err != nil {
		return nil, Errorf(BadRequest, "The fixture is not valid JSON of the fixture format: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, Errorf(BadRequest, "The fixture has data after its JSON object.")
	}
	return &f, nil
}

// Validate checks the fixture without touching the store, naming the place
// of the first bad record.
func (f *Fixture) Validate() error {
	type accountKey struct{ aws, name string }
	accounts := map[accountKey]bool{}
	for i, fa := range f.Accounts {
		at := func(format string, args ...any) error {
			return Errorf(BadRequest, "Accounts[%d]: "+format, append([]any{i}, args...)...)
		}
		switch {
		case strings.TrimSpace(fa.Name) == "":
			return at("Name is required and must contain a non-space character.")
		case fa.AccountType != "" && !fa.AccountType.Valid():
			return at("AccountType %q is not one of Team, EnterpriseDirectory, EnterpriseLWA, EnterpriseOIDC.", fa.AccountType)
		case fa.AwsAccountID != "" && !isAwsAccountID(fa.AwsAccountID):
			return at("AwsAccountId %q must be 12 digits.", fa.AwsAccountID)
		case fa.AccountStatus != "" && !fa.AccountStatus.Valid():
			return at("AccountStatus %q is not one of Active, Suspended.", fa.AccountStatus)
		case fa.DefaultLicense != "" && !fa.DefaultLicense.Valid():
			return at("DefaultLicense %q is not one of Basic, Plus, Pro, ProTrial.", fa.DefaultLicense)
		}
		k := accountKey{fa.AwsAccountID, fa.Name}
		if accounts[k] {
			return at("an account named %q of the same AWS account appears earlier in the fixture.", fa.Name)
		}
		accounts[k] = true
		emails := map[string]bool{}
		for j, fu := range fa.Users {
			at := func(format string, args ...any) error {
				return Errorf(BadRequest, "Accounts[%d].Users[%d]: "+format, append([]any{i, j}, args...)...)
			}
			switch {
			case !validEmail(strings.TrimSpace(fu.PrimaryEmail)):
				return at("PrimaryEmail %q is not an email address.", fu.PrimaryEmail)
			case fu.UserType != "" && !fu.UserType.Valid():
				return at("UserType %q is not one of PrivateUser, SharedDevice.", fu.UserType)
			case fu.LicenseType != "" && !fu.LicenseType.Valid():
				return at("LicenseType %q is not one of Basic, Plus, Pro, ProTrial.", fu.LicenseType)
			case fu.UserRegistrationStatus != "" && !fu.UserRegistrationStatus.Valid():
				return at("UserRegistrationStatus %q is not one of Unregistered, Registered, Suspended.", fu.UserRegistrationStatus)
			}
			email := NormalizeEmail(fu.PrimaryEmail)
			if emails[email] {
				return at("PrimaryEmail %s appears earlier in the account.", fu.PrimaryEmail)
			}
			emails[email] = true
		}
	}
	return nil
}

func isAwsAccountID(s string) bool {
	return len(s) == 12 && strings.Trim(s, "0123456789") == ""
}

// LoadFixture creates the fixture's accounts and users that do not exist yet,
// all in one transaction: on error nothing is created. Accounts that exist
// keep their state; users are still added to them.
func (s *Service) LoadFixture(ctx context.Context, f *Fixture) (*FixtureResult, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	res := &FixtureResult{}
	err := s.Store.Update(ctx, func(tx Tx) error {
		*res = FixtureResult{}
		for i, fa := range f.Accounts {
			a, created, err := s.fixtureAccount(ctx, tx, fa, now)
			if err != nil {
				return withPlace(err, "Accounts[%d]: ", i)
			}
			res.count(created)
			loaded := LoadedAccount{Account: a, Users: make([]*User, 0, len(fa.Users))}
			ids := s.ascendingUUIDs(len(fa.Users))
			for j, fu := range fa.Users {
				u, created, err := s.fixtureUser(ctx, tx, a, ids[j], fu, now)
				if err != nil {
					return withPlace(err, "Accounts[%d].Users[%d]: ", i, j)
				}
				res.count(created)
				loaded.Users = append(loaded.Users, u)
			}
			res.Accounts = append(res.Accounts, loaded)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (r *FixtureResult) count(created bool) {
	if created {
		r.Created++
	} else {
		r.Unchanged++
	}
}

func withPlace(err error, format string, args ...any) error {
	var e *Error
	if errors.As(err, &e) && e.Code != ServiceFailure {
		return &Error{Code: e.Code, Message: fmt.Sprintf(format, args...) + e.Message, Err: e.Err}
	}
	return err
}

// fixtureAccount finds the account by its natural key or creates it.
func (s *Service) fixtureAccount(ctx context.Context, tx Tx, fa FixtureAccount, now time.Time) (*Account, bool, error) {
	aws := fa.AwsAccountID
	if aws == "" {
		aws = s.awsAccount(ctx)
	}
	candidates, err := tx.Accounts(ctx, AccountFilter{AwsAccountID: aws, NamePrefix: fa.Name})
	if err != nil {
		return nil, false, err
	}
	for _, a := range candidates {
		if a.Name != fa.Name {
			continue
		}
		if fa.AccountID != "" && fa.AccountID != a.ID {
			return nil, false, Errorf(Conflict, "account %q of AWS account %s exists with id %s, not the fixture's AccountId %s.", fa.Name, aws, a.ID, fa.AccountID)
		}
		return a, false, nil
	}
	if fa.AccountID != "" {
		if _, err := tx.Account(ctx, fa.AccountID); err == nil {
			return nil, false, Errorf(Conflict, "AccountId %s is taken by another account.", fa.AccountID)
		} else if !IsCode(err, NotFound) {
			return nil, false, err
		}
	}
	a, err := s.newAccount(ctx, NewAccount{AwsAccountID: aws, Name: fa.Name, Type: fa.AccountType,
		Status: fa.AccountStatus, DefaultLicense: fa.DefaultLicense}, now)
	if err != nil {
		return nil, false, err
	}
	if fa.AccountID != "" {
		a.ID = fa.AccountID
	}
	return a, true, tx.PutAccount(ctx, a)
}

// fixtureUser finds the user of a by email (removed users included, as the
// email stays taken, decision D4) or creates it.
func (s *Service) fixtureUser(ctx context.Context, tx Tx, a *Account, id string, fu FixtureUser, now time.Time) (*User, bool, error) {
	u, err := tx.UserByEmail(ctx, a.ID, NormalizeEmail(fu.PrimaryEmail))
	if err == nil {
		if fu.UserID != "" && fu.UserID != u.ID {
			return nil, false, Errorf(Conflict, "user %s exists with id %s, not the fixture's UserId %s.", u.PrimaryEmail, u.ID, fu.UserID)
		}
		return u, false, nil
	}
	if !IsCode(err, NotFound) {
		return nil, false, err
	}
	if fu.UserID != "" {
		if _, err := tx.User(ctx, a.ID, fu.UserID); err == nil {
			return nil, false, Errorf(Conflict, "UserId %s is taken by another user of account %s.", fu.UserID, a.ID)
		} else if !IsCode(err, NotFound) {
			return nil, false, err
		}
	}
	u, err = s.newUser(a, id, NewUser{PrimaryEmail: fu.PrimaryEmail, DisplayName: fu.DisplayName, UserType: fu.UserType,
		LicenseType: fu.LicenseType, RegistrationStatus: fu.UserRegistrationStatus}, now)
	if err != nil {
		return nil, false, err
	}
	if fu.UserID != "" {
		u.ID = fu.UserID
	}
	return u, true, tx.PutUser(ctx, u)
}
