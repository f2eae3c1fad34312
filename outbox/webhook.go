package outbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/cloudtrail"
)

// Webhook sends each delivery as one POST of an EventBridge event.
type Webhook struct {
	Client *http.Client // nil: http.DefaultClient (the Deliverer bounds each call's time)
}

// Headers of a webhook delivery.
const (
	EventIDHeader   = "X-OpenChime-Event-Id"
	SignatureHeader = "X-OpenChime-Signature" // sha256=<hex HMAC-SHA256 of the body with the secret>
)

// Envelope is the EventBridge event a webhook receives, shaped as the events
// CloudTrail delivers to an event bus ("AWS API Call via CloudTrail"; see
// https://docs.amazonaws.cn/en_us/eventbridge/latest/userguide/eb-events-structure.html).
type Envelope struct {
	Version    string            `json:"version"`
	ID         string            `json:"id"`
	DetailType string            `json:"detail-type"`
	Source     string            `json:"source"`
	Account    string            `json:"account"`
	Time       string            `json:"time"`
	Region     string            `json:"region"`
	Resources  []string          `json:"resources"`
	Detail     cloudtrail.Record `json:"detail"`
}

// detailOf is the one place an audit event becomes the CloudTrail record of
// its change: cloudtrail.NewRecord's fixed fields and the caller's identity,
// with what the audit event knows of the request (its request id, the
// Chime account and users it changed). The audit event does not keep the
// caller's address, user agent or response, so those stay empty.
func detailOf(e *openchime.AuditEvent) cloudtrail.Record {
	r := cloudtrail.NewRecord(cloudtrail.DefaultIdentity(e.AwsAccountID, e.AccessKeyID, false), e.Operation, e.Time)
	params := map[string]any{}
	if e.AccountID != "" {
		params["accountId"] = e.AccountID
	}
	if len(e.UserIDs) == 1 {
		params["userId"] = e.UserIDs[0]
	} else if len(e.UserIDs) > 1 {
		params["userIdList"] = e.UserIDs
	}
	r.RequestParameters = params
	r.RequestID, r.EventID = e.RequestID, e.ID
	return r
}

// EnvelopeOf is the webhook body of an audit event.
func EnvelopeOf(e *openchime.AuditEvent) Envelope {
	return Envelope{
		Version: "0", ID: e.ID, DetailType: "AWS API Call via CloudTrail", Source: "aws.chime",
		Account: e.AwsAccountID, Time: e.Time.UTC().Format(time.RFC3339), Region: cloudtrail.Region,
		Resources: []string{}, Detail: detailOf(e),
	}
}

// Sign is the X-OpenChime-Signature of body with secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send POSTs the delivery's event to the webhook's URL: a 2xx is delivered,
// anything else is retried.
func (w *Webhook) Send(ctx context.Context, t *openchime.Target, d *openchime.Delivery) Result {
	var e openchime.AuditEvent
	if err := json.Unmarshal(d.Event, &e); err != nil {
		return Result{Err: fmt.Errorf("decode event: %w", err), Permanent: true}
	}
	body, err := json.Marshal(EnvelopeOf(&e))
	if err != nil {
		return Result{Err: err, Permanent: true}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return Result{Err: err, Permanent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "OpenChime-Webhook")
	req.Header.Set(EventIDHeader, e.ID)
	if t.Webhook.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(t.Webhook.Secret, body))
	}
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return Result{Err: err}
	}
	defer resp.Body.Close()
	drain(resp)
	if resp.StatusCode/100 == 2 {
		return Result{}
	}
	return Result{Err: fmt.Errorf("webhook answered %s", resp.Status), RetryAfter: RetryAfter(resp, time.Now())}
}
