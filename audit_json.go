package openchime

import (
	"encoding/json"
	"strconv"
	"time"
)

// The audit log writes one event per change request, with the before and
// after state of every user a batch changed. Encoding those with
// encoding/json by reflection, and then having it re-validate the embedded
// states, cost most of a 50-user batch's CPU; these appenders write the same
// bytes json.Marshal would (audit_json_test.go checks that) directly.

// appendJSONString appends s as json.Marshal encodes it: plain ASCII is
// copied, anything that needs escaping goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

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

// appendUserJSON appends u as json.Marshal(u) would.
func appendUserJSON(b []byte, u *User) []byte {
	b = append(b, '{')
	b = appendJSONString(appendField(b, "ID"), u.ID)
	b = appendJSONString(appendField(b, "AccountID"), u.AccountID)
	b = appendJSONString(appendField(b, "PrimaryEmail"), u.PrimaryEmail)
	b = appendJSONString(appendField(b, "DisplayName"), u.DisplayName)
	b = appendJSONString(appendField(b, "LicenseType"), string(u.LicenseType))
	b = appendJSONString(appendField(b, "UserType"), string(u.UserType))
	b = appendJSONString(appendField(b, "RegistrationStatus"), string(u.RegistrationStatus))
	b = appendJSONString(appendField(b, "InvitationStatus"), string(u.InvitationStatus))
	b = appendJSONTime(appendField(b, "RegisteredOn"), u.RegisteredOn)
	b = appendJSONTime(appendField(b, "InvitedOn"), u.InvitedOn)
	b = appendJSONString(appendField(b, "PersonalPIN"), u.PersonalPIN)
	b = append(appendField(b, "AlexaForBusiness"), '{')
	b = strconv.AppendBool(appendField(b, "Enabled"), u.AlexaForBusiness.Enabled)
	b = appendJSONString(appendField(b, "RoomArn"), u.AlexaForBusiness.RoomArn)
	b = append(b, '}')
	b = appendJSONString(appendField(b, "ProvisionedNumber"), u.ProvisionedNumber)
	b = appendJSONTime(appendField(b, "CreatedAt"), u.CreatedAt)
	b = appendJSONTime(appendField(b, "RemovedAt"), u.RemovedAt)
	b = appendJSONTime(appendField(b, "LastLogoutAt"), u.LastLogoutAt)
	b = append(appendField(b, "Settings"), '{')
	b = strconv.AppendBool(appendField(b, "InboundCalling"), u.Settings.InboundCalling)
	b = strconv.AppendBool(appendField(b, "OutboundCalling"), u.Settings.OutboundCalling)
	b = strconv.AppendBool(appendField(b, "SMS"), u.Settings.SMS)
	b = append(b, '}')
	return append(b, '}')
}

// appendJSON appends the event as json.Marshal(e) would; the states of its
// changes are already JSON and are copied as they are.
func (e *AuditEvent) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendJSONString(appendField(b, "ID"), e.ID)
	b = appendJSONTime(appendField(b, "Time"), e.Time)
	if e.RequestID != "" {
		b = appendJSONString(appendField(b, "RequestID"), e.RequestID)
	}
	b = appendJSONString(appendField(b, "AwsAccountID"), e.AwsAccountID)
	if e.AccessKeyID != "" {
		b = appendJSONString(appendField(b, "AccessKeyID"), e.AccessKeyID)
	}
	b = appendJSONString(appendField(b, "Operation"), e.Operation)
	if e.AccountID != "" {
		b = appendJSONString(appendField(b, "AccountID"), e.AccountID)
	}
	if len(e.UserIDs) > 0 {
		b = append(appendField(b, "UserIDs"), '[')
		for i, id := range e.UserIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, id)
		}
		b = append(b, ']')
	}
	b = appendField(b, "Changes")
	if e.Changes == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range e.Changes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			b = appendJSONString(appendField(b, "Kind"), c.Kind)
			b = appendJSONString(appendField(b, "ID"), c.ID)
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
// creation and removal, changed fields on update).
func appendUserDiffJSON(bb, ab []byte, b, a *User) ([]byte, []byte) {
	bb, ab = append(bb, '{'), append(ab, '{')
	str := func(name, x, y string) {
		if x != y {
			bb, ab = appendJSONString(appendField(bb, name), x), appendJSONString(appendField(ab, name), y)
		}
	}
	tm := func(name string, x, y time.Time) {
		if !x.Equal(y) {
			bb, ab = appendJSONTime(appendField(bb, name), x), appendJSONTime(appendField(ab, name), y)
		}
	}
	boolean := func(name string, x, y bool) {
		if x != y {
			bb, ab = strconv.AppendBool(appendField(bb, name), x), strconv.AppendBool(appendField(ab, name), y)
		}
	}
	str("ID", b.ID, a.ID)
	str("AccountID", b.AccountID, a.AccountID)
	str("PrimaryEmail", b.PrimaryEmail, a.PrimaryEmail)
	str("DisplayName", b.DisplayName, a.DisplayName)
	str("LicenseType", string(b.LicenseType), string(a.LicenseType))
	str("UserType", string(b.UserType), string(a.UserType))
	str("RegistrationStatus", string(b.RegistrationStatus), string(a.RegistrationStatus))
	str("InvitationStatus", string(b.InvitationStatus), string(a.InvitationStatus))
	tm("RegisteredOn", b.RegisteredOn, a.RegisteredOn)
	tm("InvitedOn", b.InvitedOn, a.InvitedOn)
	if b.PersonalPIN != a.PersonalPIN {
		// The PIN is a secret: the log says it changed, not what it is.
		bb, ab = appendJSONString(appendField(bb, "PersonalPIN"), "redacted"), appendJSONString(appendField(ab, "PersonalPIN"), "redacted")
	}
	if b.AlexaForBusiness != a.AlexaForBusiness {
		bb = append(appendField(bb, "AlexaForBusiness"), '{')
		ab = append(appendField(ab, "AlexaForBusiness"), '{')
		boolean("Enabled", b.AlexaForBusiness.Enabled, a.AlexaForBusiness.Enabled)
		str("RoomArn", b.AlexaForBusiness.RoomArn, a.AlexaForBusiness.RoomArn)
		bb, ab = append(bb, '}'), append(ab, '}')
	}
	str("ProvisionedNumber", b.ProvisionedNumber, a.ProvisionedNumber)
	tm("CreatedAt", b.CreatedAt, a.CreatedAt)
	tm("RemovedAt", b.RemovedAt, a.RemovedAt)
	tm("LastLogoutAt", b.LastLogoutAt, a.LastLogoutAt)
	if b.Settings != a.Settings {
		bb = append(appendField(bb, "Settings"), '{')
		ab = append(appendField(ab, "Settings"), '{')
		boolean("InboundCalling", b.Settings.InboundCalling, a.Settings.InboundCalling)
		boolean("OutboundCalling", b.Settings.OutboundCalling, a.Settings.OutboundCalling)
		boolean("SMS", b.Settings.SMS, a.Settings.SMS)
		bb, ab = append(bb, '}'), append(ab, '}')
	}
	return append(bb, '}'), append(ab, '}')
}
