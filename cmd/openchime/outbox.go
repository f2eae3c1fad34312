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
}

func (m *Main) outboxFlags(fs *flag.FlagSet) {
	def := m.Config.Outbox.MaxAttempts
	if n, err := strconv.Atoi(os.Getenv("OPENCHIME_OUTBOX_MAX_ATTEMPTS")); err == nil {
		def = n
	}
	fs.IntVar(&m.Config.Outbox.MaxAttempts, "outbox-max-attempts", def, "attempts at one webhook or SCIM delivery before it is dead-lettered (env OPENCHIME_OUTBOX_MAX_ATTEMPTS)")
	fs.DurationVar(&m.Config.Outbox.Timeout, "outbox-timeout", envDuration("OPENCHIME_OUTBOX_TIMEOUT", m.Config.Outbox.Timeout), "bound of one webhook or SCIM request (env OPENCHIME_OUTBOX_TIMEOUT)")
}

func (c *OutboxConfig) validate() error {
	if c.MaxAttempts < 1 {
		return fmt.Errorf("--outbox-max-attempts %d must be at least 1", c.MaxAttempts)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--outbox-timeout %s must be positive", c.Timeout)
	}
	return nil
}

// startOutbox turns the outbox on when the store holds targets (before the
// first request, so no change after a restart goes without its event) and
// starts the deliverer, which runs until ctx ends; the returned func waits
// for it.
func (m *Main) startOutbox(ctx context.Context, svc *openchime.Service, api *httpapi.Server, logger *slog.Logger, onResult func(*openchime.Target, string)) (func(), error) {
	if _, err := svc.RefreshOutbox(ctx); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	scimSender := &scim.Sender{Service: svc, Logger: logger}
	api.SCIMReconciler = scimSender
	d := &outbox.Deliverer{
		Service:     svc,
		Senders:     map[string]outbox.Sender{openchime.WebhookTarget: &outbox.Webhook{}, openchime.SCIMTarget: scimSender},
		Logger:      logger,
		MaxAttempts: m.Config.Outbox.MaxAttempts,
		Timeout:     m.Config.Outbox.Timeout,
		OnResult:    onResult,
	}
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	return func() { <-done }, nil
}
