package openchime

import (
	"strings"
	"time"
)

// RegistrationStatus is where a user stands in the account.
type RegistrationStatus string

// The registration statuses of the model.
const (
	Unregistered RegistrationStatus = "Unregistered"
	Registered   RegistrationStatus = "Registered"
	Suspended    RegistrationStatus = "Suspended"
)

// Valid reports whether s is one of the model's registration statuses.
func (s RegistrationStatus) Valid() bool {
	return s == Unregistered || s == Registered || s == Suspended
}

// InvitationStatus is the state of a Team user's invitation.
type InvitationStatus string

// The invitation statuses of the model.
const (
	InvitePending  InvitationStatus = "Pending"
	InviteAccepted InvitationStatus = "Accepted"
	InviteFailed   InvitationStatus = "Failed"
)

// UserType is the kind of a user.
type UserType string

// The user types of the model.
const (
	PrivateUser  UserType = "PrivateUser"
	SharedDevice UserType = "SharedDevice"
)

// Valid reports whether t is one of the model's user types.
func (t UserType) Valid() bool { return t == PrivateUser || t == SharedDevice }

// User is a member of a Chime account.
type User struct {
	ID                 string
	AccountID          string
	PrimaryEmail       string
	DisplayName        string
	LicenseType        License
	UserType           UserType
	RegistrationStatus RegistrationStatus
	InvitationStatus   InvitationStatus
	RegisteredOn       time.Time
	InvitedOn          time.Time
	PersonalPIN        string
	AlexaForBusiness   AlexaForBusiness
	ProvisionedNumber  string
	CreatedAt          time.Time
	// RemovedAt is set when BatchSuspendUser removed the user from a Team
	// account: the row stays as a tombstone so a re-invite restores the same
	// user id (decision D4).
	RemovedAt    time.Time
	LastLogoutAt time.Time
	Settings     UserSettings
}

// AlexaForBusiness is the user's Alexa for Business metadata.
type AlexaForBusiness struct {
	Enabled bool
	RoomArn string
}

// UserSettings are the user's telephony permissions.
type UserSettings struct {
	InboundCalling  bool
	OutboundCalling bool
	SMS             bool
}

// DefaultUserSettings are the settings of a new user: everything allowed
// (inferred from the CLI example of GetUserSettings, semantics.md 2.3).
var DefaultUserSettings = UserSettings{InboundCalling: true, OutboundCalling: true, SMS: true}

// Removed reports whether the user was removed from a Team account.
func (u *User) Removed() bool { return !u.RemovedAt.IsZero() }

// Clone returns a copy.
func (u *User) Clone() *User { c := *u; return &c }

// NormalizeEmail is the form under which emails are compared: addresses match
// case-insensitively (decision D6).
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Validate checks the invariants of a user record.
func (u *User) Validate() error {
	switch {
	case u.ID == "" || u.AccountID == "":
		return Errorf(BadRequest, "user id and account id are required")
	case !u.RegistrationStatus.Valid():
		return Errorf(BadRequest, "user registration status %q is not one of Unregistered, Registered, Suspended", u.RegistrationStatus)
	case !u.UserType.Valid():
		return Errorf(BadRequest, "user type %q is not one of PrivateUser, SharedDevice", u.UserType)
	case !u.LicenseType.Valid():
		return Errorf(BadRequest, "license %q is not one of Basic, Plus, Pro, ProTrial", u.LicenseType)
	}
	return nil
}

// transition is one edge of the user state machine.
type transition struct {
	op   string
	from RegistrationStatus
}

// transitions is the user state machine as a table: for each operation and
// current status, the status the user ends in. A pair that is missing means
// the operation leaves the user unchanged (decision D3: no-op transitions are
// silent, never an error).
var transitions = map[transition]RegistrationStatus{
	{"BatchSuspendUser", Registered}:   Suspended,
	{"BatchSuspendUser", Unregistered}: Suspended,
	{"BatchUnsuspendUser", Suspended}:  Registered,
	{"Register", Unregistered}:         Registered,
}

// nextStatus returns the status op moves a user in status from to, and
// whether it changes anything.
func nextStatus(op string, from RegistrationStatus) (RegistrationStatus, bool) {
	to, ok := transitions[transition{op, from}]
	return to, ok
}
