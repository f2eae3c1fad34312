package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/outbox"
	"github.com/openchime/openchime/scim"
)

// OutboxConfig bounds the delivery of changes to webhooks and SCIM targets.
type OutboxConfig struct {
	MaxAttempts int           // --outbox-max-attempts: attempts before a delivery is dead-lettered
	Timeout     time.Duration // --outbox-timeout: bound of one attempt
	MaxBackoff  time.Duration // --outbox-max-backoff: the longest wait between two attempts
}

func (m *Main) outboxFlags(fs *flag.FlagSet) {
	def := m.Config.Outbox.MaxAttempts
	if n, err := strconv.Atoi(os.Getenv("OPENCHIME_OUTBOX_MAX_ATTEMPTS")); err == nil {
		def = n
	}
	fs.IntVar(&m.Config.Outbox.MaxAttempts, "outbox-max-attempts", def, "attempts at one webhook or SCIM delivery before it is dead-lettered (env OPENCHIME_OUTBOX_MAX_ATTEMPTS)")
	fs.DurationVar(&m.Config.Outbox.MaxBackoff, "outbox-max-backoff", envDuration("OPENCHIME_OUTBOX_MAX_BACKOFF", m.Config.Outbox.MaxBackoff), "the longest wait between two attempts at a delivery; a target's Retry-After may ask for longer (env OPENCHIME_OUTBOX_MAX_BACKOFF)")
	fs.DurationVar(&m.Config.Outbox.Timeout, "outbox-timeout", envDuration("OPENCHIME_OUTBOX_TIMEOUT", m.Config.Outbox.Timeout), "bound of one webhook or SCIM request (env OPENCHIME_OUTBOX_TIMEOUT)")
}

func (c *OutboxConfig) validate() error {
	if c.MaxAttempts < 1 {
		return fmt.Errorf("--outbox-max-attempts %d must be at least 1", c.MaxAttempts)
	}
	if c.MaxBackoff <= 0 {
		return fmt.Errorf("--outbox-max-backoff %s must be positive", c.MaxBackoff)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--outbox-timeout %s must be positive", c.Timeout)
	}
	return nil
}

// startOutbox turns the outbox on when the store holds targets (before the
// first request, so no change after a restart goes without its event) and
// starts the deliverer, which runs until ctx ends or the returned func,
// which waits for it, stops it.
//
// On the log store, whose directory this process has locked, no lease is
// needed. On a shared store the node's lease name is its host and --addr, so
// a node restarted with the same configuration takes its leases back at once
// rather than after they expire.
func (m *Main) startOutbox(ctx context.Context, svc *openchime.Service, api *httpapi.Server, kind string, logger *slog.Logger, onResult func(*openchime.Target, string)) (func(), error) {
	if _, err := svc.RefreshOutbox(ctx); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	scimSender := &scim.Sender{Service: svc, Logger: logger}
	api.SCIMReconciler = scimSender
	host, _ := os.Hostname()
	d := &outbox.Deliverer{
		Service:     svc,
		Node:        host + " " + m.Config.Addr,
		Exclusive:   kind == kindLog,
		Senders:     map[string]outbox.Sender{openchime.WebhookTarget: &outbox.Webhook{}, openchime.SCIMTarget: scimSender},
		Logger:      logger,
		MaxAttempts: m.Config.Outbox.MaxAttempts,
		Timeout:     m.Config.Outbox.Timeout,
		MaxBackoff:  m.Config.Outbox.MaxBackoff,
		BaseBackoff: min(time.Second, m.Config.Outbox.MaxBackoff),
		OnResult:    onResult,
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	return func() { cancel(); <-done }, nil
}
