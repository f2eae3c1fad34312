// Package faults injects failures and delays into requests, so clients can
// test their error handling against OpenChime. A Set holds the rules; the
// Service consults it through openchime.FaultInjector, and the control
// plane (/_openchime/faults) and the console's operator page manage it.
package faults

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	openchime "github.com/openchime/openchime"
)

// Rule injects a failure or a delay into requests that match it, so
// clients can test their error handling against OpenChime. Empty match fields
// match everything. A rule has one effect:
//
//   - Exception: the whole request fails with that code (and its status)
//     before the operation runs;
//   - ErrorCode: inside a batch user operation, each matching user gets a
//     UserErrors entry with that code and is left unchanged, while the other
//     users of the batch are processed normally;
//   - Latency alone: the request is delayed, then runs normally. Latency
//     combined with Exception delays, then fails.
type Rule struct {
	ID string // set by Set.Add

	Operation    string // e.g. "BatchUnsuspendUser"
	AwsAccountID string // the caller's AWS account
	AccountID    string // the Chime account id of the request
	UserID       string // only with ErrorCode: the user of a batch

	Exception openchime.Code // request-level failure
	ErrorCode openchime.Code // per-user failure in batch operations
	Message   string         // message of the failure; a default names the rule
	Latency   time.Duration  // delay before the request runs

	// Probability that a matching request (or user) fires the rule, in
	// (0, 1]; 0 means 1, always.
	Probability float64
	// Count is how many times the rule fires at most; 0 means no limit.
	Count int
	// ExpiresAt ends the rule (zero: never). TTL, when set, sets ExpiresAt
	// to the time of Add plus TTL.
	ExpiresAt time.Time
	TTL       time.Duration

	// Fired is how many times the rule has fired (read-only).
	Fired int
}

// validate checks a rule given over the control plane or the Go API.
func (r *Rule) validate() error {
	if r.Exception != "" {
		if _, ok := openchime.ExceptionCode(string(r.Exception)); !ok {
			return openchime.Errorf(openchime.BadRequest, "Exception %q is not a modelled exception (e.g. ThrottledClientException, ServiceFailureException).", r.Exception)
		}
	}
	if r.ErrorCode != "" {
		if _, ok := openchime.ExceptionCode(string(r.ErrorCode)); !ok {
			return openchime.Errorf(openchime.BadRequest, "ErrorCode %q is not a value of the model's ErrorCode enum (e.g. ServiceFailure, Throttled).", r.ErrorCode)
		}
	}
	switch {
	case r.Exception != "" && r.ErrorCode != "":
		return openchime.Errorf(openchime.BadRequest, "A fault rule has either Exception (the whole request fails) or ErrorCode (one user of a batch fails), not both.")
	case r.Exception == "" && r.ErrorCode == "" && r.Latency <= 0:
		return openchime.Errorf(openchime.BadRequest, "A fault rule needs an effect: Exception, ErrorCode or Latency.")
	case r.UserID != "" && r.ErrorCode == "":
		return openchime.Errorf(openchime.BadRequest, "UserId only applies to per-user faults; set ErrorCode too.")
	case r.ErrorCode != "" && r.Latency > 0:
		return openchime.Errorf(openchime.BadRequest, "Latency applies to the whole request; put it in a rule of its own, not with ErrorCode.")
	case r.Latency < 0 || r.Latency > 5*time.Minute:
		return openchime.Errorf(openchime.BadRequest, "Latency must be between 0 and 5m.")
	case r.Probability < 0 || r.Probability > 1:
		return openchime.Errorf(openchime.BadRequest, "Probability must be between 0 and 1 (it is %v).", r.Probability)
	case r.Count < 0:
		return openchime.Errorf(openchime.BadRequest, "Count must not be negative.")
	case r.TTL < 0:
		return openchime.Errorf(openchime.BadRequest, "TTL must not be negative.")
	}
	return nil
}

// Set is the registry of fault rules one Service consults. Its zero value
// is not usable; New makes one. It is safe for concurrent use, and
// costs one atomic load per request while it holds no rule.
type Set struct {
	clock openchime.Clock
	n     atomic.Int32 // len(rules), read without the lock on the hot path
	mu    sync.Mutex
	rules []*Rule
	seq   int
	rand  *rand.Rand
}

// New returns an empty registry whose expiries follow clock (the
// Service's clock, so a ControlClock expires rules without waiting).
func New(clock openchime.Clock) *Set {
	if clock == nil {
		clock = openchime.SystemClock{}
	}
	return &Set{clock: clock, rand: rand.New(rand.NewPCG(1, 2))}
}

var _ openchime.FaultInjector = (*Set)(nil)

// Of returns the Set svc consults, or nil when it has none (or another
// FaultInjector): what the control plane and the console manage.
func Of(svc *openchime.Service) *Set {
	set, _ := svc.Faults.(*Set)
	return set
}

// Seed makes the probability draws reproducible.
func (f *Set) Seed(seed uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rand = rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
}

// Add validates r, gives it an id ("fault-N") and returns the stored copy.
func (f *Set) Add(r Rule) (Rule, error) {
	if code, ok := openchime.ExceptionCode(string(r.Exception)); ok {
		r.Exception = code
	}
	if code, ok := openchime.ExceptionCode(string(r.ErrorCode)); ok {
		r.ErrorCode = code
	}
	if err := r.validate(); err != nil {
		return Rule{}, err
	}
	if r.Probability == 0 {
		r.Probability = 1
	}
	if r.TTL > 0 {
		r.ExpiresAt = f.clock.Now().Add(r.TTL)
	}
	r.Fired = 0
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	r.ID = "fault-" + strconv.Itoa(f.seq)
	f.rules = append(f.rules, &r)
	f.n.Store(int32(len(f.rules)))
	return r, nil
}

// List returns copies of the rules, expired and spent ones included, in the
// order they were added.
func (f *Set) List() []Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Rule, len(f.rules))
	for i, r := range f.rules {
		out[i] = *r
	}
	return out
}

// Remove deletes the rule with the id and reports whether it existed.
func (f *Set) Remove(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.rules {
		if r.ID == id {
			f.rules = append(f.rules[:i], f.rules[i+1:]...)
			f.n.Store(int32(len(f.rules)))
			return true
		}
	}
	return false
}

// Clear deletes every rule.
func (f *Set) Clear() {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
	f.n.Store(0)
}

// fire reports whether the rule fires now and, if so, counts it. The caller
// holds f.mu.
func (f *Set) fire(r *Rule, now time.Time) bool {
	if r.Count > 0 && r.Fired >= r.Count {
		return false
	}
	if !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt) {
		return false
	}
	if r.Probability < 1 && f.rand.Float64() >= r.Probability {
		return false
	}
	r.Fired++
	return true
}

func matches(want, got string) bool { return want == "" || want == got }

// BeforeRequest applies the request-level rules to a request of op by the
// AWS account awsAccountID on the Chime account accountID ("" when the
// operation has none): it sleeps for the latency of every matching latency
// rule, then returns the error of the first matching Exception rule that
// fires, or nil. The wire layer calls it before the operation runs.
func (f *Set) BeforeRequest(ctx context.Context, op, awsAccountID, accountID string) error {
	if f == nil || f.n.Load() == 0 {
		return nil
	}
	var delay time.Duration
	var fail error
	f.mu.Lock()
	now := f.clock.Now()
	for _, r := range f.rules {
		if r.ErrorCode != "" || !matches(r.Operation, op) || !matches(r.AwsAccountID, awsAccountID) || !matches(r.AccountID, accountID) {
			continue
		}
		if fail != nil && r.Latency == 0 {
			continue // the request already fails; leave this rule's count alone
		}
		if !f.fire(r, now) {
			continue
		}
		delay += r.Latency
		if r.Exception != "" && fail == nil {
			fail = r.err(op)
		}
	}
	f.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return openchime.Errorf(openchime.ServiceUnavailable, "The request was cancelled during an injected latency.")
		}
	}
	return fail
}

// ForUser returns the per-user failure that a batch operation op must report
// for userID instead of changing the user, or nil. The Service calls it once
// per user id of a batch, before changing that user.
func (f *Set) ForUser(op, awsAccountID, accountID, userID string) *openchime.UserError {
	if f == nil || f.n.Load() == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	for _, r := range f.rules {
		if r.ErrorCode == "" || !matches(r.Operation, op) || !matches(r.AwsAccountID, awsAccountID) ||
			!matches(r.AccountID, accountID) || !matches(r.UserID, userID) {
			continue
		}
		if f.fire(r, now) {
			msg := r.Message
			if msg == "" {
				msg = "Injected fault " + r.ID + "."
			}
			return &openchime.UserError{UserID: userID, Code: r.ErrorCode, Message: msg}
		}
	}
	return nil
}

func (r *Rule) err(op string) error {
	msg := r.Message
	if msg == "" {
		msg = "Injected fault " + r.ID + " on " + op + "."
	}
	return &openchime.Error{Code: r.Exception, Op: op, Message: msg}
}
