package openchime

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// AuditKind is the Resource kind of audit events. Each event is written in
// the transaction of the change it records, so it commits (or rolls back)
// with it.
const AuditKind = "audit-event"

// AuditEvent records one change request: who made it, when, and the state of
// every record it changed before and after.
type AuditEvent struct {
	ID           string
	Time         time.Time
	RequestID    string `json:",omitempty"`
	AwsAccountID string // the caller's AWS account
	AccessKeyID  string `json:",omitempty"`
	Operation    string
	AccountID    string   `json:",omitempty"` // the Chime account changed
	UserIDs      []string `json:",omitempty"` // the users changed
	Changes      []AuditChange
	// ChangesOmitted counts the changes left out of Changes by bulk
	// control-plane calls (maxAuditChanges); UserIDs still lists them all.
	ChangesOmitted int `json:",omitempty"`
}

// AuditChange is the state of one record before and after a change; Before
// is null for a creation.
type AuditChange struct {
	Kind   string // "account" or "user"
	ID     string
	Before json.RawMessage `json:",omitempty"`
	After  json.RawMessage `json:",omitempty"`
}

// maxAuditChanges caps the before/after states kept in one event, so seeding
// 10,000 users over the control plane does not write a 10 MB event.
const maxAuditChanges = 100

// AccountChange returns the change of an account; before or after may be nil.
func AccountChange(before, after *Account) AuditChange {
	c := AuditChange{Kind: "account"}
	if before != nil {
		c.ID, c.Before = before.ID, mustJSON(ToAccountRecord(before))
	}
	if after != nil {
		c.ID, c.After = after.ID, mustJSON(ToAccountRecord(after))
	}
	return c
}

// UserChange returns the change of a user; before or after may be nil. A
// creation or removal records the whole state; an update records the fields
// that changed, before and after (the user's id is the change's ID). Pass a
// copy as before when the user is changed in place afterwards: the state is
// captured now.
func UserChange(before, after *User) AuditChange {
	c := AuditChange{Kind: "user"}
	switch {
	case before != nil && after != nil:
		c.ID = after.ID
		c.Before, c.After = appendUserDiffJSON(make([]byte, 0, 96), make([]byte, 0, 96), before, after)
	case before != nil:
		r := redactUser(*before)
		c.ID, c.Before = before.ID, appendUserJSON(make([]byte, 0, userJSONSize), &r)
	case after != nil:
		r := redactUser(*after)
		c.ID, c.After = after.ID, appendUserJSON(make([]byte, 0, userJSONSize), &r)
	}
	return c
}

// appendUserChange is UserChange(before, after) of two users, its diffs
// appended to bb and ab, which it returns: the changes of a batch share two
// buffers instead of allocating two each. The change's slices are capped, so
// later appends never write into them.
func appendUserChange(bb, ab []byte, before, after *User) ([]byte, []byte, AuditChange) {
	b0, a0 := len(bb), len(ab)
	bb, ab = appendUserDiffJSON(bb, ab, before, after)
	return bb, ab, AuditChange{Kind: "user", ID: after.ID, Before: bb[b0:len(bb):len(bb)], After: ab[a0:len(ab):len(ab)]}
}

// redactUser keeps the personal PIN, a secret, out of the audit log.
func redactUser(u User) User {
	if u.PersonalPIN != "" {
		u.PersonalPIN = "redacted"
	}
	return u
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// The domain types are plain structs; this cannot happen.
		panic("openchime: audit state: " + err.Error())
	}
	return b
}

// audit records one change of one record in tx: the one-line call for
// single-record write paths, e.g.
//
//	s.audit(ctx, tx, "UpdateUser", accountID, UserChange(&before, u))
//
// Batch paths pass every change of the request to one call, which writes
// one event.
func (s *Service) audit(ctx context.Context, tx Tx, op, accountID string, changes ...AuditChange) error {
	if len(changes) == 0 {
		return nil
	}
	c, _ := CallerFromContext(ctx)
	e := AuditEvent{
		ID:           s.IDs.UUID(),
		Time:         s.now(),
		RequestID:    c.RequestID,
		AwsAccountID: s.awsAccount(ctx),
		AccessKeyID:  c.AccessKeyID,
		Operation:    op,
		AccountID:    accountID,
	}
	users := 0
	for _, ch := range changes {
		if ch.Kind == "user" {
			users++
		}
	}
	if users > 0 {
		e.UserIDs = make([]string, 0, users)
		for _, ch := range changes {
			if ch.Kind == "user" {
				e.UserIDs = append(e.UserIDs, ch.ID)
			}
		}
	}
	if len(changes) > maxAuditChanges {
		e.ChangesOmitted = len(changes) - maxAuditChanges
		changes = changes[:maxAuditChanges]
	}
	e.Changes = changes
	scope := accountID
	if scope == "" {
		scope = e.AwsAccountID
	}
	data := e.appendJSON(make([]byte, 0, e.sizeHint()))
	if err := tx.PutResource(ctx, &Resource{Kind: AuditKind, ID: e.ID, Scope: scope, CreatedAt: e.Time, Data: data}); err != nil {
		return err
	}
	if s.outboxEnabled() {
		// The outbox carries the changes the audit log records (outbox.go).
		return s.putOutbox(ctx, tx, e.ID)
	}
	return nil
}

// AuditFilter selects audit events; zero fields select everything.
type AuditFilter struct {
	AccountID string
	UserID    string
	Operation string
	RequestID string
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	Page
}

// auditScanBatch is how many events ListAudit reads from the store at a
// time while it filters.
const auditScanBatch = 500

// ListAudit lists audit events in time order (events of the same millisecond
// in id order), filtered, a page at a time. It is a control-plane operation:
// it sees the events of every AWS account.
func (s *Service) ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEvent, string, error) {
	scope := "audit\x00" + f.AccountID + "\x00" + f.UserID + "\x00" + f.Operation + "\x00" + f.RequestID +
		"\x00" + f.Since.String() + "\x00" + f.Until.String()
	limit, after, err := pageBounds(f.Page, scope)
	if err != nil {
		return nil, "", err
	}
	if after == nil && !f.Since.IsZero() {
		// (Since, "") sorts before every event of that millisecond.
		after = &Cursor{CreatedAt: f.Since}
	}
	var out []*AuditEvent
	var last Cursor
	more := false
	err = s.Store.View(ctx, func(tx ReadTx) error {
		out, more = out[:0], false
		rf := ResourceFilter{Kind: AuditKind, Scope: f.AccountID, After: after, Limit: auditScanBatch}
		for {
			list, err := tx.Resources(ctx, rf)
			if err != nil {
				return err
			}
			for _, r := range list {
				if !f.Until.IsZero() && !r.CreatedAt.Before(f.Until) {
					return nil
				}
				e, err := ParseAuditEvent(r.Data)
				if err != nil {
					return &Error{Code: ServiceFailure, Op: "ListAudit", Err: err}
				}
				if !e.matches(f) {
					continue
				}
				if len(out) == limit {
					more = true
					return nil
				}
				out = append(out, e)
				last = Cursor{r.CreatedAt, r.ID}
			}
			if len(list) < auditScanBatch {
				return nil
			}
			end := list[len(list)-1]
			rf.After = &Cursor{end.CreatedAt, end.ID}
		}
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if more {
		next = encodeToken(scope, last)
	}
	return out, next, nil
}

func (e *AuditEvent) matches(f AuditFilter) bool {
	if !matches(f.AccountID, e.AccountID) || !matches(f.Operation, e.Operation) || !matches(f.RequestID, e.RequestID) {
		return false
	}
	if f.UserID == "" {
		return true
	}
	for _, id := range e.UserIDs {
		if id == f.UserID {
			return true
		}
	}
	return false
}

// StreamAudit returns a Store that writes every audit event to w as one line
// of JSON once the transaction that wrote it has committed (the --audit-file
// option). Writes to w are serialised; a write error is passed to onErr
// (which may be nil) and does not fail the request, whose change is already
// durable.
func StreamAudit(store Store, w io.Writer, onErr func(error)) Store {
	return &auditStream{Store: store, w: w, onErr: onErr}
}

type auditStream struct {
	Store
	mu    sync.Mutex
	w     io.Writer
	onErr func(error)
}

// auditTx passes everything to the transaction and keeps the audit events
// written in it.
type auditTx struct {
	Tx
	events [][]byte
}

func (t *auditTx) PutResource(ctx context.Context, r *Resource) error {
	if err := t.Tx.PutResource(ctx, r); err != nil {
		return err
	}
	if r.Kind == AuditKind {
		t.events = append(t.events, r.Data)
	}
	return nil
}

func (s *auditStream) Update(ctx context.Context, fn func(tx Tx) error) error {
	var events [][]byte
	err := s.Store.Update(ctx, func(tx Tx) error {
		at := &auditTx{Tx: tx}
		err := fn(at)
		events = at.events
		return err
	})
	if err != nil || len(events) == 0 {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		if _, werr := s.w.Write(append(e, '\n')); werr != nil && s.onErr != nil {
			s.onErr(werr)
		}
	}
	return nil
}

// putAccount writes a and records its change from before (nil: created).
func (s *Service) putAccount(ctx context.Context, tx Tx, op string, before, a *Account) error {
	if err := tx.PutAccount(ctx, a); err != nil {
		return err
	}
	return s.audit(ctx, tx, op, a.ID, AccountChange(before, a))
}

// putUser writes u and records its change from before (nil: created).
func (s *Service) putUser(ctx context.Context, tx Tx, op string, before, u *User) error {
	if err := tx.PutUser(ctx, u); err != nil {
		return err
	}
	return s.audit(ctx, tx, op, u.AccountID, UserChange(before, u))
}

// auditPruneBatch is how many expired events one pruning transaction deletes.
const auditPruneBatch = 500

// PruneAudit deletes the audit events recorded before cutoff, oldest first,
// a bounded batch per transaction so a large backlog never holds a long
// write; it returns how many it deleted. The serve command runs it
// periodically for --audit-retention.
func (s *Service) PruneAudit(ctx context.Context, cutoff time.Time) (int, error) {
	deleted := 0
	for {
		var oldest []*Resource
		err := s.Store.View(ctx, func(tx ReadTx) (err error) {
			oldest, err = tx.Resources(ctx, ResourceFilter{Kind: AuditKind, Limit: auditPruneBatch})
			return err
		})
		if err != nil {
			return deleted, err
		}
		n := 0
		for n < len(oldest) && oldest[n].CreatedAt.Before(cutoff) {
			n++
		}
		if n == 0 {
			return deleted, nil
		}
		err = s.Store.Update(ctx, func(tx Tx) error {
			for _, r := range oldest[:n] {
				if err := tx.DeleteResource(ctx, AuditKind, r.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return deleted, err
		}
		deleted += n
		if n < len(oldest) {
			return deleted, nil
		}
	}
}
