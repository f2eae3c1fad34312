package iampolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A condition is one operator applied to one key: a Condition block is the
// AND of its conditions, and a condition the OR of its values (for a
// negated operator, none of the values may match).
type condition struct {
	op       string // as written, for errors
	kind     opKind
	negated  bool
	ifExists bool
	set      setQualifier
	key      string // lower case
	keyID    keyID
	values   []string
	nums     []float64
	times    []time.Time
	prefixes []netip.Prefix
	null     bool // the value of Bool and Null (Null true: the key must be absent)
}

type opKind uint8

const (
	opStringEquals opKind = iota
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnEquals
	opArnLike
	opNull
)

type setQualifier uint8

const (
	single setQualifier = iota
	forAnyValue
	forAllValues
)

// operators maps each operator of the Condition operators page to its kind
// and whether it is the negated form.
var operators = map[string]struct {
	kind    opKind
	negated bool
}{
	"StringEquals": {opStringEquals, false}, "StringNotEquals": {opStringEquals, true},
	"StringEqualsIgnoreCase": {opStringEqualsIgnoreCase, false}, "StringNotEqualsIgnoreCase": {opStringEqualsIgnoreCase, true},
	"StringLike": {opStringLike, false}, "StringNotLike": {opStringLike, true},
	"NumericEquals": {opNumericEquals, false}, "NumericNotEquals": {opNumericEquals, true},
	"NumericLessThan": {opNumericLessThan, false}, "NumericLessThanEquals": {opNumericLessThanEquals, false},
	"NumericGreaterThan": {opNumericGreaterThan, false}, "NumericGreaterThanEquals": {opNumericGreaterThanEquals, false},
	"DateEquals": {opDateEquals, false}, "DateNotEquals": {opDateEquals, true},
	"DateLessThan": {opDateLessThan, false}, "DateLessThanEquals": {opDateLessThanEquals, false},
	"DateGreaterThan": {opDateGreaterThan, false}, "DateGreaterThanEquals": {opDateGreaterThanEquals, false},
	"Bool":         {opBool, false},
	"BinaryEquals": {opBinaryEquals, false},
	"IpAddress":    {opIPAddress, false}, "NotIpAddress": {opIPAddress, true},
	"ArnEquals": {opArnEquals, false}, "ArnNotEquals": {opArnEquals, true},
	"ArnLike": {opArnLike, false}, "ArnNotLike": {opArnLike, true},
	"Null": {opNull, false},
}

// keyID names the keys a Request carries in fields.
type keyID uint8

const (
	keyOther keyID = iota
	keySourceIP
	keyCurrentTime
	keyEpochTime
	keySecureTransport
	keyPrincipalAccount
	keyPrincipalArn
	keyUsername
	keyRequestedRegion
)

// Condition keys are case-insensitive ("IAM JSON policy elements:
// Condition"); they are kept in lower case.
var knownKeys = map[string]keyID{
	"aws:sourceip": keySourceIP, "aws:currenttime": keyCurrentTime, "aws:epochtime": keyEpochTime,
	"aws:securetransport": keySecureTransport, "aws:principalaccount": keyPrincipalAccount,
	"aws:principalarn": keyPrincipalArn, "aws:username": keyUsername, "aws:requestedregion": keyRequestedRegion,
}

func parseConditions(raw json.RawMessage) ([]condition, error) {
	var block map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil || block == nil {
		return nil, errors.New(`must be an object such as {"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`)
	}
	var out []condition
	for _, opName := range sortedKeys(block) {
		if err := new(condition).setOperator(opName); err != nil {
			return nil, err
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(block[opName], &keys); err != nil || keys == nil {
			return nil, fmt.Errorf("%s must map condition keys to values", opName)
		}
		for _, key := range sortedKeys(keys) {
			c, err := parseCondition(opName, key, keys[key])
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", opName, key, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func parseCondition(opName, key string, raw json.RawMessage) (condition, error) {
	c := condition{op: opName, key: strings.ToLower(key)}
	if err := c.setOperator(opName); err != nil {
		return c, err
	}
	if c.key == "" {
		return c, errors.New("the condition key is empty")
	}
	c.keyID = knownKeys[c.key]
	vals, err := conditionValues(raw)
	if err != nil {
		return c, err
	}
	c.values = vals
	for _, v := range vals {
		if strings.Contains(v, "${") {
			return c, fmt.Errorf("%q: policy variables (${...}) are not supported", v)
		}
		switch c.kind {
		case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
			n, ok := parseNumber(v)
			if !ok {
				return c, fmt.Errorf("%q is not a number", v)
			}
			c.nums = append(c.nums, n)
		case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
			t, ok := parseDate(v)
			if !ok {
				return c, fmt.Errorf("%q is not a date such as 2030-01-02T03:04:05Z or epoch seconds", v)
			}
			c.times = append(c.times, t)
		case opBool, opNull:
			switch strings.ToLower(v) {
			case "true":
				c.null = true
			case "false":
				c.null = false
			default:
				return c, fmt.Errorf("%q is not true or false", v)
			}
		case opIPAddress:
			p, err := parsePrefix(v)
			if err != nil {
				return c, fmt.Errorf("%q is not an IP address or CIDR range such as 203.0.113.0/24", v)
			}
			c.prefixes = append(c.prefixes, p)
		}
	}
	if c.kind == opNull && len(vals) != 1 {
		return c, errors.New("Null takes one value, true or false")
	}
	return c, nil
}

// setOperator reads an operator name: a base operator, optionally with
// the IfExists suffix and a ForAnyValue:/ForAllValues: qualifier.
func (c *condition) setOperator(opName string) error {
	base := opName
	if rest, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		c.set, base = forAnyValue, rest
	} else if rest, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		c.set, base = forAllValues, rest
	}
	if rest, ok := strings.CutSuffix(base, "IfExists"); ok && rest != "Null" {
		c.ifExists, base = true, rest
	}
	op, ok := operators[base]
	if !ok {
		return fmt.Errorf("unknown condition operator %q (see the IAM User Guide's Condition operators)", opName)
	}
	c.kind, c.negated = op.kind, op.negated
	return nil
}

// conditionValues reads a value or a list of values: strings, or the
// booleans and numbers policies also write (Bool's false, Numeric's 10).
func conditionValues(raw json.RawMessage) ([]string, error) {
	var list []any
	if err := strictUnmarshal(raw, &list); err != nil {
		var one any
		if err := strictUnmarshal(raw, &one); err != nil {
			return nil, errors.New("the value must be a string, a number, a boolean or a list of them")
		}
		list = []any{one}
	}
	if len(list) == 0 {
		return nil, errors.New("the value list is empty")
	}
	out := make([]string, len(list))
	for i, v := range list {
		switch v := v.(type) {
		case string:
			out[i] = v
		case bool:
			out[i] = strconv.FormatBool(v)
		case json.Number:
			out[i] = v.String()
		default:
			return nil, errors.New("the value must be a string, a number, a boolean or a list of them")
		}
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// dateLayouts are the ISO 8601 forms IAM's date conditions take; epoch
// seconds are accepted too (Date condition operators).
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02"}

func parseDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// count is the number of values r has for the condition's key.
func (c *condition) count(r *Request) int {
	switch c.keyID {
	case keySourceIP:
		return b2i(r.SourceIP.IsValid())
	case keyCurrentTime, keyEpochTime:
		return b2i(!r.CurrentTime.IsZero())
	case keySecureTransport:
		return 1
	case keyPrincipalAccount:
		return b2i(r.PrincipalAccount != "")
	case keyPrincipalArn:
		return b2i(r.PrincipalArn != "")
	case keyUsername:
		return b2i(r.Username != "")
	case keyRequestedRegion:
		return b2i(r.RequestedRegion != "")
	}
	return len(r.Values[c.key])
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// str is the i-th value of the key as a string.
func (c *condition) str(r *Request, i int) string {
	switch c.keyID {
	case keySourceIP:
		return r.SourceIP.String()
	case keyCurrentTime:
		return r.CurrentTime.UTC().Format(time.RFC3339)
	case keyEpochTime:
		return strconv.FormatInt(r.CurrentTime.Unix(), 10)
	case keySecureTransport:
		return strconv.FormatBool(r.SecureTransport)
	case keyPrincipalAccount:
		return r.PrincipalAccount
	case keyPrincipalArn:
		return r.PrincipalArn
	case keyUsername:
		return r.Username
	case keyRequestedRegion:
		return r.RequestedRegion
	}
	return r.Values[c.key][i]
}

func (c *condition) eval(r *Request) bool {
	n := c.count(r)
	if c.kind == opNull {
		return (n == 0) == c.null
	}
	if n == 0 {
		// A missing key matches nothing: a positive operator is false, a
		// negated one true, ...IfExists true, and ForAllValues over an
		// empty set true (Condition operators; Multivalued context keys).
		return c.ifExists || c.negated || c.set == forAllValues
	}
	if c.set == forAllValues {
		for i := 0; i < n; i++ {
			if !c.evalOne(r, i) {
				return false
			}
		}
		return true
	}
	for i := 0; i < n; i++ {
		if c.evalOne(r, i) {
			return true
		}
	}
	return false
}

// evalOne applies the operator to the i-th value of the key: any policy
// value matching it, or for a negated operator none.
func (c *condition) evalOne(r *Request, i int) bool {
	return c.anyMatches(r, i) != c.negated
}

func (c *condition) anyMatches(r *Request, i int) bool {
	switch c.kind {
	case opIPAddress:
		var a netip.Addr
		if c.keyID == keySourceIP {
			a = r.SourceIP
		} else if p, err := netip.ParseAddr(c.str(r, i)); err == nil {
			a = p
		} else {
			return false
		}
		a = a.Unmap()
		for _, p := range c.prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		var t time.Time
		if c.keyID == keyCurrentTime || c.keyID == keyEpochTime {
			t = r.CurrentTime
		} else if p, ok := parseDate(c.str(r, i)); ok {
			t = p
		} else {
			return false
		}
		for _, v := range c.times {
			if compare(c.kind, t.Compare(v)) {
				return true
			}
		}
		return false
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		var x float64
		if c.keyID == keyEpochTime {
			x = float64(r.CurrentTime.Unix())
		} else if p, ok := parseNumber(c.str(r, i)); ok {
			x = p
		} else {
			return false
		}
		for _, v := range c.nums {
			cmp := 0
			if x < v {
				cmp = -1
			} else if x > v {
				cmp = 1
			}
			if compare(c.kind, cmp) {
				return true
			}
		}
		return false
	case opBool:
		if c.keyID == keySecureTransport {
			return r.SecureTransport == c.null
		}
		return strings.EqualFold(c.str(r, i), strconv.FormatBool(c.null))
	}
	s := c.str(r, i)
	for _, v := range c.values {
		switch c.kind {
		case opStringEquals, opBinaryEquals:
			if s == v {
				return true
			}
		case opStringEqualsIgnoreCase:
			if strings.EqualFold(s, v) {
				return true
			}
		case opStringLike:
			if glob(v, s, false) {
				return true
			}
		case opArnEquals, opArnLike:
			if arnMatch(v, s) {
				return true
			}
		}
	}
	return false
}

// compare reads a comparison result for the operator kind.
func compare(k opKind, cmp int) bool {
	switch k {
	case opDateEquals, opNumericEquals:
		return cmp == 0
	case opDateLessThan, opNumericLessThan:
		return cmp < 0
	case opDateLessThanEquals, opNumericLessThanEquals:
		return cmp <= 0
	case opDateGreaterThan, opNumericGreaterThan:
		return cmp > 0
	case opDateGreaterThanEquals, opNumericGreaterThanEquals:
		return cmp >= 0
	}
	return false
}

// arnMatch matches an ARN against a pattern component by component, each of
// the six colon-separated parts with its own wildcards (ArnEquals and
// ArnLike behave the same, per the Condition operators page).
func arnMatch(pattern, arn string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !glob(pp[i], ap[i], false) {
			return false
		}
	}
	return true
}
