package openchime

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// The outbox carries every change the audit log records to outside targets
// (webhooks, SCIM directories). Its records are Resources, so every store
// keeps them without a schema change and in the transaction of the change:
//
//   - Service.audit writes one OutboxKind row next to the audit event while
//     any target is configured (outboxOn), so an event exists exactly when its
//     change committed, and no row is written when no target is.
//   - FanOut claims the oldest OutboxKind rows and, in one transaction, turns
//     each into one DeliveryKind row per target that wants it and deletes it.
//   - The deliverer (package outbox) sends each target's DeliveryKind rows in
//     order, and moves each to HistoryKind once delivered or dead-lettered.
//
// Why claim-and-delete rows rather than read "everything after the last
// sequence number": on PostgreSQL a transaction that took a key earlier may
// commit later than one that took a later key, so a reader that advances a
// high-water mark skips it for ever. A row that is deleted only once fanned
// out is seen by the next FanOut whenever it commits. Order per user holds
// because two changes of one user are serialised by the user's row lock, and
// the key of the second is taken after it holds that lock, so after the first
// committed: the key (outboxKey) is the real time in nanoseconds, strictly
// increasing within a process (across nodes it relies on their clocks
// agreeing better than the time between two changes of one user). FanOut
// runs serializable (no WithRowLocks), so two nodes that fan out the same rows
// conflict and one retries and finds them gone.
const (
	OutboxKind   = "outbox-event"    // one per change, until fanned out
	DeliveryKind = "outbox-delivery" // one per (target, change) to send; Scope is the target id
	HistoryKind  = "outbox-history"  // delivered and dead-lettered deliveries; Scope is the target id
	TargetKind   = "outbox-target"   // webhooks and SCIM targets
	LeaseKind    = "outbox-lease"    // which node delivers to a target
)

// outboxEpoch is the CreatedAt of every outbox record: their order is their
// id's (the key), never the service clock's, which the control plane can
// freeze or move back.
var outboxEpoch = time.Unix(0, 0).UTC()

// Target types.
const (
	WebhookTarget = "webhook"
	SCIMTarget    = "scim"
)

// Target is a destination of the outbox's events.
type Target struct {
	ID        string
	Type      string // WebhookTarget or SCIMTarget
	CreatedAt time.Time
	Webhook   *WebhookConfig `json:",omitempty"`
	SCIM      *SCIMConfig    `json:",omitempty"`
	// Stopped is set when the target refused our credentials (SCIM 401 or
	// 403): nothing is sent until its configuration changes.
	Stopped         bool      `json:",omitempty"`
	LastError       string    `json:",omitempty"`
	LastErrorAt     time.Time `json:",omitzero"`
	LastDeliveredAt time.Time `json:",omitzero"`
	// Delivered and Failed count the deliveries delivered and dead-lettered
	// since the target was made.
	Delivered int `json:",omitempty"`
	Failed    int `json:",omitempty"`
}

// WebhookConfig is where and what a webhook receives.
type WebhookConfig struct {
	URL          string
	Secret       string   `json:",omitempty"`
	Events       []string `json:",omitempty"` // operation names; none: every one
	AwsAccountID string   `json:",omitempty"` // none: every AWS account
}

// SCIM removal policies: what a removed Chime user becomes in the directory.
const (
	OnRemoveDeactivate = "deactivate"
	OnRemoveDelete     = "delete"
)

// SCIMConfig pushes one Chime account's users to a SCIM 2.0 directory.
type SCIMConfig struct {
	AccountID   string
	Endpoint    string // the base URL, e.g. https://example.com/scim/v2
	BearerToken string
	OnRemove    string // OnRemoveDeactivate or OnRemoveDelete
	DryRun      bool   `json:",omitempty"`
}

// SCIMTargetID is the id of the SCIM target of a Chime account.
func SCIMTargetID(accountID string) string { return "scim-" + accountID }

// ProvisionOperation is the Operation of the events a new SCIM target gets
// for the users that existed before it: they ask for each user's current state.
const ProvisionOperation = "OpenChimeProvision"

// wants reports whether the target receives event e.
func (t *Target) wants(e *AuditEvent) bool {
	switch t.Type {
	case WebhookTarget:
		w := t.Webhook
		if w.AwsAccountID != "" && w.AwsAccountID != e.AwsAccountID {
			return false
		}
		return len(w.Events) == 0 || slices.Contains(w.Events, e.Operation)
	case SCIMTarget:
		return e.AccountID == t.SCIM.AccountID && (len(e.UserIDs) > 0 || e.Operation == "DeleteAccount")
	}
	return false
}

// Delivery is one event on its way to one target.
type Delivery struct {
	ID          string // TargetID + "/" + Key
	TargetID    string
	Key         string          // the event's outbox key: the order of delivery
	Event       json.RawMessage // the AuditEvent
	Status      string          // DeliveryPending, DeliveryDelivered or DeliveryDead
	Attempts    int
	LastError   string    `json:",omitempty"`
	LastAttempt time.Time `json:",omitzero"`
	NextAttempt time.Time `json:",omitzero"`
}

// Delivery statuses.
const (
	DeliveryPending   = "Pending"
	DeliveryDelivered = "Delivered"
	DeliveryDead      = "DeadLetter"
)

// outboxOn reports whether any target is configured; Service.audit writes
// outbox rows only then. The store's targets are the truth: RefreshOutbox
// reads them (the deliverer calls it every poll, so a target configured on
// another node turns the outbox on here within a poll).
func (s *Service) outboxEnabled() bool { return s.outboxOn.Load() }

// RefreshOutbox turns the outbox on exactly when the store holds a target,
// and returns the targets.
func (s *Service) RefreshOutbox(ctx context.Context) ([]*Target, error) {
	var targets []*Target
	err := s.Store.View(ctx, func(tx ReadTx) (err error) {
		targets, err = readTargets(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.outboxOn.Store(len(targets) > 0)
	return targets, nil
}

func readTargets(ctx context.Context, tx ReadTx) ([]*Target, error) {
	list, err := tx.Resources(ctx, ResourceFilter{Kind: TargetKind})
	if err != nil {
		return nil, err
	}
	out := make([]*Target, 0, len(list))
	for _, r := range list {
		var t Target
		if err := json.Unmarshal(r.Data, &t); err != nil {
			return nil, &Error{Code: ServiceFailure, Op: "readTargets", Err: err}
		}
		out = append(out, &t)
	}
	return out, nil
}

// outboxKey returns the next key of this process: the real time in
// nanoseconds, strictly increasing, as 16 hex digits, then "." and the
// event's id so two nodes never collide.
func (s *Service) outboxKey(eventID string) string {
	for {
		last := s.outboxLast.Load()
		n := max(time.Now().UnixNano(), last+1)
		if s.outboxLast.CompareAndSwap(last, n) {
			var b [16 + 1 + 36]byte
			const hex = "0123456789abcdef"
			for i := 15; i >= 0; i-- {
				b[i] = hex[n&0xf]
				n >>= 4
			}
			out := append(b[:16], '.')
			out = append(out, eventID...)
			return string(out)
		}
	}
}

// outboxRowData is the document of every outbox row: the row's id names
// the audit event, which FanOut reads, so the hot path writes the event's
// bytes once, not twice.
var outboxRowData = []byte("{}")

// putOutbox writes the outbox row of the audit event with the id.
func (s *Service) putOutbox(ctx context.Context, tx Tx, eventID string) error {
	return tx.PutResource(ctx, &Resource{Kind: OutboxKind, ID: s.outboxKey(eventID), CreatedAt: outboxEpoch, Data: outboxRowData})
}

// outboxKeyLen is the length of an outbox key's time part and its dot.
const outboxKeyLen = 17

// OutboxDepth counts the outbox rows not fanned out yet and the deliveries
// pending, per target id ("" for the rows not fanned out); every target is
// in it, at 0 when it has nothing pending.
func (s *Service) OutboxDepth(ctx context.Context) (map[string]int, error) {
	depth := map[string]int{}
	err := s.Store.View(ctx, func(tx ReadTx) error {
		clear(depth)
		targets, err := readTargets(ctx, tx)
		if err != nil {
			return err
		}
		if len(targets) > 0 {
			depth[""] = 0
		}
		for _, t := range targets {
			depth[t.ID] = 0
		}
		for _, kind := range []string{OutboxKind, DeliveryKind} {
			list, err := tx.Resources(ctx, ResourceFilter{Kind: kind})
			if err != nil {
				return err
			}
			for _, r := range list {
				depth[r.Scope]++
			}
		}
		return nil
	})
	return depth, err
}

// FanOut claims up to limit of the oldest outbox rows and turns each into a
// delivery per target that wants it, in one transaction. It returns how many
// rows it claimed.
func (s *Service) FanOut(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.Store.Update(ctx, func(tx Tx) error {
		n = 0
		rows, err := tx.Resources(ctx, ResourceFilter{Kind: OutboxKind, Limit: limit})
		if err != nil || len(rows) == 0 {
			return err
		}
		targets, err := readTargets(ctx, tx)
		if err != nil {
			return err
		}
		// The rows' audit events in one round trip where the store can
		// (postgres), then each read from what it fetched.
		keys := make([]ResourceKey, len(rows))
		for i, r := range rows {
			keys[i] = ResourceKey{Kind: AuditKind, ID: r.ID[min(len(r.ID), outboxKeyLen):]}
		}
		if err := prefetchResources(ctx, tx, keys); err != nil {
			return err
		}
		for i, r := range rows {
			ev, err := tx.Resource(ctx, AuditKind, keys[i].ID)
			if err != nil && !IsCode(err, NotFound) {
				return err
			}
			// An event pruned before it was fanned out (an --audit-retention
			// shorter than the outbox's lag) is dropped with its row.
			var e AuditEvent
			if err == nil {
				if err := json.Unmarshal(ev.Data, &e); err != nil {
					return &Error{Code: ServiceFailure, Op: "FanOut", Err: err}
				}
			}
			for _, t := range targets {
				if ev != nil && t.wants(&e) {
					if err := putDelivery(ctx, tx, &Delivery{TargetID: t.ID, Key: r.ID, Event: ev.Data, Status: DeliveryPending}); err != nil {
						return err
					}
				}
			}
			if err := tx.DeleteResource(ctx, OutboxKind, r.ID); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}

func putDelivery(ctx context.Context, tx Tx, d *Delivery) error {
	d.ID = d.TargetID + "/" + d.Key
	kind := DeliveryKind
	if d.Status != DeliveryPending {
		kind = HistoryKind
	}
	return tx.PutResource(ctx, &Resource{Kind: kind, ID: d.ID, Scope: d.TargetID, CreatedAt: outboxEpoch, Data: mustJSON(d)})
}

func decodeDeliveries(list []*Resource) ([]*Delivery, error) {
	out := make([]*Delivery, 0, len(list))
	for _, r := range list {
		var d Delivery
		if err := json.Unmarshal(r.Data, &d); err != nil {
			return nil, &Error{Code: ServiceFailure, Op: "decodeDeliveries", Err: err}
		}
		out = append(out, &d)
	}
	return out, nil
}

// PendingDeliveries returns up to limit of the target's pending deliveries,
// oldest first.
func (s *Service) PendingDeliveries(ctx context.Context, targetID string, limit int) ([]*Delivery, error) {
	var out []*Delivery
	err := s.Store.View(ctx, func(tx ReadTx) error {
		list, err := tx.Resources(ctx, ResourceFilter{Kind: DeliveryKind, Scope: targetID, Limit: limit})
		if err != nil {
			return err
		}
		out, err = decodeDeliveries(list)
		return err
	})
	return out, err
}

// pendingShown bounds the pending deliveries Deliveries returns: a target
// that is down may have a backlog of millions.
const pendingShown = 100

// Deliveries returns the target's deliveries: the oldest pendingShown
// pending ones, oldest first, then the delivered and dead-lettered ones
// HistoryKind still keeps, newest first.
func (s *Service) Deliveries(ctx context.Context, targetID string) ([]*Delivery, error) {
	var out []*Delivery
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := tx.Resource(ctx, TargetKind, targetID); err != nil {
			return err
		}
		pending, err := tx.Resources(ctx, ResourceFilter{Kind: DeliveryKind, Scope: targetID, Limit: pendingShown})
		if err != nil {
			return err
		}
		done, err := tx.Resources(ctx, ResourceFilter{Kind: HistoryKind, Scope: targetID})
		if err != nil {
			return err
		}
		slices.Reverse(done)
		out, err = decodeDeliveries(append(pending, done...))
		return err
	})
	return out, err
}

// historyKept is how many finished deliveries each target keeps to show.
const historyKept = 100

// FinishDelivery is FinishDeliveries of d with the status.
func (s *Service) FinishDelivery(ctx context.Context, d *Delivery, status string) error {
	d.Status = status
	return s.FinishDeliveries(ctx, []*Delivery{d})
}

// FinishDeliveries records the outcome of attempts at the deliveries, in one
// transaction: one whose Status is DeliveryPending stays pending until its
// NextAttempt; one delivered or dead-lettered moves to the history, which
// keeps the last historyKept of each target. The caller has set each one's
// Status, Attempts, LastError, LastAttempt and NextAttempt. A delivery whose
// target was deleted meanwhile is left out.
func (s *Service) FinishDeliveries(ctx context.Context, ds []*Delivery) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		type tally struct {
			delivered, dead int
			last            time.Time
		}
		finished := map[string]*tally{}
		keys := make([]ResourceKey, len(ds))
		for i, d := range ds {
			keys[i] = ResourceKey{Kind: DeliveryKind, ID: d.TargetID + "/" + d.Key}
		}
		if err := prefetchResources(ctx, tx, keys); err != nil {
			return err
		}
		for _, d := range ds {
			id := d.TargetID + "/" + d.Key
			if _, err := tx.Resource(ctx, DeliveryKind, id); IsCode(err, NotFound) {
				continue
			} else if err != nil {
				return err
			}
			if d.Status != DeliveryPending {
				if err := tx.DeleteResource(ctx, DeliveryKind, id); err != nil {
					return err
				}
				tl := finished[d.TargetID]
				if tl == nil {
					tl = &tally{}
					finished[d.TargetID] = tl
				}
				if d.Status == DeliveryDelivered {
					tl.delivered++
					tl.last = maxTime(tl.last, d.LastAttempt)
				} else {
					tl.dead++
				}
			}
			if err := putDelivery(ctx, tx, d); err != nil {
				return err
			}
		}
		for target, tl := range finished {
			done, err := tx.Resources(ctx, ResourceFilter{Kind: HistoryKind, Scope: target})
			if err != nil {
				return err
			}
			for len(done) > historyKept {
				if err := tx.DeleteResource(ctx, HistoryKind, done[0].ID); err != nil {
					return err
				}
				done = done[1:]
			}
			r, err := tx.Resource(ctx, TargetKind, target)
			if err != nil {
				return err
			}
			var t Target
			if err := json.Unmarshal(r.Data, &t); err != nil {
				return &Error{Code: ServiceFailure, Op: "FinishDeliveries", Err: err}
			}
			t.Delivered, t.Failed = t.Delivered+tl.delivered, t.Failed+tl.dead
			t.LastDeliveredAt = maxTime(t.LastDeliveredAt, tl.last)
			if err := putTarget(ctx, tx, &t); err != nil {
				return err
			}
		}
		return nil
	})
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// UpdateTargetState applies fn to the stored target (its state fields) in one
// transaction; a target deleted meanwhile is left alone.
func (s *Service) UpdateTargetState(ctx context.Context, id string, fn func(*Target)) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		r, err := tx.Resource(ctx, TargetKind, id)
		if IsCode(err, NotFound) {
			return nil
		} else if err != nil {
			return err
		}
		var t Target
		if err := json.Unmarshal(r.Data, &t); err != nil {
			return &Error{Code: ServiceFailure, Op: "UpdateTargetState", Err: err}
		}
		fn(&t)
		return putTarget(ctx, tx, &t)
	})
}

func putTarget(ctx context.Context, tx Tx, t *Target) error {
	return tx.PutResource(ctx, &Resource{Kind: TargetKind, ID: t.ID, CreatedAt: t.CreatedAt, Data: mustJSON(t)})
}

// Targets returns every target, oldest first.
func (s *Service) Targets(ctx context.Context) ([]*Target, error) {
	var out []*Target
	err := s.Store.View(ctx, func(tx ReadTx) (err error) {
		out, err = readTargets(ctx, tx)
		return err
	})
	return out, err
}

// Target returns the target with the id, or NotFound.
func (s *Service) Target(ctx context.Context, id string) (*Target, error) {
	var t Target
	err := s.Store.View(ctx, func(tx ReadTx) error {
		r, err := tx.Resource(ctx, TargetKind, id)
		if err != nil {
			return err
		}
		t = Target{}
		return json.Unmarshal(r.Data, &t)
	})
	if IsCode(err, NotFound) {
		return nil, Errorf(NotFound, "The target %s was not found.", id)
	}
	return &t, err
}

// CreateWebhook stores a webhook target and turns the outbox on.
func (s *Service) CreateWebhook(ctx context.Context, w WebhookConfig) (*Target, error) {
	t := &Target{ID: s.IDs.UUID(), Type: WebhookTarget, CreatedAt: s.now(), Webhook: &w}
	err := s.Store.Update(ctx, func(tx Tx) error { return putTarget(ctx, tx, t) })
	if err != nil {
		return nil, err
	}
	s.outboxOn.Store(true)
	return t, nil
}

// DeleteTarget deletes a target, its pending deliveries and its history.
func (s *Service) DeleteTarget(ctx context.Context, id, typ string) error {
	err := s.Store.Update(ctx, func(tx Tx) error {
		r, err := tx.Resource(ctx, TargetKind, id)
		if err != nil {
			return err
		}
		var t Target
		if err := json.Unmarshal(r.Data, &t); err != nil || t.Type != typ {
			return Errorf(NotFound, "The target %s was not found.", id)
		}
		if err := tx.DeleteResource(ctx, TargetKind, id); err != nil {
			return err
		}
		for _, kind := range []string{DeliveryKind, HistoryKind, SCIMUserKind} {
			list, err := tx.Resources(ctx, ResourceFilter{Kind: kind, Scope: id})
			if err != nil {
				return err
			}
			for _, r := range list {
				if err := tx.DeleteResource(ctx, kind, r.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if IsCode(err, NotFound) {
		return Errorf(NotFound, "The %s %s was not found.", typ, id)
	}
	if err != nil {
		return err
	}
	_, err = s.RefreshOutbox(ctx)
	return err
}

// AcquireLease makes holder the holder of the named lease until now+ttl when
// nobody else holds it unexpired (or renews it when holder does), and
// reports whether holder holds it. Nodes that share a store call it before
// delivering to a target, so one node at a time delivers to each; when that
// node dies its lease expires and another takes over. The transaction is
// serializable (no WithRowLocks): of two nodes taking a free lease at once,
// PostgreSQL fails one, whose retry finds the lease held.
func (s *Service) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	type lease struct {
		Holder  string
		Expires time.Time
	}
	held := false
	err := s.Store.Update(ctx, func(tx Tx) error {
		held = false
		r, err := tx.Resource(ctx, LeaseKind, name)
		if err != nil && !IsCode(err, NotFound) {
			return err
		}
		if err == nil {
			var l lease
			if err := json.Unmarshal(r.Data, &l); err != nil {
				return &Error{Code: ServiceFailure, Op: "AcquireLease", Err: err}
			}
			if l.Holder != holder && now.Before(l.Expires) {
				return nil
			}
		}
		held = true
		return tx.PutResource(ctx, &Resource{Kind: LeaseKind, ID: name, CreatedAt: outboxEpoch, Data: mustJSON(lease{holder, now.Add(ttl)})})
	})
	return held, err
}

// SCIMUserKind maps a Chime user to its SCIM id in one target's directory;
// the id is TargetID + "/" + UserID.
const SCIMUserKind = "scim-user"

type scimUser struct{ SCIMID string }

// PutSCIM sets the SCIM target of c.AccountID. A new target, one moved to
// another Endpoint (whose id map is then forgotten) and one leaving DryRun
// first get one provisioning delivery per 50 of the account's existing
// users; a changed configuration starts again a target that was stopped.
func (s *Service) PutSCIM(ctx context.Context, c SCIMConfig) (*Target, error) {
	if c.OnRemove == "" {
		c.OnRemove = OnRemoveDeactivate
	}
	t := &Target{ID: SCIMTargetID(c.AccountID), Type: SCIMTarget, SCIM: &c}
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := tx.Account(ctx, c.AccountID)
		if IsCode(err, NotFound) || (err == nil && a.Deleted()) {
			return accountNotFound(c.AccountID)
		} else if err != nil {
			return err
		}
		r, err := tx.Resource(ctx, TargetKind, t.ID)
		if err != nil && !IsCode(err, NotFound) {
			return err
		}
		provision := err != nil
		t.CreatedAt = s.now()
		if err == nil {
			var old Target
			if err := json.Unmarshal(r.Data, &old); err != nil {
				return &Error{Code: ServiceFailure, Op: "PutSCIM", Err: err}
			}
			t.CreatedAt, t.LastDeliveredAt, t.Delivered, t.Failed = old.CreatedAt, old.LastDeliveredAt, old.Delivered, old.Failed
			if *old.SCIM == c {
				t.Stopped, t.LastError, t.LastErrorAt = old.Stopped, old.LastError, old.LastErrorAt
			}
			if old.SCIM.Endpoint != c.Endpoint {
				provision = true
				mapped, err := tx.Resources(ctx, ResourceFilter{Kind: SCIMUserKind, Scope: t.ID})
				if err != nil {
					return err
				}
				for _, m := range mapped {
					if err := tx.DeleteResource(ctx, SCIMUserKind, m.ID); err != nil {
						return err
					}
				}
			}
			provision = provision || (old.SCIM.DryRun && !c.DryRun)
		}
		if err := putTarget(ctx, tx, t); err != nil {
			return err
		}
		if !provision {
			return nil
		}
		users, err := tx.Users(ctx, UserFilter{AccountID: c.AccountID})
		if err != nil {
			return err
		}
		for len(users) > 0 {
			n := min(len(users), 50)
			e := AuditEvent{ID: s.IDs.UUID(), Time: s.now(), AwsAccountID: a.AwsAccountID, Operation: ProvisionOperation, AccountID: c.AccountID}
			for _, u := range users[:n] {
				e.UserIDs = append(e.UserIDs, u.ID)
			}
			users = users[n:]
			d := &Delivery{TargetID: t.ID, Key: s.outboxKey(e.ID), Event: mustJSON(&e), Status: DeliveryPending}
			if err := putDelivery(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.outboxOn.Store(true)
	return t, nil
}

// SCIMUserID returns the SCIM id of the Chime user in the target's
// directory, "" when none is known.
func (s *Service) SCIMUserID(ctx context.Context, targetID, userID string) (string, error) {
	var id string
	err := s.Store.View(ctx, func(tx ReadTx) error {
		r, err := tx.Resource(ctx, SCIMUserKind, targetID+"/"+userID)
		if IsCode(err, NotFound) {
			return nil
		} else if err != nil {
			return err
		}
		var m scimUser
		if err := json.Unmarshal(r.Data, &m); err != nil {
			return &Error{Code: ServiceFailure, Op: "SCIMUserID", Err: err}
		}
		id = m.SCIMID
		return nil
	})
	return id, err
}

// SetSCIMUserID stores (or, with "", forgets) the SCIM id of the Chime user.
func (s *Service) SetSCIMUserID(ctx context.Context, targetID, userID, scimID string) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		if scimID == "" {
			return tx.DeleteResource(ctx, SCIMUserKind, targetID+"/"+userID)
		}
		return tx.PutResource(ctx, &Resource{Kind: SCIMUserKind, ID: targetID + "/" + userID, Scope: targetID, CreatedAt: outboxEpoch, Data: mustJSON(scimUser{scimID})})
	})
}

// SCIMUserIDs returns the target's whole Chime user id → SCIM id map.
func (s *Service) SCIMUserIDs(ctx context.Context, targetID string) (map[string]string, error) {
	out := map[string]string{}
	err := s.Store.View(ctx, func(tx ReadTx) error {
		clear(out)
		list, err := tx.Resources(ctx, ResourceFilter{Kind: SCIMUserKind, Scope: targetID})
		if err != nil {
			return err
		}
		for _, r := range list {
			var m scimUser
			if err := json.Unmarshal(r.Data, &m); err != nil {
				return &Error{Code: ServiceFailure, Op: "SCIMUserIDs", Err: err}
			}
			out[r.ID[len(targetID)+1:]] = m.SCIMID
		}
		return nil
	})
	return out, err
}

// DeliveryCounts counts the target's deliveries by status: those pending
// now, and those delivered and dead-lettered since the target was made.
func (s *Service) DeliveryCounts(ctx context.Context, targetID string) (map[string]int, error) {
	out := map[string]int{}
	err := s.Store.View(ctx, func(tx ReadTx) error {
		clear(out)
		r, err := tx.Resource(ctx, TargetKind, targetID)
		if err != nil {
			return err
		}
		var t Target
		if err := json.Unmarshal(r.Data, &t); err != nil {
			return &Error{Code: ServiceFailure, Op: "DeliveryCounts", Err: err}
		}
		pending, err := tx.Resources(ctx, ResourceFilter{Kind: DeliveryKind, Scope: targetID})
		if err != nil {
			return err
		}
		out[DeliveryPending], out[DeliveryDelivered], out[DeliveryDead] = len(pending), t.Delivered, t.Failed
		return nil
	})
	return out, err
}

// AdminUsers returns every user of the account, of any AWS account,
// removed ones included, in (CreatedAt, ID) order.
func (s *Service) AdminUsers(ctx context.Context, accountID string) ([]*User, error) {
	var out []*User
	err := s.Store.View(ctx, func(tx ReadTx) (err error) {
		out, err = tx.Users(ctx, UserFilter{AccountID: accountID, IncludeRemoved: true})
		return err
	})
	return out, err
}

// SCIMReconcileReport is what a reconciliation of a SCIM target changed (or,
// with DryRun, would change): Chime user ids in each list.
type SCIMReconcileReport struct {
	Created []string // provisioned: the directory did not have them
	Adopted []string // found in the directory by userName and mapped
	Updated []string // their active or Chime attributes differed
	Removed []string // removed in Chime, deleted or deactivated per OnRemove
	DryRun  bool
}

// SCIMReconciler repairs the drift between a Chime account and its SCIM
// target (package scim implements it).
type SCIMReconciler interface {
	Reconcile(ctx context.Context, t *Target) (*SCIMReconcileReport, error)
}
