package logstore

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unsafe"

	openchime "github.com/openchime/openchime"
)

// Records are encoded in a compact binary form that is at once the in-memory
// representation of a user (an immutable string), the body of a log entry and
// the body of a snapshot entry: a user is encoded once, when it is written,
// and decoding a read allocates only the User struct, since its strings are
// substrings of the record.
//
// Encoding: strings are uvarint length + bytes; times are varint Unix
// milliseconds with 0 for the zero time (the SQL stores keep milliseconds too);
// enums are one byte, an index into their table, or 0xff followed by the
// string for a value outside the table.

// errCorrupt reports a record that does not decode.
var errCorrupt = errors.New("logstore: corrupt record")

type encoder struct{ b []byte }

func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) bytes(s []byte) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) int(v int64) { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.int(0)
		return
	}
	e.int(t.UnixMilli())
}

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) enum(table []string, s string) {
	for i, v := range table {
		if v == s {
			e.b = append(e.b, byte(i))
			return
		}
	}
	e.b = append(e.b, 0xff)
	e.str(s)
}

// decoder reads from an immutable string so that decoded strings share it.
type decoder struct {
	s   string
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.s = ""
}

func (d *decoder) uint() uint64 {
	v, n := uvarintString(d.s)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.s = d.s[n:]
	return v
}

func (d *decoder) int() int64 {
	ux := d.uint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *decoder) str() string {
	n := d.uint()
	if n > uint64(len(d.s)) {
		d.fail()
		return ""
	}
	v := d.s[:n]
	d.s = d.s[n:]
	return v
}

func (d *decoder) time() time.Time {
	ms := d.int()
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (d *decoder) byte() byte {
	if len(d.s) == 0 {
		d.fail()
		return 0
	}
	b := d.s[0]
	d.s = d.s[1:]
	return b
}

func (d *decoder) bool() bool { return d.byte() != 0 }

func (d *decoder) enum(table []string) string {
	b := d.byte()
	if b == 0xff {
		return d.str()
	}
	if int(b) >= len(table) {
		d.fail()
		return ""
	}
	return table[b]
}

func uvarintString(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		b := s[i]
		if b < 0x80 {
			return x | uint64(b)<<shift, i + 1
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	return 0, -1
}

// bytesToString shares b's memory: b must never change afterwards. The
// snapshot loader uses it so that a million user records are one allocation.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

var (
	licenses      = []string{string(openchime.Basic), string(openchime.Plus), string(openchime.Pro), string(openchime.ProTrial)}
	userTypes     = []string{string(openchime.PrivateUser), string(openchime.SharedDevice)}
	registrations = []string{string(openchime.Unregistered), string(openchime.Registered), string(openchime.Suspended)}
	invitations   = []string{"", string(openchime.InvitePending), string(openchime.InviteAccepted), string(openchime.InviteFailed)}
)

// userFormat is the version of the user encoding, its first byte, so that a
// later field can be added without rewriting old logs.
const userFormat = 1

// encodeUser returns the record of u. It starts with CreatedAt and ID, the
// ordering key, so that comparisons decode only those.
func encodeUser(u *openchime.User) string { return string(appendUser(nil, u)) }

// appendUser appends the record of u to b.
func appendUser(b []byte, u *openchime.User) []byte {
	e := encoder{b: b}
	e.b = append(e.b, userFormat)
	e.time(u.CreatedAt)
	e.str(u.ID)
	e.str(u.PrimaryEmail)
	e.str(u.DisplayName)
	e.enum(licenses, string(u.LicenseType))
	e.enum(userTypes, string(u.UserType))
	e.enum(registrations, string(u.RegistrationStatus))
	e.enum(invitations, string(u.InvitationStatus))
	e.time(u.RegisteredOn)
	e.time(u.InvitedOn)
	e.str(u.PersonalPIN)
	e.bool(u.AlexaForBusiness.Enabled)
	e.str(u.AlexaForBusiness.RoomArn)
	e.str(u.ProvisionedNumber)
	e.time(u.RemovedAt)
	e.time(u.LastLogoutAt)
	e.b = append(e.b, b2(u.Settings.InboundCalling)|b2(u.Settings.OutboundCalling)<<1|b2(u.Settings.SMS)<<2)
	return e.b
}

func b2(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// userKey returns the ordering key of a user record without decoding the rest.
func userKey(rec string) (created int64, id string) {
	d := decoder{s: rec[1:]}
	created = d.int()
	id = d.str()
	return created, id
}

func decodeUser(accountID, rec string) (*openchime.User, error) {
	u := &openchime.User{}
	if err := decodeUserInto(u, accountID, rec); err != nil {
		return nil, err
	}
	return u, nil
}

// decodeUserInto decodes into u, which a listing allocates a page at a time.
func decodeUserInto(u *openchime.User, accountID, rec string) error {
	if len(rec) == 0 || rec[0] != userFormat {
		return errCorrupt
	}
	d := decoder{s: rec[1:]}
	*u = openchime.User{AccountID: accountID}
	u.CreatedAt = d.time()
	u.ID = d.str()
	u.PrimaryEmail = d.str()
	u.DisplayName = d.str()
	u.LicenseType = openchime.License(d.enum(licenses))
	u.UserType = openchime.UserType(d.enum(userTypes))
	u.RegistrationStatus = openchime.RegistrationStatus(d.enum(registrations))
	u.InvitationStatus = openchime.InvitationStatus(d.enum(invitations))
	u.RegisteredOn = d.time()
	u.InvitedOn = d.time()
	u.PersonalPIN = d.str()
	u.AlexaForBusiness.Enabled = d.bool()
	u.AlexaForBusiness.RoomArn = d.str()
	u.ProvisionedNumber = d.str()
	u.RemovedAt = d.time()
	u.LastLogoutAt = d.time()
	s := d.byte()
	u.Settings = openchime.UserSettings{InboundCalling: s&1 != 0, OutboundCalling: s&2 != 0, SMS: s&4 != 0}
	return d.err
}

// userHead returns the ordering key and the email of a user record.
func userHead(rec string) (created int64, id, email string) {
	d := decoder{s: rec[1:]}
	created = d.int()
	id = d.str()
	email = d.str()
	return created, id, email
}

// accountFormat marks an account record: the id, then the account as JSON.
// Accounts are few and read once per request, so JSON costs little and
// keeps every field the domain adds without a codec change.
const accountFormat = 2

func appendAccount(b []byte, a *openchime.Account) []byte {
	e := encoder{b: b}
	e.b = append(e.b, accountFormat)
	e.str(a.ID)
	js, err := json.Marshal(a)
	if err != nil {
		panic(err) // an Account has no field JSON cannot encode
	}
	e.b = append(e.b, js...)
	return e.b
}

func decodeAccount(rec string) (*openchime.Account, error) {
	if len(rec) == 0 || rec[0] != accountFormat {
		return nil, errCorrupt
	}
	d := decoder{s: rec[1:]}
	d.str()
	if d.err != nil {
		return nil, d.err
	}
	a := &openchime.Account{}
	if err := json.Unmarshal([]byte(d.s), a); err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	// Read back as the SQL stores do: lists never nil, no claimed domain nil.
	if a.SupportedLicenses == nil {
		a.SupportedLicenses = []openchime.License{}
	}
	if a.SigninDelegateGroups == nil {
		a.SigninDelegateGroups = []string{}
	}
	if len(a.ClaimedDomains) == 0 {
		a.ClaimedDomains = nil
	}
	return a, nil
}

func appendResource(b []byte, r *openchime.Resource) []byte {
	e := encoder{b: b}
	e.str(r.Kind)
	e.str(r.ID)
	e.str(r.Scope)
	e.time(r.CreatedAt)
	e.bytes(r.Data)
	return e.b
}

func decodeResource(rec string) (*openchime.Resource, error) {
	d := decoder{s: rec}
	r := &openchime.Resource{}
	r.Kind = d.str()
	r.ID = d.str()
	r.Scope = d.str()
	r.CreatedAt = d.time()
	r.Data = []byte(d.str())
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}
