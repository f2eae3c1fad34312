package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	openchime "github.com/openchime/openchime"
)

// Readiness and identity of the server, for load balancers and operators:
//
//	GET /_openchime/health  liveness: 200 whenever the process serves HTTP
//	GET /_openchime/ready   readiness: 200 when the store answers, else 503
//	GET /_openchime/info    version, store kind, auth and IAM mode, uptime
//
// health and ready need no admin token (checkAdminToken), so a load
// balancer's probe, which cannot send one, reaches them; info does.

// ReadyTimeout bounds one readiness check: a store that does not answer
// within it is not ready.
const ReadyTimeout = 2 * time.Second

// StoreReady returns a readiness check of store: a read-only transaction that
// reads at most one account, which makes a round trip to PostgreSQL and
// fails on a closed store or a log store whose log failed.
func StoreReady(store openchime.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		return store.View(ctx, func(tx openchime.ReadTx) error {
			_, err := tx.Accounts(ctx, openchime.AccountFilter{Limit: 1, IncludeDeleted: true})
			return err
		})
	}
}

// Info is the answer of GET /_openchime/info.
type Info struct {
	Version  string // the module version, e.g. v1.2.3, or a pseudo-version
	Revision string `json:",omitempty"` // the VCS revision built, when known
	Modified bool   `json:",omitempty"` // the build had uncommitted changes
	Store    string // sqlite, log, postgres or nostore
	Auth     string // none or sigv4
	IAM      string // IAM policy enforcement (serve --iam): enforce, soft or off
	// StartTime is when the server started; UptimeSeconds is the time since.
	StartTime     Timestamp
	UptimeSeconds float64
}

func (s *Server) handleReadyRoutes() {
	s.HandleControl("GET /_openchime/ready", http.HandlerFunc(s.ready))
	s.HandleControl("GET /_openchime/info", http.HandlerFunc(s.info))
}

// NotReady is an error of a readiness check whose text is safe to answer
// with, such as "init hooks are still running".
type NotReady string

func (e NotReady) Error() string { return string(e) }

// msgNotReady is the message of a failed readiness check. The check's own
// error is logged, not sent: ready answers without the admin token, and a
// database error can name hosts and users.
const msgNotReady = "The server is not ready: its store does not answer. Retry later."

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	check := s.Ready
	if check == nil {
		check = StoreReady(s.Service.Store)
	}
	ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
	defer cancel()
	if err := check(ctx); err != nil {
		s.Logger.Warn("not ready", "request_id", w.Header().Get("x-amzn-RequestId"), "err", err)
		msg := msgNotReady
		if nr, ok := errors.AsType[NotReady](err); ok {
			msg = string(nr)
		}
		WriteError(w, &openchime.Error{Code: openchime.ServiceUnavailable, Message: msg, Err: err})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"Status": "ready"})
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	in := s.Info
	if in.IAM == "" {
		in.IAM = "off"
	}
	in.StartTime = Timestamp(s.started)
	in.UptimeSeconds = time.Since(s.started).Round(time.Millisecond).Seconds()
	writeJSON(w, http.StatusOK, in)
}
