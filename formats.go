package openchime

import (
	"encoding/json"
	"time"
)

// The JSON format of snapshots and audit events (docs/formats.md): the
// API's member names (AccountId, AwsAccountId, UserId, PrimaryEmail, ...),
// RFC 3339 times, and a member left out rather than written as a zero
// value. Snapshot files and audit events carry FormatVersion; the records
// below are the shapes of that format, kept apart from the domain structs,
// whose Go field names the log store's codec persists. Accounts and users
// are in the same shape in both: audit events keep their states, and
// package snapshot writes them (AccountRecord, UserRecord).

// FormatVersion is the version of the snapshot and audit-event format this
// build writes. It reads this one and the unversioned one before it (Go
// field names, zero times): a snapshot with "Version": 1, an audit event
// without FormatVersion.
const FormatVersion = 2

// AccountRecord is an Account in the format.
type AccountRecord struct {
	AccountId            string
	AwsAccountId         string
	Name                 string
	AccountType          AccountType   `json:",omitempty"`
	AccountStatus        AccountStatus `json:",omitempty"`
	DefaultLicense       License       `json:",omitempty"`
	SupportedLicenses    []License     `json:",omitempty"`
	SigninDelegateGroups []string      `json:",omitempty"`
	ClaimedDomains       []string      `json:",omitempty"`
	CreatedTimestamp     time.Time     `json:",omitzero"`
	DeletedTimestamp     time.Time     `json:",omitzero"`
	AccountSettings      AccountSettings
}

// ToAccountRecord returns a in the format.
func ToAccountRecord(a *Account) AccountRecord {
	return AccountRecord{
		AccountId: a.ID, AwsAccountId: a.AwsAccountID, Name: a.Name, AccountType: a.Type, AccountStatus: a.Status,
		DefaultLicense: a.DefaultLicense, SupportedLicenses: a.SupportedLicenses, SigninDelegateGroups: a.SigninDelegateGroups,
		ClaimedDomains: a.ClaimedDomains, CreatedTimestamp: a.CreatedAt, DeletedTimestamp: a.DeletedAt, AccountSettings: a.Settings,
	}
}

// Account returns the account r describes.
func (r *AccountRecord) Account() *Account {
	return &Account{
		ID: r.AccountId, AwsAccountID: r.AwsAccountId, Name: r.Name, Type: r.AccountType, Status: r.AccountStatus,
		DefaultLicense: r.DefaultLicense, SupportedLicenses: r.SupportedLicenses, SigninDelegateGroups: r.SigninDelegateGroups,
		ClaimedDomains: r.ClaimedDomains, CreatedAt: r.CreatedTimestamp, DeletedAt: r.DeletedTimestamp, Settings: r.AccountSettings,
	}
}

// UserRecord is a User in the format; the audit log's appendUserJSON
// writes the same bytes json.Marshal writes of it.
type UserRecord struct {
	UserId                   string
	AccountId                string
	PrimaryEmail             string
	DisplayName              string             `json:",omitempty"`
	LicenseType              License            `json:",omitempty"`
	UserType                 UserType           `json:",omitempty"`
	UserRegistrationStatus   RegistrationStatus `json:",omitempty"`
	UserInvitationStatus     InvitationStatus   `json:",omitempty"`
	RegisteredOn             time.Time          `json:",omitzero"`
	InvitedOn                time.Time          `json:",omitzero"`
	PersonalPIN              string             `json:",omitempty"`
	AlexaForBusinessMetadata *alexaRecord       `json:",omitempty"`
	PrimaryProvisionedNumber string             `json:",omitempty"`
	CreatedTimestamp         time.Time          `json:",omitzero"`
	RemovedTimestamp         time.Time          `json:",omitzero"`
	LastLogoutTimestamp      time.Time          `json:",omitzero"`
	UserSettings             userSettingsRecord
}

// alexaRecord is the API's AlexaForBusinessMetadata.
type alexaRecord struct {
	IsAlexaForBusinessEnabled bool
	AlexaForBusinessRoomArn   string `json:",omitempty"`
}

// userSettingsRecord is the API's UserSettings.
type userSettingsRecord struct {
	Telephony UserSettings
}

// ToUserRecord returns u in the format.
func ToUserRecord(u *User) UserRecord {
	r := UserRecord{
		UserId: u.ID, AccountId: u.AccountID, PrimaryEmail: u.PrimaryEmail, DisplayName: u.DisplayName,
		LicenseType: u.LicenseType, UserType: u.UserType, UserRegistrationStatus: u.RegistrationStatus,
		UserInvitationStatus: u.InvitationStatus, RegisteredOn: u.RegisteredOn, InvitedOn: u.InvitedOn,
		PersonalPIN: u.PersonalPIN, PrimaryProvisionedNumber: u.ProvisionedNumber, CreatedTimestamp: u.CreatedAt,
		RemovedTimestamp: u.RemovedAt, LastLogoutTimestamp: u.LastLogoutAt, UserSettings: userSettingsRecord{u.Settings},
	}
	if u.AlexaForBusiness != (AlexaForBusiness{}) {
		r.AlexaForBusinessMetadata = &alexaRecord{u.AlexaForBusiness.Enabled, u.AlexaForBusiness.RoomArn}
	}
	return r
}

// User returns the user r describes.
func (r *UserRecord) User() *User {
	u := &User{
		ID: r.UserId, AccountID: r.AccountId, PrimaryEmail: r.PrimaryEmail, DisplayName: r.DisplayName,
		LicenseType: r.LicenseType, UserType: r.UserType, RegistrationStatus: r.UserRegistrationStatus,
		InvitationStatus: r.UserInvitationStatus, RegisteredOn: r.RegisteredOn, InvitedOn: r.InvitedOn,
		PersonalPIN: r.PersonalPIN, ProvisionedNumber: r.PrimaryProvisionedNumber, CreatedAt: r.CreatedTimestamp,
		RemovedAt: r.RemovedTimestamp, LastLogoutAt: r.LastLogoutTimestamp, Settings: r.UserSettings.Telephony,
	}
	if m := r.AlexaForBusinessMetadata; m != nil {
		u.AlexaForBusiness = AlexaForBusiness{Enabled: m.IsAlexaForBusinessEnabled, RoomArn: m.AlexaForBusinessRoomArn}
	}
	return u
}

// AuditEventRecord is an AuditEvent in the format (docs/formats.md): what
// the log stores, --audit-file writes and GET /_openchime/audit lists (and a
// Go client decodes, as httpapi.AuditEvent). appendJSON writes the same bytes
// json.Marshal writes of it.
type AuditEventRecord struct {
	FormatVersion  int
	EventId        string
	Time           time.Time
	RequestId      string `json:",omitempty"`
	AwsAccountId   string
	AccessKeyId    string `json:",omitempty"`
	Operation      string
	AccountId      string              `json:",omitempty"`
	UserIds        []string            `json:",omitempty"`
	Changes        []AuditChangeRecord `json:",omitempty"`
	ChangesOmitted int                 `json:",omitempty"`
}

// AuditChangeRecord is an AuditChange in the format.
type AuditChangeRecord struct {
	Kind   string
	Id     string
	Before json.RawMessage `json:",omitempty"`
	After  json.RawMessage `json:",omitempty"`
}

func toAuditEventRecord(e *AuditEvent) AuditEventRecord {
	r := AuditEventRecord{
		FormatVersion: FormatVersion, EventId: e.ID, Time: e.Time, RequestId: e.RequestID, AwsAccountId: e.AwsAccountID,
		AccessKeyId: e.AccessKeyID, Operation: e.Operation, AccountId: e.AccountID, UserIds: e.UserIDs,
		ChangesOmitted: e.ChangesOmitted,
	}
	for _, c := range e.Changes {
		r.Changes = append(r.Changes, AuditChangeRecord{Kind: c.Kind, Id: c.ID, Before: c.Before, After: c.After})
	}
	return r
}

// MarshalJSON writes the event in the format (FormatVersion 2).
func (e *AuditEvent) MarshalJSON() ([]byte, error) {
	return e.appendJSON(make([]byte, 0, e.sizeHint())), nil
}

// AuditEventPrefix starts every audit event in the format, and no event
// written before it.
var AuditEventPrefix = []byte(`{"FormatVersion":`)

// ParseAuditEvent reads an audit event as the log stores it: in the format,
// or in the unversioned form before it, whose states it converts, so every
// event reads back in the format.
func ParseAuditEvent(data []byte) (*AuditEvent, error) {
	var r AuditEventRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	if r.FormatVersion == 0 {
		return parseLegacyAuditEvent(data)
	}
	e := &AuditEvent{
		ID: r.EventId, Time: r.Time, RequestID: r.RequestId, AwsAccountID: r.AwsAccountId, AccessKeyID: r.AccessKeyId,
		Operation: r.Operation, AccountID: r.AccountId, UserIDs: r.UserIds, ChangesOmitted: r.ChangesOmitted,
	}
	if len(r.Changes) > 0 {
		e.Changes = make([]AuditChange, len(r.Changes))
		for i, c := range r.Changes {
			e.Changes[i] = AuditChange{Kind: c.Kind, ID: c.Id, Before: c.Before, After: c.After}
		}
	}
	return e, nil
}

// parseLegacyAuditEvent reads an event written before FormatVersion (Go
// field names) and converts its states to the format: whole states through
// the domain structs, an update's changed fields by renaming them.
func parseLegacyAuditEvent(data []byte) (*AuditEvent, error) {
	type goNames AuditEvent // the struct's own names, without UnmarshalJSON
	var g goNames
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, err
	}
	e := AuditEvent(g)
	if len(e.Changes) == 0 {
		e.Changes = nil
	}
	for i, c := range e.Changes {
		switch {
		case c.Kind == "account":
			c.Before, c.After = legacyAccountState(c.Before), legacyAccountState(c.After)
		case c.Kind == "user" && len(c.Before) > 0 && len(c.After) > 0:
			c.Before, c.After = legacyUserDiff(c.Before), legacyUserDiff(c.After)
		case c.Kind == "user":
			c.Before, c.After = legacyUserState(c.Before), legacyUserState(c.After)
		}
		e.Changes[i] = c
	}
	return &e, nil
}

// UnmarshalJSON reads an event of either form, as ParseAuditEvent does.
func (e *AuditEvent) UnmarshalJSON(data []byte) error {
	p, err := ParseAuditEvent(data)
	if err != nil {
		return err
	}
	*e = *p
	return nil
}

func legacyAccountState(raw json.RawMessage) json.RawMessage {
	var a Account
	if len(raw) == 0 || json.Unmarshal(raw, &a) != nil {
		return raw
	}
	return mustJSON(ToAccountRecord(&a))
}

func legacyUserState(raw json.RawMessage) json.RawMessage {
	var u User
	if len(raw) == 0 || json.Unmarshal(raw, &u) != nil {
		return raw
	}
	return appendUserJSON(nil, &u)
}

// legacyUserNames maps the Go names of an old update's changed user fields
// to the format's.
var legacyUserNames = map[string]string{
	"ID": "UserId", "AccountID": "AccountId", "RegistrationStatus": "UserRegistrationStatus",
	"InvitationStatus": "UserInvitationStatus", "ProvisionedNumber": "PrimaryProvisionedNumber",
	"CreatedAt": "CreatedTimestamp", "RemovedAt": "RemovedTimestamp", "LastLogoutAt": "LastLogoutTimestamp",
}

// legacyUserDiff renames the members of an old update's state; a zero time
// becomes null, as the format writes an unset field in an update.
func legacyUserDiff(raw json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch k {
		case "AlexaForBusiness":
			var a map[string]json.RawMessage
			json.Unmarshal(v, &a)
			o := map[string]json.RawMessage{}
			if x, ok := a["Enabled"]; ok {
				o["IsAlexaForBusinessEnabled"] = x
			}
			if x, ok := a["RoomArn"]; ok {
				o["AlexaForBusinessRoomArn"] = x
			}
			out["AlexaForBusinessMetadata"] = o
			continue
		case "Settings":
			out["UserSettings"] = map[string]json.RawMessage{"Telephony": v}
			continue
		}
		if string(v) == `"0001-01-01T00:00:00Z"` || string(v) == `""` {
			v = json.RawMessage("null")
		}
		if n, ok := legacyUserNames[k]; ok {
			k = n
		}
		out[k] = v
	}
	return mustJSON(out)
}
