package openchime

import (
	"strconv"
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

// Transition is an operation of the user state machine. It is the key of the
// state table, and names the operation that applies it (for the audit log and
// injected faults).
type Transition uint8

// The transitions.
const (
	SuspendUsers   Transition = iota + 1 // BatchSuspendUser
	UnsuspendUsers                       // BatchUnsuspendUser
	RegisterUser                         // the control plane's register (an accepted invitation)
)

// Operation is the operation that applies t.
func (t Transition) Operation() string {
	switch t {
	case SuspendUsers:
		return "BatchSuspendUser"
	case UnsuspendUsers:
		return "BatchUnsuspendUser"
	case RegisterUser:
		return "AdminRegisterUser"
	}
	return "Transition(" + strconv.Itoa(int(t)) + ")"
}

// appliesTo reports whether the batch call of t applies to accounts of the
// type; on others each user gets a Forbidden item (decision D2).
func (t Transition) appliesTo(at AccountType) bool {
	switch t {
	case SuspendUsers:
		return at == EnterpriseLWA || at == Team
	case UnsuspendUsers:
		return at == EnterpriseLWA
	}
	return true
}

// removes reports whether t removes the user from an account of the type
// instead of changing the status: suspending a Team user (decision D4).
func (t Transition) removes(at AccountType) bool { return t == SuspendUsers && at == Team }

// transitions is the user state machine as a table: for each transition and
// current status, the status the user ends in. A pair that is missing means
// the transition leaves the user unchanged (decision D3: no-op transitions
// are silent, never an error). An array indexed by transition and status,
// not a map keyed by strings: a batch looks it up for each of its users.
var transitions = transitionTable(map[Transition]map[RegistrationStatus]RegistrationStatus{
	SuspendUsers:   {Registered: Suspended, Unregistered: Suspended},
	UnsuspendUsers: {Suspended: Registered},
	RegisterUser:   {Unregistered: Registered},
})

// transitionTable turns the table as written into the array next reads.
func transitionTable(m map[Transition]map[RegistrationStatus]RegistrationStatus) (t [RegisterUser + 1][numStatuses]RegistrationStatus) {
	for tr, edges := range m {
		for from, to := range edges {
			t[tr][statusIndex(from)] = to
		}
	}
	return t
}

// numStatuses counts the registration statuses statusIndex numbers.
const numStatuses = 3

// statusIndex numbers a registration status for the transition table, and
// -1 for a status that is not one.
func statusIndex(s RegistrationStatus) int {
	switch s {
	case Unregistered:
		return 0
	case Registered:
		return 1
	case Suspended:
		return 2
	}
	return -1
}

// next returns the status t moves a user in status from to, and whether it
// changes anything.
func (t Transition) next(from RegistrationStatus) (RegistrationStatus, bool) {
	i := statusIndex(from)
	if int(t) >= len(transitions) || i < 0 {
		return "", false
	}
	to := transitions[t][i]
	return to, to != ""
}
