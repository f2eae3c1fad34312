package main

import (
	"fmt"
	"log/slog"
	"os"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/metrics"
)

// observability wires the Prometheus metrics and the --audit-file stream
// around the store and the HTTP server.
type observability struct {
	Metrics *metrics.Metrics
	// Store is the store to give the Service: instrumented, and streaming
	// audit events when --audit-file is set.
	Store     openchime.Store
	auditFile *os.File
}

func newObservability(c Config, store openchime.Store, logger *slog.Logger) (*observability, error) {
	o := &observability{Metrics: metrics.New()}
	o.Metrics.WatchUsers(store, 0)
	o.Store = o.Metrics.InstrumentStore(store)
	if c.AuditFile != "" {
		f, err := os.OpenFile(c.AuditFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("--audit-file: %w", err)
		}
		o.auditFile = f
		o.Store = openchime.StreamAudit(o.Store, f, func(err error) {
			logger.Error("audit file write failed", "path", c.AuditFile, "err", err)
		})
	}
	return o, nil
}

// outboxResult counts one delivery attempt.
func (o *observability) outboxResult(t *openchime.Target, result string) {
	o.Metrics.CountDelivery(t.ID, t.Type, result)
}

// attach serves the metrics at /metrics and /_openchime/metrics and counts
// every request.
func (o *observability) attach(api *httpapi.Server) {
	h := o.Metrics.Handler()
	api.Metrics = h
	api.HandleControl("GET /_openchime/metrics", h)
	api.Observer = o.Metrics
}

func (o *observability) Close() error {
	if o.auditFile != nil {
		return o.auditFile.Close()
	}
	return nil
}
