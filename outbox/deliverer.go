// Package outbox delivers the outbox's events (openchime outbox.go) to their
// targets: webhooks (webhook.go) and, through a Sender of package scim, SCIM
// directories. A Deliverer runs on every node; store-backed leases make one
// node at a time fan out and one node at a time deliver to each target.
package outbox

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	openchime "github.com/openchime/openchime"
)

// Sender sends one delivery to one target.
type Sender interface {
	Send(ctx context.Context, t *openchime.Target, d *openchime.Delivery) Result
}

// MultiRequest is a Sender whose one delivery may take many requests (a SCIM
// delivery names up to a hundred users). The Deliverer does not bound its
// attempt as a whole: the Sender bounds each request by the Timeout it is
// given, and calls Progress before each, which keeps this node's lease.
type MultiRequest interface {
	Sender
	MultiRequest()
}

type progressKey struct{}

// Progress is called by a MultiRequest Sender before each request of an
// attempt: it keeps the target's lease, and reports false when this node
// lost it (another delivers now), when the Sender must stop.
func Progress(ctx context.Context) bool {
	f, _ := ctx.Value(progressKey{}).(func() bool)
	return f == nil || f()
}

// RequestTimeout is the bound of one request of a MultiRequest attempt.
func RequestTimeout(ctx context.Context) time.Duration {
	if t, ok := ctx.Value(timeoutKey{}).(time.Duration); ok {
		return t
	}
	return 10 * time.Second
}

type timeoutKey struct{}

// send makes one attempt at p, bounded by Timeout (per request for a
// MultiRequest sender).
func (d *Deliverer) send(ctx context.Context, sender Sender, t *openchime.Target, p *openchime.Delivery) Result {
	if _, ok := sender.(MultiRequest); ok {
		actx := context.WithValue(ctx, progressKey{}, func() bool { return d.lease(ctx, "target:"+t.ID) })
		return sender.Send(context.WithValue(actx, timeoutKey{}, d.Timeout), t, p)
	}
	actx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	return sender.Send(actx, t, p)
}

// Result is the outcome of one attempt.
type Result struct {
	Err        error         // nil: delivered
	RetryAfter time.Duration // the target's Retry-After, when it gave one
	Permanent  bool          // retrying cannot help: dead-letter now
	// Stop marks the target stopped (its credentials were refused): nothing
	// more is sent to it until its configuration changes.
	Stop bool
}

// Deliverer sends every target's deliveries, in order, at least once.
type Deliverer struct {
	Service *openchime.Service
	Senders map[string]Sender // by Target.Type
	Node    string            // this node's lease holder name; "" picks a random one
	// Exclusive says the store belongs to this process alone (the log
	// store, SQLite: their files are locked), so no other node can deliver
	// and no lease is taken: a restart after a kill -9 delivers at once
	// instead of waiting for the dead process's lease to expire.
	Exclusive bool
	Logger    *slog.Logger
	// Zero values take the defaults in brackets.
	Poll        time.Duration // how often the outbox is read [250ms]
	Timeout     time.Duration // bound of one attempt [10s]
	MaxAttempts int           // attempts before a delivery is dead-lettered [10]
	BaseBackoff time.Duration // the first retry's delay, doubled each time, jittered [1s]
	MaxBackoff  time.Duration // the longest delay between attempts [5m]
	// LeaseTTL is how long a dead node's lease holds a target [30s; at
	// least 2·Timeout+Poll]. A node renews its lease before each attempt
	// once half of it has gone, so the lease outlasts the attempt; a node
	// paused for longer than that (a stalled VM) may still send while the
	// next holder does: at least once holds, order may not.
	LeaseTTL time.Duration
	// OnResult, when set, is told each attempt's outcome (metrics):
	// "delivered", "retry", "dead" or "stopped".
	OnResult func(t *openchime.Target, result string)

	mu      sync.Mutex
	workers map[string]context.CancelFunc
	held    map[string]time.Time // the leases this node holds, until when
	// hadTargets is whether the last step saw a target (only step uses it).
	hadTargets bool
	wg         sync.WaitGroup
}

func (d *Deliverer) defaults() {
	if d.Poll <= 0 {
		d.Poll = 250 * time.Millisecond
	}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 10
	}
	if d.BaseBackoff <= 0 {
		d.BaseBackoff = time.Second
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = 5 * time.Minute
	}
	if d.LeaseTTL <= 0 {
		d.LeaseTTL = 30 * time.Second
	}
	// A lease is renewed before each attempt once half its time has gone,
	// so it must outlast an attempt by that much.
	d.LeaseTTL = max(d.LeaseTTL, 2*d.Timeout+d.Poll)
	if d.Node == "" {
		d.Node = "node-" + strconv.FormatUint(rand.Uint64(), 36)
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	d.workers = map[string]context.CancelFunc{}
	d.held = map[string]time.Time{}
}

// lease reports whether this node holds the named lease, renewing it once
// half its time has passed: a held lease costs a write every LeaseTTL/2,
// not every poll.
func (d *Deliverer) lease(ctx context.Context, name string) bool {
	if d.Exclusive {
		return true
	}
	now := time.Now()
	d.mu.Lock()
	until, ok := d.held[name]
	d.mu.Unlock()
	if ok && until.Sub(now) > d.LeaseTTL/2 {
		return true
	}
	held, err := d.Service.AcquireLease(ctx, name, d.Node, now, d.LeaseTTL)
	if err != nil {
		d.logErr(ctx, "outbox: lease "+name, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil || !held {
		delete(d.held, name)
		return false
	}
	d.held[name] = now.Add(d.LeaseTTL)
	return true
}

// fanOutLease is the lease of the node that fans the outbox out.
const fanOutLease = "fan-out"

// Run delivers until ctx ends, then waits for its workers.
func (d *Deliverer) Run(ctx context.Context) {
	d.defaults()
	defer func() {
		d.mu.Lock()
		for _, cancel := range d.workers {
			cancel()
		}
		d.mu.Unlock()
		d.wg.Wait()
	}()
	t := time.NewTicker(d.Poll)
	defer t.Stop()
	for {
		d.step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// step turns the outbox on or off by the stored targets, fans the outbox
// out when this node holds that lease, and keeps one worker per target.
func (d *Deliverer) step(ctx context.Context) {
	targets, err := d.Service.RefreshOutbox(ctx)
	if err != nil {
		d.logErr(ctx, "outbox: reading targets", err)
		return
	}
	if len(targets) == 0 {
		// Nothing to deliver to: no lease, no write; but the rows written
		// while the last target was being deleted are dropped, so a target
		// made later does not get changes older than itself.
		if d.hadTargets {
			d.hadTargets = false
			if _, err := d.Service.FanOut(ctx, 1000); err != nil {
				d.logErr(ctx, "outbox: fan-out", err)
				d.hadTargets = true
			}
		}
		d.stopWorkers(nil)
		return
	}
	d.hadTargets = true
	if d.lease(ctx, fanOutLease) {
		for {
			n, err := d.Service.FanOut(ctx, 200)
			if err != nil {
				d.logErr(ctx, "outbox: fan-out", err)
			}
			if err != nil || n == 0 {
				break
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	live := map[string]bool{}
	for _, t := range targets {
		live[t.ID] = true
		if _, ok := d.workers[t.ID]; !ok && ctx.Err() == nil {
			wctx, cancel := context.WithCancel(ctx)
			d.workers[t.ID] = cancel
			d.wg.Add(1)
			go func(id string) {
				defer d.wg.Done()
				d.work(wctx, id)
			}(t.ID)
		}
	}
	d.stopWorkersLocked(live)
}

// stopWorkers stops the workers of the targets not in live.
func (d *Deliverer) stopWorkers(live map[string]bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopWorkersLocked(live)
}

func (d *Deliverer) stopWorkersLocked(live map[string]bool) {
	for id, cancel := range d.workers {
		if !live[id] {
			cancel()
			delete(d.workers, id)
		}
	}
}

func (d *Deliverer) logErr(ctx context.Context, msg string, err error) {
	if ctx.Err() == nil {
		d.Logger.Error(msg, "err", err)
	}
}

// work delivers one target's deliveries while this node holds its lease.
// Deliveries go strictly in order (the head waits for its retry before
// anything after it), which keeps them in order per user.
func (d *Deliverer) work(ctx context.Context, id string) {
	for ctx.Err() == nil {
		wait := d.Poll
		if d.lease(ctx, "target:"+id) {
			wait = d.deliver(ctx, id)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// deliver sends the target's pending deliveries, in order, until one must
// wait (it returns how long) or none is left.
func (d *Deliverer) deliver(ctx context.Context, id string) time.Duration {
	t, err := d.Service.Target(ctx, id)
	if err != nil {
		if !openchime.IsCode(err, openchime.NotFound) {
			d.logErr(ctx, "outbox: reading target", err)
		}
		return d.Poll
	}
	sender := d.Senders[t.Type]
	if sender == nil || t.Stopped {
		return d.Poll
	}
	pending, err := d.Service.PendingDeliveries(ctx, id, 50)
	if err != nil {
		d.logErr(ctx, "outbox: reading deliveries", err)
		return d.Poll
	}
	// Outcomes are recorded a batch at a time (one transaction, not one per
	// delivery); a crash before the batch is recorded sends it again, which
	// at-least-once allows.
	var batch []*openchime.Delivery
	var results []string
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		// Recorded even as the deliverer shuts down: what was delivered
		// is not sent again after the restart.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.Timeout)
		err := d.Service.FinishDeliveries(fctx, batch)
		cancel()
		if err != nil {
			d.logErr(ctx, "outbox: recording deliveries", err)
		} else if d.OnResult != nil {
			for _, r := range results {
				d.OnResult(t, r)
			}
		}
		batch, results = batch[:0], results[:0]
		return err == nil
	}
	defer flush()
	for _, p := range pending {
		if wait := time.Until(p.NextAttempt); wait > 0 {
			return min(wait, d.Poll)
		}
		if !d.lease(ctx, "target:"+id) {
			return d.Poll // another node took over (this one stalled)
		}
		res := d.send(ctx, sender, t, p)
		if ctx.Err() != nil && res.Err != nil {
			return d.Poll // shutting down: this failed attempt does not count
		}
		p.Attempts++
		p.LastAttempt = time.Now().UTC()
		p.Status = openchime.DeliveryDelivered
		result := "delivered"
		switch {
		case res.Err == nil:
			p.LastError, p.NextAttempt = "", time.Time{}
		case res.Stop:
			p.Status, result = openchime.DeliveryPending, "stopped"
			p.LastError = res.Err.Error()
		case res.Permanent || p.Attempts >= d.MaxAttempts:
			p.Status, result = openchime.DeliveryDead, "dead"
			p.LastError, p.NextAttempt = res.Err.Error(), time.Time{}
		default:
			p.Status, result = openchime.DeliveryPending, "retry"
			p.LastError = res.Err.Error()
			p.NextAttempt = p.LastAttempt.Add(d.backoff(p.Attempts, res.RetryAfter))
		}
		batch, results = append(batch, p), append(results, result)
		if res.Err != nil {
			d.recordFailure(ctx, t, res) // successes are counted with the batch
		}
		switch result {
		case "retry", "stopped":
			if result == "retry" {
				d.Logger.Warn("outbox: delivery failed, will retry", "target", id, "attempts", p.Attempts, "next", p.NextAttempt, "err", res.Err)
			}
			flush()
			return min(time.Until(p.NextAttempt), d.Poll)
		case "dead":
			d.Logger.Error("outbox: delivery dead-lettered", "target", id, "attempts", p.Attempts, "err", res.Err)
		}
		if len(batch) >= 25 && !flush() {
			return d.Poll
		}
	}
	if !flush() {
		return d.Poll
	}
	if len(pending) == 50 {
		return 0
	}
	return d.Poll
}

// recordFailure keeps the target's LastError and Stopped up to date.
func (d *Deliverer) recordFailure(ctx context.Context, t *openchime.Target, res Result) {
	now := time.Now().UTC()
	err := d.Service.UpdateTargetState(ctx, t.ID, func(st *openchime.Target) {
		st.LastError, st.LastErrorAt = res.Err.Error(), now
		if res.Stop {
			st.Stopped = true
		}
	})
	if err != nil {
		d.logErr(ctx, "outbox: recording target state", err)
	}
}

// backoff is the delay before attempt n+1 after n failed ones: exponential
// with full jitter (a random delay up to BaseBackoff·2^(n-1), capped at
// MaxBackoff), or the target's Retry-After when it asked for longer.
func (d *Deliverer) backoff(n int, retryAfter time.Duration) time.Duration {
	ceiling := d.MaxBackoff
	if n-1 < 30 {
		ceiling = min(d.BaseBackoff<<(n-1), d.MaxBackoff)
	}
	delay := time.Duration(rand.Int64N(int64(ceiling)) + 1)
	if retryAfter > delay {
		delay = min(retryAfter, time.Hour)
	}
	return delay
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date) as a wait
// from now; 0 when absent or unreadable.
func RetryAfter(resp *http.Response, now time.Time) time.Duration {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// drain reads a little of an answer's body so the connection is reused.
func drain(resp *http.Response) { _, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) }
