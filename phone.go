package openchime

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Phone numbers, orders and the telephony settings belong to an AWS account,
// not to a Chime account (decision D13). They are kept as Resource records;
// every timed transition (order completion, calling-name settling, purge from
// the deletion queue) is stored as a due time and read through effective(),
// so a change takes effect exactly at its due instant of the Service clock and
// moving the clock applies it at once (decision D40).

// Phone number statuses of the model (decision D31).
const (
	PhoneAcquireInProgress = "AcquireInProgress"
	PhoneAcquireFailed     = "AcquireFailed"
	PhoneUnassigned        = "Unassigned"
	PhoneAssigned          = "Assigned"
	PhoneReleaseInProgress = "ReleaseInProgress"
	PhoneDeleteInProgress  = "DeleteInProgress"
	PhoneReleaseFailed     = "ReleaseFailed"
	PhoneDeleteFailed      = "DeleteFailed"
)

// Product types of the model.
const (
	BusinessCalling           = "BusinessCalling"
	VoiceConnector            = "VoiceConnector"
	SipMediaApplicationDialIn = "SipMediaApplicationDialIn"
)

// PhoneNumber is a number in an AWS account's inventory.
type PhoneNumber struct {
	E164              string
	AwsAccountID      string
	Country           string
	Type              string // Local or TollFree
	ProductType       string
	Status            string
	Capabilities      PhoneCapabilities
	Associations      []PhoneAssociation
	CallingName       string
	CallingNameStatus string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	DeletionAt        time.Time

	// Due times of the timed transitions (decision D40).
	AcquireDue     time.Time // AcquireInProgress ends here
	AcquireFails   bool      // ... as a failure: the number leaves the inventory
	CallingNameDue time.Time // UpdateInProgress ends here
	PurgeDue       time.Time // the deletion queue ends here
	OrderID        string
}

// PhoneCapabilities are the six capability flags of a number.
type PhoneCapabilities struct {
	InboundCall, OutboundCall, InboundSMS, OutboundSMS, InboundMMS, OutboundMMS bool
}

// PhoneAssociation ties a number to an account, user or voice resource.
type PhoneAssociation struct {
	Name  string
	Value string
	At    time.Time
}

// PhoneNumberID is the wire id of a number: "%2B" and the digits (D25).
func (p *PhoneNumber) PhoneNumberID() string { return "%2B" + strings.TrimPrefix(p.E164, "+") }

// effective returns the number as it stands at now, and false when it is gone
// (its acquisition failed, or it was purged from the deletion queue).
func (p *PhoneNumber) effective(now time.Time) (*PhoneNumber, bool) {
	e := *p
	e.Associations = append([]PhoneAssociation(nil), p.Associations...)
	if e.Status == PhoneAcquireInProgress && !e.AcquireDue.IsZero() && !now.Before(e.AcquireDue) {
		if e.AcquireFails {
			return nil, false
		}
		e.Status, e.UpdatedAt, e.AcquireDue = PhoneUnassigned, p.AcquireDue, time.Time{}
	}
	if e.CallingNameStatus == "UpdateInProgress" && !e.CallingNameDue.IsZero() && !now.Before(e.CallingNameDue) {
		e.CallingNameStatus = "UpdateSucceeded"
		if e.CallingName == "" {
			e.CallingNameStatus = "Unassigned"
		}
		if e.CallingNameDue.After(e.UpdatedAt) {
			e.UpdatedAt = e.CallingNameDue
		}
		e.CallingNameDue = time.Time{}
	}
	if e.Status == PhoneDeleteInProgress && !e.PurgeDue.IsZero() && !now.Before(e.PurgeDue) {
		return nil, false
	}
	return &e, true
}

// PhoneOrder is a phone number order.
type PhoneOrder struct {
	ID           string
	AwsAccountID string
	ProductType  string
	Numbers      []OrderedNumber
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DueAt        time.Time // completion time (decision D29)
	Completed    bool
}

// OrderedNumber is one number of an order; Fails says how it ends.
type OrderedNumber struct {
	E164  string
	Fails bool
}

// OrderedNumberStatus is one number of an order as it stands.
type OrderedNumberStatus struct {
	E164   string
	Status string // Processing, Acquired or Failed
}

// State returns the order's status, its numbers' statuses and its
// UpdatedTimestamp at now.
func (o *PhoneOrder) State(now time.Time) (string, []OrderedNumberStatus, time.Time) {
	out := make([]OrderedNumberStatus, len(o.Numbers))
	done := o.Completed || (!o.DueAt.IsZero() && !now.Before(o.DueAt))
	if !done {
		for i, n := range o.Numbers {
			out[i] = OrderedNumberStatus{n.E164, "Processing"}
		}
		return "Processing", out, o.UpdatedAt
	}
	failed := 0
	for i, n := range o.Numbers {
		out[i] = OrderedNumberStatus{n.E164, "Acquired"}
		if n.Fails {
			out[i].Status = "Failed"
			failed++
		}
	}
	status := "Successful"
	switch {
	case failed == len(o.Numbers):
		status = "Failed"
	case failed > 0:
		status = "Partial"
	}
	updated := o.UpdatedAt
	if o.DueAt.After(updated) {
		updated = o.DueAt
	}
	return status, out, updated
}

// NormalizePhoneID turns any accepted form of a phone number id (+1…, %2B1…
// in any case, %252B1…, or bare digits) into the E.164 key (decision D25).
func NormalizePhoneID(id string) (string, bool) {
	s := strings.TrimSpace(id)
	for {
		lower := strings.ToLower(s)
		switch {
		case strings.HasPrefix(lower, "%252b"):
			s = s[5:]
			continue
		case strings.HasPrefix(lower, "%2b"):
			s = s[3:]
			continue
		}
		break
	}
	s = strings.TrimPrefix(s, "+")
	if len(s) < 2 || len(s) > 15 || s[0] == '0' || strings.Trim(s, "0123456789") != "" {
		return "", false
	}
	return "+" + s, true
}

// tollFreePrefixes are the NANP toll-free area codes.
var tollFreePrefixes = map[string]bool{"800": true, "833": true, "844": true, "855": true, "866": true, "877": true, "888": true}

// numberKind returns the country and type of an E.164 number (decision D30).
func numberKind(e164 string) (country, typ string) {
	if strings.HasPrefix(e164, "+1") && len(e164) == 12 {
		if tollFreePrefixes[e164[2:5]] {
			return "US", "TollFree"
		}
		return "US", "Local"
	}
	for _, c := range callingCodes {
		if strings.HasPrefix(e164, "+"+c.code) {
			return c.country, "Local"
		}
	}
	return "ZZ", "Local"
}

var callingCodes = []struct{ code, country string }{
	{"44", "GB"}, {"49", "DE"}, {"33", "FR"}, {"61", "AU"}, {"81", "JP"}, {"34", "ES"}, {"39", "IT"}, {"31", "NL"},
}

// inSyntheticPool reports whether the number can be acquired from the
// fictional pool: +1 NPA 555 0100-0199, toll-free included, but not +1 800
// (decisions D26, D43).
func inSyntheticPool(e164 string) bool {
	if !strings.HasPrefix(e164, "+1") || len(e164) != 12 {
		return false
	}
	npa, exch, line := e164[2:5], e164[5:8], e164[8:]
	if npa[0] < '2' || exch != "555" || line < "0100" || line > "0199" {
		return false
	}
	return npa != "800"
}

func capabilitiesFor(typ string) PhoneCapabilities {
	if typ == "TollFree" {
		// Inferred (D30): toll-free numbers call but do not text.
		return PhoneCapabilities{InboundCall: true, OutboundCall: true}
	}
	return PhoneCapabilities{true, true, true, true, true, true}
}

// stateAreaCodes is the built-in table of area codes per US state and DC
// used by number search (decision D26).
var stateAreaCodes = map[string][]string{
	"AL": {"205", "251"}, "AK": {"907"}, "AZ": {"480", "602"}, "AR": {"479", "501"}, "CA": {"213", "415", "650"},
	"CO": {"303", "720"}, "CT": {"203", "860"}, "DE": {"302"}, "DC": {"202"}, "FL": {"305", "407", "813"},
	"GA": {"404", "678"}, "HI": {"808"}, "ID": {"208"}, "IL": {"312", "773"}, "IN": {"317"}, "IA": {"515"},
	"KS": {"316", "785"}, "KY": {"502", "859"}, "LA": {"504"}, "ME": {"207"}, "MD": {"301", "410"},
	"MA": {"508", "617"}, "MI": {"313", "616"}, "MN": {"612", "651"}, "MS": {"601"}, "MO": {"314", "816"},
	"MT": {"406"}, "NE": {"402"}, "NV": {"702", "775"}, "NH": {"603"}, "NJ": {"201", "973"}, "NM": {"505"},
	"NY": {"212", "718", "917"}, "NC": {"704", "919"}, "ND": {"701"}, "OH": {"216", "614"}, "OK": {"405", "918"},
	"OR": {"503", "541"}, "PA": {"215", "412"}, "RI": {"401"}, "SC": {"803", "843"}, "SD": {"605"},
	"TN": {"615", "901"}, "TX": {"214", "512", "713"}, "UT": {"801"}, "VT": {"802"}, "VA": {"703", "804"},
	"WA": {"206", "253", "425"}, "WV": {"304"}, "WI": {"414", "608"}, "WY": {"307"},
}

// cityAreaCodes is the small built-in city table; other cities fall back to
// their state's codes (decision D26).
var cityAreaCodes = map[string][]string{
	"WA/seattle": {"206"}, "NY/new york": {"212", "718"}, "CA/san francisco": {"415"}, "CA/los angeles": {"213"},
	"IL/chicago": {"312", "773"}, "TX/austin": {"512"}, "MA/boston": {"617"}, "CO/denver": {"303", "720"},
	"FL/miami": {"305"}, "GA/atlanta": {"404", "678"},
}

// CountryTypes is one row of the supported-countries table (decision D27).
type CountryTypes struct {
	Country string
	Types   []string
}

// DefaultSupportedCountries is the table of decision D27.
func DefaultSupportedCountries() map[string][]CountryTypes {
	return map[string][]CountryTypes{
		BusinessCalling:           {{"US", []string{"Local"}}},
		VoiceConnector:            {{"US", []string{"Local", "TollFree"}}},
		SipMediaApplicationDialIn: {{"US", []string{"Local", "TollFree"}}},
	}
}

// PhoneConfig holds the telephony durations and limits (decisions D40, D41),
// set with PUT /_openchime/config and kept in the store (service_config.go). Zero durations mean the defaults except
// PhoneNumberOrderDelay, whose default is 0.
type PhoneConfig struct {
	PhoneNumberOrderDelay  Duration
	CallingNameUpdateDelay Duration
	DeletionQueueRetention Duration
	CallingNameCooldown    Duration
	// MaxPhoneNumbers caps an AWS account's inventory; 0 is unlimited.
	MaxPhoneNumbers int
	// MaxDialOutsPerMeeting caps dial-outs per meeting; 0 is unlimited.
	MaxDialOutsPerMeeting int
	// StrictMeetings requires meetings and join tokens to be registered
	// through the control plane (decision D39, --meetings=strict).
	StrictMeetings     bool
	SupportedCountries map[string][]CountryTypes `json:",omitempty"`
}

// Duration is a time.Duration that reads and writes as "90s" in JSON.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"90s\" or \"72h\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q: want a non-negative Go duration such as \"90s\" or \"72h\"", s)
	}
	*d = Duration(v)
	return nil
}

func orDefault(d Duration, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}

func (c *PhoneConfig) callingNameDelay() time.Duration {
	return orDefault(c.CallingNameUpdateDelay, 72*time.Hour)
}
func (c *PhoneConfig) deletionRetention() time.Duration {
	return orDefault(c.DeletionQueueRetention, 168*time.Hour)
}
func (c *PhoneConfig) callingNameCooldown() time.Duration {
	return orDefault(c.CallingNameCooldown, 168*time.Hour)
}
func (c *PhoneConfig) countries() map[string][]CountryTypes {
	if c.SupportedCountries != nil {
		return c.SupportedCountries
	}
	return DefaultSupportedCountries()
}

// supports reports whether the product may order numbers of country/type.
func (c *PhoneConfig) supports(product, country, typ string) bool {
	for _, ct := range c.countries()[product] {
		if ct.Country == country {
			for _, t := range ct.Types {
				if t == typ {
					return true
				}
			}
		}
	}
	return false
}

// SupportedCountries lists the countries and types a product can order.
func (c *PhoneConfig) SupportedCountriesFor(product string) []CountryTypes {
	list := append([]CountryTypes(nil), c.countries()[product]...)
	sort.Slice(list, func(i, j int) bool { return list[i].Country < list[j].Country })
	return list
}
