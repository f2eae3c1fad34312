package openchime

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/openchime/openchime/internal/jsonenc"
)

// The audit log writes one event per change request, with the before and
// after state of every user a batch changed. Encoding those with
// encoding/json by reflection, and then having it re-validate the embedded
// states, cost most of a 50-user batch's CPU; these appenders write the same
// bytes json.Marshal would (audit_json_test.go checks that) directly.

// appendJSONString appends s as json.Marshal encodes it (HTML escaping on).
func appendJSONString(b []byte, s string) []byte { return jsonenc.AppendString(b, s, true) }

func appendJSONTime(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y >= 10000 {
		q, _ := json.Marshal(t) // json.Marshal's own error text; never for our times
		return append(b, q...)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendField(b []byte, name string) []byte {
	if len(b) > 0 && b[len(b)-1] != '{' && b[len(b)-1] != '[' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// userJSONSize is about what one user's JSON takes, so its buffer grows once
// at most.
const userJSONSize = 640

// sizeHint is about the length of the event's JSON.
func (e *AuditEvent) sizeHint() int {
	n := 256 + 40*len(e.UserIDs)
	for _, c := range e.Changes {
		n += 64 + len(c.Before) + len(c.After)
	}
	return n
}

// appendJSONStringOrNull appends s, or null for "": an unset field in an
// update's state.
func appendJSONStringOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

// appendJSONTimeOrNull appends t, or null for the zero time.
func appendJSONTimeOrNull(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	return appendJSONTime(b, t)
}

// appendOptString appends the member name: s unless s is "" (omitempty).
func appendOptString(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(appendField(b, name), s)
}

// appendOptTime appends the member name: t unless t is zero (omitzero).
func appendOptTime(b []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return appendJSONTime(appendField(b, name), t)
}

// appendUserJSON appends u in the format (docs/formats.md), as
// json.Marshal(ToUserRecord(u)) would.
func appendUserJSON(b []byte, u *User) []byte {
	b = append(b, '{')
	b = appendJSONString(appendField(b, "UserId"), u.ID)
	b = appendJSONString(appendField(b, "AccountId"), u.AccountID)
	b = appendJSONString(appendField(b, "PrimaryEmail"), u.PrimaryEmail)
	b = appendOptString(b, "DisplayName", u.DisplayName)
	b = appendOptString(b, "LicenseType", string(u.LicenseType))
	b = appendOptString(b, "UserType", string(u.UserType))
	b = appendOptString(b, "UserRegistrationStatus", string(u.RegistrationStatus))
	b = appendOptString(b, "UserInvitationStatus", string(u.InvitationStatus))
	b = appendOptTime(b, "RegisteredOn", u.RegisteredOn)
	b = appendOptTime(b, "InvitedOn", u.InvitedOn)
	b = appendOptString(b, "PersonalPIN", u.PersonalPIN)
	if u.AlexaForBusiness != (AlexaForBusiness{}) {
		b = append(appendField(b, "AlexaForBusinessMetadata"), '{')
		b = strconv.AppendBool(appendField(b, "IsAlexaForBusinessEnabled"), u.AlexaForBusiness.Enabled)
		b = appendOptString(b, "AlexaForBusinessRoomArn", u.AlexaForBusiness.RoomArn)
		b = append(b, '}')
	}
	b = appendOptString(b, "PrimaryProvisionedNumber", u.ProvisionedNumber)
	b = appendOptTime(b, "CreatedTimestamp", u.CreatedAt)
	b = appendOptTime(b, "RemovedTimestamp", u.RemovedAt)
	b = appendOptTime(b, "LastLogoutTimestamp", u.LastLogoutAt)
	b = append(appendField(b, "UserSettings"), '{')
	b = append(appendField(b, "Telephony"), '{')
	b = strconv.AppendBool(appendField(b, "InboundCalling"), u.Settings.InboundCalling)
	b = strconv.AppendBool(appendField(b, "OutboundCalling"), u.Settings.OutboundCalling)
	b = strconv.AppendBool(appendField(b, "SMS"), u.Settings.SMS)
	b = append(b, '}', '}')
	return append(b, '}')
}

// appendJSON appends the event in the format (docs/formats.md), as
// json.Marshal(toAuditEventRecord(e)) would; the states of its changes are
// already JSON and are copied as they are.
func (e *AuditEvent) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = strconv.AppendInt(appendField(b, "FormatVersion"), FormatVersion, 10)
	b = appendJSONString(appendField(b, "EventId"), e.ID)
	b = appendJSONTime(appendField(b, "Time"), e.Time)
	if e.RequestID != "" {
		b = appendJSONString(appendField(b, "RequestId"), e.RequestID)
	}
	b = appendJSONString(appendField(b, "AwsAccountId"), e.AwsAccountID)
	if e.AccessKeyID != "" {
		b = appendJSONString(appendField(b, "AccessKeyId"), e.AccessKeyID)
	}
	b = appendJSONString(appendField(b, "Operation"), e.Operation)
	if e.AccountID != "" {
		b = appendJSONString(appendField(b, "AccountId"), e.AccountID)
	}
	if len(e.UserIDs) > 0 {
		b = append(appendField(b, "UserIds"), '[')
		for i, id := range e.UserIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, id)
		}
		b = append(b, ']')
	}
	if len(e.Changes) > 0 {
		b = append(appendField(b, "Changes"), '[')
		for i, c := range e.Changes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			b = appendJSONString(appendField(b, "Kind"), c.Kind)
			b = appendJSONString(appendField(b, "Id"), c.ID)
			if len(c.Before) > 0 {
				b = append(appendField(b, "Before"), c.Before...)
			}
			if len(c.After) > 0 {
				b = append(appendField(b, "After"), c.After...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if e.ChangesOmitted != 0 {
		b = strconv.AppendInt(appendField(b, "ChangesOmitted"), int64(e.ChangesOmitted), 10)
	}
	return append(b, '}')
}

// appendUserDiffJSON appends, as two JSON objects, the fields in which b and
// a differ: an update's audit states, which a 50-user batch writes for every
// user, carry only what changed (decision of the audit log: full states on
// creation and removal, changed fields on update). Names are the format's; a
// field unset on one side (an empty string, a zero time) is null there.
func appendUserDiffJSON(bb, ab []byte, b, a *User) ([]byte, []byte) {
	bb, ab = append(bb, '{'), append(ab, '{')
	str := func(name, x, y string) {
		if x != y {
			bb, ab = appendJSONStringOrNull(appendField(bb, name), x), appendJSONStringOrNull(appendField(ab, name), y)
		}
	}
	tm := func(name string, x, y time.Time) {
		if !x.Equal(y) {
			bb, ab = appendJSONTimeOrNull(appendField(bb, name), x), appendJSONTimeOrNull(appendField(ab, name), y)
		}
	}
	boolean := func(name string, x, y bool) {
		if x != y {
			bb, ab = strconv.AppendBool(appendField(bb, name), x), strconv.AppendBool(appendField(ab, name), y)
		}
	}
	str("UserId", b.ID, a.ID)
	str("AccountId", b.AccountID, a.AccountID)
	str("PrimaryEmail", b.PrimaryEmail, a.PrimaryEmail)
	str("DisplayName", b.DisplayName, a.DisplayName)
	str("LicenseType", string(b.LicenseType), string(a.LicenseType))
	str("UserType", string(b.UserType), string(a.UserType))
	str("UserRegistrationStatus", string(b.RegistrationStatus), string(a.RegistrationStatus))
	str("UserInvitationStatus", string(b.InvitationStatus), string(a.InvitationStatus))
	tm("RegisteredOn", b.RegisteredOn, a.RegisteredOn)
	tm("InvitedOn", b.InvitedOn, a.InvitedOn)
	if b.PersonalPIN != a.PersonalPIN {
		// The PIN is a secret: the log says it changed, not what it is.
		bb, ab = appendJSONString(appendField(bb, "PersonalPIN"), "redacted"), appendJSONString(appendField(ab, "PersonalPIN"), "redacted")
	}
	if b.AlexaForBusiness != a.AlexaForBusiness {
		bb = append(appendField(bb, "AlexaForBusinessMetadata"), '{')
		ab = append(appendField(ab, "AlexaForBusinessMetadata"), '{')
		boolean("IsAlexaForBusinessEnabled", b.AlexaForBusiness.Enabled, a.AlexaForBusiness.Enabled)
		str("AlexaForBusinessRoomArn", b.AlexaForBusiness.RoomArn, a.AlexaForBusiness.RoomArn)
		bb, ab = append(bb, '}'), append(ab, '}')
	}
	str("PrimaryProvisionedNumber", b.ProvisionedNumber, a.ProvisionedNumber)
	tm("CreatedTimestamp", b.CreatedAt, a.CreatedAt)
	tm("RemovedTimestamp", b.RemovedAt, a.RemovedAt)
	tm("LastLogoutTimestamp", b.LastLogoutAt, a.LastLogoutAt)
	if b.Settings != a.Settings {
		bb = append(appendField(append(appendField(bb, "UserSettings"), '{'), "Telephony"), '{')
		ab = append(appendField(append(appendField(ab, "UserSettings"), '{'), "Telephony"), '{')
		boolean("InboundCalling", b.Settings.InboundCalling, a.Settings.InboundCalling)
		boolean("OutboundCalling", b.Settings.OutboundCalling, a.Settings.OutboundCalling)
		boolean("SMS", b.Settings.SMS, a.Settings.SMS)
		bb, ab = append(bb, '}', '}'), append(ab, '}', '}')
	}
	return append(bb, '}'), append(ab, '}')
}
