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
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     Detail   `json:"detail"`
}

// Detail is the CloudTrail record of one change, as far as the audit event
// knows it.
// TODO(issue 17): point this at cloudtrail.Record once that package lands.
type Detail struct {
	EventVersion       string         `json:"eventVersion"`
	UserIdentity       UserIdentity   `json:"userIdentity"`
	EventTime          string         `json:"eventTime"`
	EventSource        string         `json:"eventSource"`
	EventName          string         `json:"eventName"`
	AwsRegion          string         `json:"awsRegion"`
	RequestParameters  map[string]any `json:"requestParameters"`
	RequestID          string         `json:"requestID,omitempty"`
	EventID            string         `json:"eventID"`
	ReadOnly           bool           `json:"readOnly"`
	EventType          string         `json:"eventType"`
	ManagementEvent    bool           `json:"managementEvent"`
	RecipientAccountID string         `json:"recipientAccountId"`
	EventCategory      string         `json:"eventCategory"`
}

// UserIdentity is who made the change.
type UserIdentity struct {
	Type        string `json:"type"`
	AccountID   string `json:"accountId"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
}

// region is the one region Chime's administration API lived in.
const region = "us-east-1"

const cloudTrailTime = "2006-01-02T15:04:05Z"

// detailOf is the one place an audit event becomes a CloudTrail record.
func detailOf(e *openchime.AuditEvent) Detail {
	params := map[string]any{}
	if e.AccountID != "" {
		params["accountId"] = e.AccountID
	}
	if len(e.UserIDs) == 1 {
		params["userId"] = e.UserIDs[0]
	} else if len(e.UserIDs) > 1 {
		params["userIdList"] = e.UserIDs
	}
	return Detail{
		EventVersion:       "1.08",
		UserIdentity:       UserIdentity{Type: "IAMUser", AccountID: e.AwsAccountID, AccessKeyID: e.AccessKeyID},
		EventTime:          e.Time.UTC().Format(cloudTrailTime),
		EventSource:        "chime.amazonaws.com",
		EventName:          e.Operation,
		AwsRegion:          region,
		RequestParameters:  params,
		RequestID:          e.RequestID,
		EventID:            e.ID,
		ReadOnly:           false,
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: e.AwsAccountID,
		EventCategory:      "Management",
	}
}

// EnvelopeOf is the webhook body of an audit event.
func EnvelopeOf(e *openchime.AuditEvent) Envelope {
	return Envelope{
		Version: "0", ID: e.ID, DetailType: "AWS API Call via CloudTrail", Source: "aws.chime",
		Account: e.AwsAccountID, Time: e.Time.UTC().Format(cloudTrailTime), Region: region,
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
