package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	openchime "github.com/openchime/openchime"
)

// How the store rides out a database that is briefly unavailable (a
// restart, a failover): requests that certainly did not commit run again on
// a fresh connection for up to unavailableFor, so a promotion that completes
// within it costs no error at all; past it they answer ServiceUnavailable,
// so that no request hangs for long.
var (
	unavailableFor = 4 * time.Second
	// acquireTimeout bounds the wait for a pooled connection (all in use)
	// or a new one (the server slow to accept).
	acquireTimeout = 5 * time.Second
	// connectTimeout is the connect_timeout a URL without one gets: without
	// it a host that drops packets holds a connection attempt for the
	// kernel's TCP timeout, minutes.
	connectTimeout = 5 * time.Second
	// unavailableBackoff is the first wait after an unavailable database;
	// it doubles up to unavailableMaxBackoff, with full jitter.
	unavailableBackoff, unavailableMaxBackoff = 25 * time.Millisecond, 500 * time.Millisecond
)

// errNoConn is the cause an attempt's context is cancelled with when no
// connection was obtained within acquireTimeout.
var errNoConn = errors.New("no database connection obtained within the acquire timeout")

const msgNoConn = "No database connection could be obtained in time (the database is slow, unreachable or overloaded); retry the request with backoff."

// attemptBounded is attempt with the wait for a pooled connection (or a new
// one) bounded by acquireTimeout. Once the callback runs the limit is lifted: a
// long transaction is not cut, and a COMMIT is never interrupted by it.
func (s *Store) attemptBounded(ctx context.Context, opts *txMode, fn func(*tx) error) (bool, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(acquireTimeout, func() { cancel(errNoConn) })
	defer timer.Stop()
	began := false
	retry, err := s.attempt(actx, opts, func(t *tx) error {
		if !began {
			began = true
			if !timer.Stop() { // fired: actx is (being) cancelled
				return errNoConn
			}
		}
		return fn(t)
	})
	if err != nil && ctx.Err() == nil && (errors.Is(err, errNoConn) || errors.Is(context.Cause(actx), errNoConn)) {
		// Not begun, so not committed; not retried, as the wait took the
		// time a retry would have.
		return false, &openchime.Error{Code: openchime.ServiceUnavailable, Message: msgNoConn, Err: err}
	}
	return retry, err
}

// jitter returns a wait drawn uniformly from (0, base<<retry], capped at
// limit: full jitter, so that requests that failed together do not retry
// together.
func jitter(retry int, base, limit time.Duration) time.Duration {
	if base <= 0 {
		base = time.Millisecond
	}
	if limit < base {
		limit = base
	}
	d := base << min(retry, 20)
	if d <= 0 || d > limit {
		d = limit
	}
	return rand.N(d) + 1
}
