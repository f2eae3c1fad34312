package openchime

import (
	"context"
	"slices"
	"strings"
	"time"
)

// The account and user lifecycle (issue 3): updating and deleting accounts,
// their settings and sign-in delegate groups; inviting, creating, updating,
// logging out users, their PINs and settings. Rules follow semantics.md
// section 2; what no source documents is marked "inferred".

// AccountUpdate holds the changes of UpdateAccount; nil fields stay as they are.
type AccountUpdate struct {
	Name           *string
	DefaultLicense *License
}

// UpdateAccount renames an account or changes its default licence, the only
// two changes the API allows. An update with no field returns the account
// unchanged (inferred).
func (s *Service) UpdateAccount(ctx context.Context, id string, up AccountUpdate) (*Account, error) {
	var out *Account
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := s.writableAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		before := a.Clone()
		if up.Name != nil {
			if strings.TrimSpace(*up.Name) == "" {
				return Errorf(BadRequest, "Name must contain a non-space character.")
			}
			a.Name = *up.Name
		}
		if up.DefaultLicense != nil {
			if err := checkLicense(a, "DefaultLicense", *up.DefaultLicense); err != nil {
				return err
			}
			a.DefaultLicense = *up.DefaultLicense
		}
		if err := a.Validate(); err != nil {
			return err
		}
		out = a
		return s.putAccount(ctx, tx, "UpdateAccount", before, a)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkLicense refuses a licence the account does not support: a
// DefaultLicense or LicenseType outside SupportedLicenses is BadRequest
// (inferred, semantics 2.3 UpdateAccount and UpdateUser).
func checkLicense(a *Account, member string, l License) error {
	if !l.Valid() {
		return Errorf(BadRequest, "%s %q is not one of Basic, Plus, Pro, ProTrial.", member, l)
	}
	if !a.Supports(l) {
		names := make([]string, len(a.SupportedLicenses))
		for i, s := range a.SupportedLicenses {
			names[i] = string(s)
		}
		return Errorf(BadRequest, "%s %s is not supported by account %s; its SupportedLicenses are [%s].", member, l, a.ID, strings.Join(names, ", "))
	}
	return nil
}

// unableToFind is the message the real service gave when DeleteAccount met an
// Enterprise account whose domains were still claimed (aws-sdk-ruby#2214).
const unableToFind = "Unable to find the requested identifier"

// DeleteAccount deletes an account: afterwards the public API answers 404 for
// it at once, and a tombstone with the deletion time stays for the control
// plane (decision D5).
//
// Preconditions (semantics 2.3, Q11):
//   - Team: every user must have been removed (BatchSuspendUser) first, else
//     UnprocessableEntity (422), the one operation that models it.
//   - Enterprise (LWA, Directory, OIDC): the claimed domains must have been
//     released first. While any is claimed the answer is NotFound "Unable to
//     find the requested identifier", as observed on the real service. An
//     Enterprise account with no claimed domain (the control plane creates
//     them so unless given ClaimedDomains) is deleted whatever its users:
//     releasing the last domain is what suspended them on the real service
//     (inferred).
func (s *Service) DeleteAccount(ctx context.Context, id string) error {
	now := s.now()
	return s.Store.Update(ctx, func(tx Tx) error {
		a, err := s.writableAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		before := a.Clone()
		if a.Type == Team {
			users, err := tx.Users(ctx, UserFilter{AccountID: a.ID, Limit: 1})
			if err != nil {
				return err
			}
			if len(users) > 0 {
				return Errorf(Unprocessable, "Team account %s still has users; remove every user with BatchSuspendUser before deleting the account.", a.ID)
			}
		} else if len(a.ClaimedDomains) > 0 {
			return Errorf(NotFound, "%s: %s account %s still claims the domain(s) %s, which must be released before the account can be deleted.",
				unableToFind, a.Type, a.ID, strings.Join(a.ClaimedDomains, ", "))
		}
		a.DeletedAt = now
		if err := s.releaseAccountNumbers(ctx, tx, a, now); err != nil {
			return err
		}
		return s.putAccount(ctx, tx, "DeleteAccount", before, a)
	})
}

// GetAccountSettings returns the account's meeting policies; a new account
// has both false (decision D12).
func (s *Service) GetAccountSettings(ctx context.Context, id string) (AccountSettings, error) {
	var out AccountSettings
	err := s.Store.View(ctx, func(tx ReadTx) error {
		a, err := s.visibleAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		out = a.Settings
		return nil
	})
	return out, err
}

// AccountSettingsUpdate holds the changes of UpdateAccountSettings; nil
// fields keep their value (inferred from the CLI example, which sends one).
type AccountSettingsUpdate struct {
	DisableRemoteControl *bool
	EnableDialOut        *bool
}

// UpdateAccountSettings changes the meeting policies. The model lists
// ConflictException but no source says what triggers it; OpenChime never
// sends it (inferred).
func (s *Service) UpdateAccountSettings(ctx context.Context, id string, up AccountSettingsUpdate) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		a, err := s.writableAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		before := a.Clone()
		if up.DisableRemoteControl != nil {
			a.Settings.DisableRemoteControl = *up.DisableRemoteControl
		}
		if up.EnableDialOut != nil {
			a.Settings.EnableDialOut = *up.EnableDialOut
		}
		return s.putAccount(ctx, tx, "UpdateAccountSettings", before, a)
	})
}

// signinDelegateAccount returns the account for a sign-in delegate group
// change. Delegate groups are directory groups, so only EnterpriseDirectory
// and EnterpriseOIDC accounts hold them (semantics Q9 default); other types
// get ForbiddenException, as any operation on the wrong account type
// (decision D2).
func (s *Service) signinDelegateAccount(ctx context.Context, tx Tx, id string) (*Account, error) {
	a, err := s.writableAccount(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if a.Type != EnterpriseDirectory && a.Type != EnterpriseOIDC {
		return nil, Errorf(Forbidden, "Sign-in delegate groups are directory groups: only EnterpriseDirectory and EnterpriseOIDC accounts have them, and account %s is of type %s.", a.ID, a.Type)
	}
	return a, nil
}

// AssociateSigninDelegateGroups adds groups to the account. Adding a group it
// already has changes nothing (idempotent, semantics Q9). Names compare
// exactly, as they are given.
func (s *Service) AssociateSigninDelegateGroups(ctx context.Context, id string, groups []string) error {
	for i, g := range groups {
		if strings.TrimSpace(g) == "" {
			return Errorf(BadRequest, "SigninDelegateGroups.%d.GroupName is required and must contain a non-space character.", i+1)
		}
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		a, err := s.signinDelegateAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		before := a.Clone()
		for _, g := range groups {
			if !slices.Contains(a.SigninDelegateGroups, g) {
				a.SigninDelegateGroups = append(a.SigninDelegateGroups, g)
			}
		}
		return s.putAccount(ctx, tx, "AssociateSigninDelegateGroups", before, a)
	})
}

// DisassociateSigninDelegateGroups removes groups from the account; names it
// does not have are ignored (inferred).
func (s *Service) DisassociateSigninDelegateGroups(ctx context.Context, id string, names []string) error {
	if len(names) == 0 {
		return Errorf(BadRequest, "GroupNames must name at least one group.")
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		a, err := s.signinDelegateAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		before := a.Clone()
		a.SigninDelegateGroups = slices.DeleteFunc(a.SigninDelegateGroups, func(g string) bool { return slices.Contains(names, g) })
		if a.SigninDelegateGroups == nil {
			a.SigninDelegateGroups = []string{}
		}
		return s.putAccount(ctx, tx, "DisassociateSigninDelegateGroups", before, a)
	})
}

// EmailStatus says whether an invitation email went out.
type EmailStatus string

// The email statuses of the model.
const (
	EmailNotSent EmailStatus = "NotSent"
	EmailSent    EmailStatus = "Sent"
	EmailFailed  EmailStatus = "Failed"
)

// Invite is the outcome of inviting one address.
type Invite struct {
	ID          string
	Email       string
	Status      InvitationStatus
	EmailStatus EmailStatus
}

// maxInvites is the model's maximum of UserEmailList.
const maxInvites = 50

// InviteUsers invites addresses to a Team account (other types:
// ForbiddenException, decision D2), one Invite per distinct address in the
// order given (addresses compare case-insensitively, decision D6):
//   - a new address: a user is created Unregistered with invitation Pending
//     and InvitedOn now; Invite Pending/Sent.
//   - a user removed by BatchSuspendUser: the same user id is restored as
//     Unregistered/Pending, with the account's default licence (decision D4);
//     Invite Pending/Sent.
//   - a user still Unregistered with a pending invitation: the invitation is
//     sent again (InvitedOn moves); Invite Pending/Sent (inferred: the
//     console's "resend invitation").
//   - a user already registered (or suspended) in the account: Invite
//     Failed/NotSent, and nothing changes (inferred, semantics Q4).
//   - an address that belongs to another live account of the AWS account
//     (one account per email, service_email.go): Invite Failed/NotSent, and
//     nothing changes.
//
// An empty list is BadRequest (semantics Q4 default).
func (s *Service) InviteUsers(ctx context.Context, accountID string, emails []string, userType UserType) ([]Invite, error) {
	if len(emails) == 0 || len(emails) > maxInvites {
		return nil, Errorf(BadRequest, "UserEmailList must hold 1 to %d addresses (it has %d).", maxInvites, len(emails))
	}
	if userType != "" && !userType.Valid() {
		return nil, Errorf(BadRequest, "UserType %q is not one of PrivateUser, SharedDevice.", userType)
	}
	var list []string
	seen := make(map[string]bool, len(emails))
	for i, e := range emails {
		e = strings.TrimSpace(e)
		if !ValidEmail(e) {
			return nil, Errorf(BadRequest, "UserEmailList.%d %q is not an email address.", i+1, e)
		}
		if n := NormalizeEmail(e); !seen[n] {
			seen[n] = true
			list = append(list, e)
		}
	}
	now := s.now()
	var invites []Invite
	err := s.Store.Update(ctx, func(tx Tx) error {
		invites = invites[:0]
		var changes []AuditChange
		a, err := s.writableAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if a.Type != Team {
			return Errorf(Forbidden, "InviteUsers is for Team accounts; account %s is of type %s, whose users join by signing in.", a.ID, a.Type)
		}
		norms := make([]string, len(list))
		for i, email := range list {
			norms[i] = NormalizeEmail(email)
		}
		existing, err := usersByEmail(ctx, tx, a.ID, norms)
		if err != nil {
			return err
		}
		// Only the addresses that would become live here: new ones and
		// removed users restored (service_email.go).
		var joining []string
		for _, n := range norms {
			if u := existing[n]; u == nil || u.Removed() {
				joining = append(joining, n)
			}
		}
		elsewhere, err := s.emailsElsewhere(ctx, tx, a, joining)
		if err != nil {
			return err
		}
		var changed []*User
		ids := s.AscendingUUIDs(len(list))
		for i, email := range list {
			inv := Invite{ID: s.IDs.UUID(), Email: email, Status: InvitePending, EmailStatus: EmailSent}
			u := existing[norms[i]]
			var before *User
			if u != nil {
				before = u.Clone()
			}
			switch {
			case elsewhere[norms[i]] != nil:
				// Live in another account of the AWS account.
				inv.Status, inv.EmailStatus = InviteFailed, EmailNotSent
				u = nil
			case u == nil:
				u, err = s.BuildUser(a, ids[i], NewUser{PrimaryEmail: email, UserType: userType, RegistrationStatus: Unregistered}, now)
				if err != nil {
					return err
				}
			case u.Removed():
				u.RemovedAt = time.Time{}
				u.RegistrationStatus, u.InvitationStatus = Unregistered, InvitePending
				u.InvitedOn, u.RegisteredOn = now, time.Time{}
				u.LicenseType = a.DefaultLicense
				if userType != "" {
					u.UserType = userType
				}
			case u.RegistrationStatus == Unregistered && u.InvitationStatus == InvitePending:
				u.InvitedOn = now
			default:
				inv.Status, inv.EmailStatus = InviteFailed, EmailNotSent
				u = nil
			}
			if u != nil {
				changed = append(changed, u)
				changes = append(changes, UserChange(before, u))
			}
			invites = append(invites, inv)
		}
		if err := putUsersInOrder(ctx, tx, changed); err != nil {
			return err
		}
		return s.audit(ctx, tx, "InviteUsers", a.ID, changes...)
	})
	if err != nil {
		return nil, err
	}
	return invites, nil
}

// CreateUserInput describes the user of CreateUser.
type CreateUserInput struct {
	Username string // becomes the DisplayName, as in the CLI example
	Email    string
	UserType UserType // defaults to PrivateUser
}

// CreateUser adds a user to an EnterpriseDirectory or EnterpriseOIDC account
// (semantics Q10). The user is Registered at once, with the account's default
// licence, as in the CLI example.
//
// Other account types answer BadRequestException: on a Team account that is
// what the real service said (boto3#2384; Team accounts invite instead). For
// EnterpriseLWA, whose users join by signing in with Login with Amazon, we
// chose the same answer rather than decision D2's Forbidden, because the one
// observation of CreateUser on an unsupported type was BadRequest (inferred).
// An address already in the account, removed users included, is
// ConflictException (409), and so is an address that belongs to another
// live account of the AWS account (service_email.go).
func (s *Service) CreateUser(ctx context.Context, accountID string, in CreateUserInput) (*User, error) {
	if strings.TrimSpace(in.Email) == "" {
		return nil, Errorf(BadRequest, "Email is required: the user's email address.")
	}
	now := s.now()
	var out *User
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := s.writableAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if a.Type != EnterpriseDirectory && a.Type != EnterpriseOIDC {
			hint := ""
			if a.Type == Team {
				hint = " Invite users to a Team account with InviteUsers."
			}
			return Errorf(BadRequest, "Service received a bad request: CreateUser is for EnterpriseDirectory and EnterpriseOIDC accounts; account %s is of type %s.%s", a.ID, a.Type, hint)
		}
		u, err := s.BuildUser(a, s.IDs.UUID(), NewUser{PrimaryEmail: in.Email, DisplayName: in.Username, UserType: in.UserType, RegistrationStatus: Registered}, now)
		if err != nil {
			return err
		}
		email := NormalizeEmail(u.PrimaryEmail)
		if _, err := tx.UserByEmail(ctx, a.ID, email); err == nil {
			return Errorf(Conflict, "A user with email %s already exists in account %s.", u.PrimaryEmail, a.ID)
		} else if !IsCode(err, NotFound) {
			return err
		}
		if elsewhere, err := s.emailsElsewhere(ctx, tx, a, []string{email}); err != nil {
			return err
		} else if o := elsewhere[email]; o != nil {
			return emailConflict(u.PrimaryEmail, a, o)
		}
		out = u
		return s.putUser(ctx, tx, "CreateUser", nil, u)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UserUpdate holds the changes of UpdateUser and of one BatchUpdateUser item;
// nil fields stay as they are.
type UserUpdate struct {
	UserID           string
	LicenseType      *License
	UserType         *UserType
	AlexaForBusiness *AlexaForBusinessUpdate
}

// AlexaForBusinessUpdate changes the user's Alexa for Business metadata.
type AlexaForBusinessUpdate struct {
	Enabled *bool
	RoomArn *string
}

// apply checks the whole update against a and u and then changes u, so an
// update is applied entirely or not at all. The documentation says only
// LicenseType changes are supported; the model has UserType and
// AlexaForBusinessMetadata too, and OpenChime applies them (inferred).
func (up *UserUpdate) apply(a *Account, u *User) error {
	if up.LicenseType != nil {
		if err := checkLicense(a, "LicenseType", *up.LicenseType); err != nil {
			return err
		}
	}
	if up.UserType != nil && !up.UserType.Valid() {
		return Errorf(BadRequest, "UserType %q is not one of PrivateUser, SharedDevice.", *up.UserType)
	}
	if up.LicenseType != nil {
		u.LicenseType = *up.LicenseType
	}
	if up.UserType != nil {
		u.UserType = *up.UserType
	}
	if m := up.AlexaForBusiness; m != nil {
		if m.Enabled != nil {
			u.AlexaForBusiness.Enabled = *m.Enabled
		}
		if m.RoomArn != nil {
			u.AlexaForBusiness.RoomArn = *m.RoomArn
		}
	}
	return nil
}

// UpdateUser changes one user's licence (the account must support it, else
// BadRequest), type or Alexa for Business metadata, and returns the whole
// user (semantics Q6 default).
func (s *Service) UpdateUser(ctx context.Context, accountID string, up UserUpdate) (*User, error) {
	var out *User
	err := s.updateRows(ctx, func(tx Tx) error {
		a, u, err := s.userForWrite(ctx, tx, accountID, up.UserID)
		if err != nil {
			return err
		}
		before := u.Clone()
		if err := up.apply(a, u); err != nil {
			return err
		}
		out = u
		return s.putUser(ctx, tx, "UpdateUser", before, u)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// maxBatchUpdate is the model's maximum of UpdateUserRequestItems.
const maxBatchUpdate = 20

// BatchUpdateUser applies up to 20 updates in one transaction. Each item is
// applied entirely or not at all; a failing item is reported in UserErrors
// (unknown or removed user: NotFound; unsupported licence: BadRequest) and the
// others still apply. Items run in order, so of two items for the same user
// the last wins where they differ (inferred). An empty list is BadRequest
// (inferred).
func (s *Service) BatchUpdateUser(ctx context.Context, accountID string, items []UserUpdate) ([]UserError, error) {
	if len(items) == 0 || len(items) > maxBatchUpdate {
		return nil, Errorf(BadRequest, "UpdateUserRequestItems must hold 1 to %d items (it has %d).", maxBatchUpdate, len(items))
	}
	errs := []UserError{}
	awsAccount := s.awsAccount(ctx)
	faults := s.perUserFaults("BatchUpdateUser", awsAccount, accountID, len(items))
	ids := make([]string, len(items))
	for i := range items {
		ids[i] = items[i].UserID
	}
	ids = distinct(ids)
	err := s.updateRows(ctx, func(tx Tx) error {
		errs = errs[:0]
		var changes []AuditChange
		a, err := s.writableAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		// Read every named user at once; an item then sees what the items
		// before it wrote, as when each read the store.
		current, err := usersByID(ctx, tx, accountID, ids)
		if err != nil {
			return err
		}
		var changed []*User
		for i := range items {
			up := &items[i]
			if ue := faults.forUser(i, up.UserID); ue != nil {
				errs = append(errs, *ue)
				continue
			}
			before := current[up.UserID]
			if before == nil || before.Removed() {
				errs = append(errs, UserError{UserID: up.UserID, Code: NotFound, Message: ErrorMessage(userNotFound(accountID, up.UserID))})
				continue
			}
			u := before.Clone()
			err := up.apply(a, u)
			if c := ErrorCode(err); c == NotFound || c == BadRequest {
				errs = append(errs, UserError{UserID: up.UserID, Code: c, Message: ErrorMessage(err)})
				continue
			}
			if err != nil {
				return err
			}
			current[up.UserID] = u
			changed = append(changed, u)
			changes = append(changes, UserChange(before, u))
		}
		if err := putUsersInOrder(ctx, tx, lastOfEach(changed)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "BatchUpdateUser", accountID, changes...)
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// userForWrite returns a user, who is not removed, of an account that may be
// changed.
func (s *Service) userForWrite(ctx context.Context, tx ReadTx, accountID, userID string) (*Account, *User, error) {
	a, err := s.writableAccount(ctx, tx, accountID)
	if err != nil {
		return nil, nil, err
	}
	u, err := visibleUser(ctx, tx, accountID, userID)
	if err != nil {
		return nil, nil, err
	}
	return a, u, nil
}

// LogoutUser signs the user out of every device. Nothing the API shows
// changes; the time is kept as LastLogoutAt, which the control plane shows.
func (s *Service) LogoutUser(ctx context.Context, accountID, userID string) error {
	now := s.now()
	return s.updateRows(ctx, func(tx Tx) error {
		_, u, err := s.userForWrite(ctx, tx, accountID, userID)
		if err != nil {
			return err
		}
		before := u.Clone()
		u.LastLogoutAt = now
		return s.putUser(ctx, tx, "LogoutUser", before, u)
	})
}

// pinLength is the length of a personal PIN, as the console shows it.
const pinLength = 10

// ResetPersonalPIN gives the user a new random 10-digit PIN that differs from
// the old one (inferred) and returns the user. The PIN comes from the
// Service's IDGen, so a seeded server hands out the same PINs every run.
func (s *Service) ResetPersonalPIN(ctx context.Context, accountID, userID string) (*User, error) {
	var out *User
	err := s.updateRows(ctx, func(tx Tx) error {
		_, u, err := s.userForWrite(ctx, tx, accountID, userID)
		if err != nil {
			return err
		}
		before := u.Clone()
		old := u.PersonalPIN
		// A repeat has odds of 1 in 10^10 per draw; the bound only guards
		// against an IDGen that always answers the same.
		for i := 0; i < 8 && u.PersonalPIN == old; i++ {
			u.PersonalPIN = s.IDs.Digits(pinLength)
		}
		if u.PersonalPIN == old {
			return Errorf(ServiceFailure, "could not draw a personal PIN different from the old one")
		}
		out = u
		return s.putUser(ctx, tx, "ResetPersonalPIN", before, u)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetUserSettings returns the user's telephony permissions; a new user has
// all three allowed (DefaultUserSettings).
func (s *Service) GetUserSettings(ctx context.Context, accountID, userID string) (UserSettings, error) {
	var out UserSettings
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := s.visibleAccount(ctx, tx, accountID); err != nil {
			return err
		}
		u, err := visibleUser(ctx, tx, accountID, userID)
		if err != nil {
			return err
		}
		out = u.Settings
		return nil
	})
	return out, err
}

// UserSettingsUpdate holds the changes of UpdateUserSettings; nil fields keep
// their value. (The wire requires all three, so through the API the settings
// are replaced as a whole.)
type UserSettingsUpdate struct {
	InboundCalling  *bool
	OutboundCalling *bool
	SMS             *bool
}

// UpdateUserSettings changes the user's telephony permissions.
func (s *Service) UpdateUserSettings(ctx context.Context, accountID, userID string, up UserSettingsUpdate) error {
	return s.updateRows(ctx, func(tx Tx) error {
		_, u, err := s.userForWrite(ctx, tx, accountID, userID)
		if err != nil {
			return err
		}
		before := u.Clone()
		if up.InboundCalling != nil {
			u.Settings.InboundCalling = *up.InboundCalling
		}
		if up.OutboundCalling != nil {
			u.Settings.OutboundCalling = *up.OutboundCalling
		}
		if up.SMS != nil {
			u.Settings.SMS = *up.SMS
		}
		return s.putUser(ctx, tx, "UpdateUserSettings", before, u)
	})
}

// adminAccount returns any account that is not deleted, of any AWS account:
// the control plane's view.
func adminAccount(ctx context.Context, tx ReadTx, id string) (*Account, error) {
	a, err := tx.Account(ctx, id)
	if IsCode(err, NotFound) || (err == nil && a.Deleted()) {
		return nil, accountNotFound(id)
	}
	return a, err
}

// AdminRegisterUser is the invitee accepting the invitation, or a directory
// user signing in for the first time: the "Register" transition of the user
// state machine (Unregistered → Registered, RegisteredOn now, a pending
// invitation Accepted). It happens outside the API, so only the control plane
// calls it, and a suspended account does not stop it. A user in any other
// status is returned unchanged (decision D3: no-op transitions are silent).
func (s *Service) AdminRegisterUser(ctx context.Context, accountID, userID string) (*User, error) {
	now := s.now()
	var out *User
	err := s.updateRows(ctx, func(tx Tx) error {
		if _, err := adminAccount(ctx, tx, accountID); err != nil {
			return err
		}
		u, err := visibleUser(ctx, tx, accountID, userID)
		if err != nil {
			return err
		}
		before := u.Clone()
		out = u
		next, changed := RegisterUser.next(u.RegistrationStatus)
		if !changed {
			return nil
		}
		u.RegistrationStatus, u.RegisteredOn = next, now
		if u.InvitationStatus == InvitePending {
			u.InvitationStatus = InviteAccepted
		}
		return s.putUser(ctx, tx, RegisterUser.Operation(), before, u)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AdminGetUser returns a user with its internal fields, of any AWS account,
// removed users and users of deleted accounts included.
func (s *Service) AdminGetUser(ctx context.Context, accountID, userID string) (*User, error) {
	var out *User
	err := s.Store.View(ctx, func(tx ReadTx) (err error) {
		out, err = tx.User(ctx, accountID, userID)
		if IsCode(err, NotFound) {
			return userNotFound(accountID, userID)
		}
		return err
	})
	return out, err
}

// AdminSetClaimedDomains replaces the domains an Enterprise account claims,
// standing in for the console's claim and release. Users whose address is in
// a released domain become Suspended, as releasing a domain suspended its
// users on the real service (semantics 2.3 DeleteAccount).
func (s *Service) AdminSetClaimedDomains(ctx context.Context, accountID string, domains []string) (*Account, error) {
	var out *Account
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := adminAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		before := a.Clone()
		var changes []AuditChange
		old := a.ClaimedDomains
		a.ClaimedDomains = normalizeDomains(domains)
		if err := a.Validate(); err != nil {
			return err
		}
		var released []string
		for _, d := range old {
			if !slices.Contains(a.ClaimedDomains, d) {
				released = append(released, "@"+d)
			}
		}
		if len(released) > 0 {
			users, err := tx.Users(ctx, UserFilter{AccountID: a.ID})
			if err != nil {
				return err
			}
			for _, u := range users {
				email := NormalizeEmail(u.PrimaryEmail)
				if u.RegistrationStatus == Suspended || !slices.ContainsFunc(released, func(d string) bool { return strings.HasSuffix(email, d) }) {
					continue
				}
				b := u.Clone()
				u.RegistrationStatus = Suspended
				if err := tx.PutUser(ctx, u); err != nil {
					return err
				}
				changes = append(changes, UserChange(b, u))
			}
		}
		out = a
		if err := tx.PutAccount(ctx, a); err != nil {
			return err
		}
		return s.audit(ctx, tx, "AdminSetClaimedDomains", a.ID, append([]AuditChange{AccountChange(before, a)}, changes...)...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// normalizeDomains lowercases and trims domains and drops repeats; none is nil.
func normalizeDomains(domains []string) []string {
	var out []string
	for _, d := range domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}
