// Package botdelivery carries bot events to the bots (decision D44): signed
// HTTPS POSTs to an outbound events endpoint, or Lambda Invoke API calls, from
// a bounded queue with timeouts and retries, never in the way of the API call
// that caused them. It implements [openchime.BotEvents].
//
// What Chime does, from the Amazon Chime Administration Guide, "Authenticate
// chatbot requests" (https://docs.aws.amazon.com/chime/latest/ag/auth-bots.html):
// the endpoint must answer 200 OK within 2 seconds; after a connection or
// read timeout, or a 5xx, the request is retried twice, 200 ms and then 400 ms
// after the previous attempt failed, with a new Chime-Request-Timestamp each
// time; a Lambda function gets Chime-Signature and Chime-Request-Timestamp
// in the invocation's ClientContext, Base64-encoded JSON.
package botdelivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	openchime "github.com/openchime/openchime"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Outcomes of a delivery, as counted by an [Observer].
const (
	OutcomeDelivered = "delivered"
	OutcomeFailed    = "failed"
	// OutcomeQueueFull: the queue was full and the event was dropped.
	OutcomeQueueFull = "dropped_queue_full"
	// OutcomeNoLambda: a Lambda target with no --lambda-endpoint to call.
	OutcomeNoLambda = "dropped_no_lambda_endpoint"
)

// Statuses of a delivery in the listing.
const (
	StatusPending   = "Pending"
	StatusDelivered = "Delivered"
	StatusFailed    = "Failed"
	StatusDropped   = "Dropped"
)

// Observer is told how each event ended and how many attempts it took
// (package metrics counts them).
type Observer interface {
	ObserveBotDelivery(eventType, outcome string, attempts int)
}

// Config configures a Deliverer; zero fields take the defaults noted.
type Config struct {
	// Client sends every request; nil is a client on Go's default transport,
	// which trusts the system roots (SSL_CERT_FILE, SSL_CERT_DIR) and
	// allows loopback targets.
	Client *http.Client
	// LambdaEndpoint is where the Lambda Invoke API is served (a local
	// Lambda emulator); "" drops Lambda events with a log line.
	LambdaEndpoint string
	// Credentials sign the Lambda calls (SigV4, service lambda, the ARN's
	// region).
	Credentials aws.Credentials
	// Timeout bounds one HTTPS attempt: 2 s, as the guide says.
	Timeout time.Duration
	// LambdaTimeout bounds one Lambda invocation: 10 s.
	LambdaTimeout time.Duration
	// Backoff is the wait before each retry: 200 ms, 400 ms (two retries).
	Backoff []time.Duration
	// QueueSize bounds the events waiting: 1,000; beyond it they are
	// dropped.
	QueueSize int
	// Workers deliver in parallel: 4.
	Workers int
	// History is how many recent deliveries are kept per bot: 50.
	History int
	// Now stamps the deliveries listing (the Service's clock); nil is
	// time.Now. Chime-Request-Timestamp is always the real time, so a bot
	// that refuses stale requests accepts them under a frozen clock.
	Now      func() time.Time
	Logger   *slog.Logger
	Observer Observer
}

// Deliverer delivers bot events; its zero value is not usable, call New.
type Deliverer struct {
	cfg    Config
	queue  chan job
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	recent map[string][]*openchime.BotDelivery // bot id -> oldest first
	closed bool
}

type job struct {
	ev  openchime.BotEvent
	rec *openchime.BotDelivery
}

var _ openchime.BotEvents = (*Deliverer)(nil)

// New starts a Deliverer's workers; Close stops them.
func New(cfg Config) *Deliverer {
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.LambdaTimeout <= 0 {
		cfg.LambdaTimeout = 10 * time.Second
	}
	if cfg.Backoff == nil {
		cfg.Backoff = []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.History <= 0 {
		cfg.History = 50
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.LambdaEndpoint = strings.TrimSuffix(cfg.LambdaEndpoint, "/")
	d := &Deliverer{cfg: cfg, queue: make(chan job, cfg.QueueSize), recent: map[string][]*openchime.BotDelivery{}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for range cfg.Workers {
		d.wg.Add(1)
		go d.work()
	}
	return d
}

// Close stops taking events, abandons the retries under way and waits for
// the workers; events still queued are not sent.
func (d *Deliverer) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	close(d.queue)
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
}

func (d *Deliverer) now() time.Time { return d.cfg.Now().UTC() }

func target(ev *openchime.BotEvent) string {
	if ev.Target.LambdaFunctionArn != "" {
		return ev.Target.LambdaFunctionArn
	}
	return ev.Target.OutboundEventsHTTPSEndpoint
}

// Send queues ev; it never blocks. A full queue, or a Lambda target with no
// Lambda endpoint, drops the event, logged, counted and listed as Dropped.
func (d *Deliverer) Send(ev openchime.BotEvent) {
	rec := &openchime.BotDelivery{EventType: ev.Type, Status: StatusPending, Target: target(&ev), CreatedAt: d.now()}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.remember(ev.BotID, rec)
	drop := func(outcome, why string) {
		rec.Status, rec.LastError, rec.CompletedAt = StatusDropped, why, d.now()
		d.cfg.Logger.Warn("bot event dropped", "bot", ev.BotID, "event", ev.Type, "target", rec.Target, "why", why)
		d.observe(ev.Type, outcome, 0)
	}
	switch {
	case ev.Target.LambdaFunctionArn != "" && d.cfg.LambdaEndpoint == "":
		drop(OutcomeNoLambda, "no Lambda endpoint is configured (openchime serve --lambda-endpoint URL)")
	case d.closed:
		drop(OutcomeQueueFull, "the server is shutting down")
	default:
		select {
		case d.queue <- job{ev, rec}:
		default:
			drop(OutcomeQueueFull, fmt.Sprintf("the delivery queue is full (%d events waiting)", d.cfg.QueueSize))
		}
	}
}

func (d *Deliverer) observe(eventType, outcome string, attempts int) {
	if d.cfg.Observer != nil {
		d.cfg.Observer.ObserveBotDelivery(eventType, outcome, attempts)
	}
}

// remember adds rec to the bot's recent deliveries; d.mu is held.
func (d *Deliverer) remember(botID string, rec *openchime.BotDelivery) {
	list := append(d.recent[botID], rec)
	if len(list) > d.cfg.History {
		list = append(list[:0:0], list[len(list)-d.cfg.History:]...)
	}
	d.recent[botID] = list
}

// Deliveries returns copies of the bot's recent deliveries, oldest first.
func (d *Deliverer) Deliveries(botID string) []openchime.BotDelivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]openchime.BotDelivery, len(d.recent[botID]))
	for i, r := range d.recent[botID] {
		out[i] = *r
	}
	return out
}

func (d *Deliverer) work() {
	defer d.wg.Done()
	for j := range d.queue {
		d.deliver(j)
	}
}

// deliver makes the attempts of one event: a retry after a timeout, a
// transport error or a 5xx, waiting Backoff[i] before retry i+1.
func (d *Deliverer) deliver(j job) {
	var status int
	var err error
	attempts := 0
	for {
		attempts++
		var retry bool
		status, retry, err = d.attempt(j.ev)
		d.mu.Lock()
		j.rec.Attempts, j.rec.LastStatus = attempts, status
		if err != nil {
			j.rec.LastError = err.Error()
		} else {
			j.rec.LastError = ""
		}
		d.mu.Unlock()
		if err == nil || !retry || attempts > len(d.cfg.Backoff) {
			break
		}
		select {
		case <-time.After(d.cfg.Backoff[attempts-1]):
		case <-d.ctx.Done():
			err = errors.New("the server shut down before the retry")
		}
		if d.ctx.Err() != nil {
			break
		}
	}
	outcome, st := OutcomeDelivered, StatusDelivered
	if err != nil {
		outcome, st = OutcomeFailed, StatusFailed
		d.cfg.Logger.Info("bot event not delivered", "bot", j.ev.BotID, "event", j.ev.Type, "target", j.rec.Target, "attempts", attempts, "err", err)
	}
	d.mu.Lock()
	j.rec.Status, j.rec.CompletedAt = st, d.now()
	if err != nil {
		j.rec.LastError = err.Error()
	}
	d.mu.Unlock()
	d.observe(j.ev.Type, outcome, attempts)
}

// attempt sends ev once: the HTTP status (0 when none came), whether a
// failure may be retried, and the failure.
func (d *Deliverer) attempt(ev openchime.BotEvent) (int, bool, error) {
	stamp := openchime.BotTimestamp(time.Now())
	sig := openchime.SignBotRequest(ev.SecurityToken, stamp, ev.Body)
	if ev.Target.LambdaFunctionArn != "" {
		return d.invokeLambda(d.ctx, ev.Target.LambdaFunctionArn, ev.Body, sig, stamp, "")
	}
	ctx, cancel := context.WithTimeout(d.ctx, d.cfg.Timeout)
	defer cancel()
	resp, err := d.post(ctx, ev.Target.OutboundEventsHTTPSEndpoint, ev.Body, sig, stamp)
	if err != nil {
		return 0, true, d.transportError(ctx, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp.StatusCode, false, nil
	case resp.StatusCode >= 500:
		return resp.StatusCode, true, fmt.Errorf("the endpoint answered HTTP %d", resp.StatusCode)
	default:
		return resp.StatusCode, false, fmt.Errorf("the endpoint answered HTTP %d (not retried: only timeouts and 5xx are)", resp.StatusCode)
	}
}

// post sends one signed request to a bot's HTTPS endpoint
// (auth-bots.html: the Chime-Signature and Chime-Request-Timestamp headers).
func (d *Deliverer) post(ctx context.Context, endpoint string, body []byte, sig, stamp string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Chime-Signature", sig)
	req.Header.Set("Chime-Request-Timestamp", stamp)
	return d.cfg.Client.Do(req)
}

// transportError says what went wrong with a request that got no answer.
func (d *Deliverer) transportError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", d.cfg.Timeout)
	}
	return fmt.Errorf("could not reach the endpoint: %v", err)
}

// VerifyEndpoint makes the HTTPSEndpointVerification call: one attempt of at
// most Timeout, which must answer 200 with {"Challenge":challenge}.
func (d *Deliverer) VerifyEndpoint(ctx context.Context, endpoint, token string, body []byte, challenge string) error {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	stamp := openchime.BotTimestamp(time.Now())
	resp, err := d.post(ctx, endpoint, body, openchime.SignBotRequest(token, stamp, body), stamp)
	if err != nil {
		return d.transportError(ctx, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return d.transportError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the endpoint answered HTTP %d, not 200 with {\"Challenge\":%q}", resp.StatusCode, challenge)
	}
	var echo struct{ Challenge *string }
	if err := json.Unmarshal(answer, &echo); err != nil || echo.Challenge == nil {
		return fmt.Errorf("the endpoint answered 200 with %s, not {\"Challenge\":%q}", quoteAnswer(answer), challenge)
	}
	if *echo.Challenge != challenge {
		return fmt.Errorf("the endpoint echoed Challenge %q, not the %q sent", *echo.Challenge, challenge)
	}
	return nil
}

// quoteAnswer shows the start of a response body in an error message.
func quoteAnswer(b []byte) string {
	if len(b) == 0 {
		return "an empty body"
	}
	if len(b) > 100 {
		return fmt.Sprintf("%q…", b[:100])
	}
	return fmt.Sprintf("%q", b)
}

// VerifyLambda makes a DryRun invocation of the function, as Chime did
// before storing a Lambda configuration; with no Lambda endpoint it checks
// nothing. It fails when the endpoint cannot be reached or answers that the
// function does not exist (404) or may not be called (403); any other
// refusal is an emulator without DryRun (SAM's start-lambda answers
// NotImplemented for every type but RequestResponse), logged and let pass.
func (d *Deliverer) VerifyLambda(ctx context.Context, arn string) error {
	if d.cfg.LambdaEndpoint == "" {
		return nil
	}
	status, _, err := d.invokeLambda(ctx, arn, []byte("{}"), "", "", "DryRun")
	if err != nil && status != 0 && status != http.StatusNotFound && status != http.StatusForbidden {
		d.cfg.Logger.Warn("Lambda DryRun refused; the configuration is stored anyway", "function", arn, "err", err)
		return nil
	}
	return err
}

// invokeLambda calls the Lambda Invoke API
// (POST /2015-03-31/functions/{arn}/invocations, SigV4 for lambda in the
// ARN's region) with the signature in the ClientContext.
func (d *Deliverer) invokeLambda(ctx context.Context, arn string, body []byte, sig, stamp, invocationType string) (int, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.LambdaTimeout)
	defer cancel()
	url := d.cfg.LambdaEndpoint + "/2015-03-31/functions/" + arn + "/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	if invocationType != "" {
		req.Header.Set("X-Amz-Invocation-Type", invocationType)
	}
	if sig != "" {
		cc, _ := json.Marshal(map[string]string{"Chime-Signature": sig, "Chime-Request-Timestamp": stamp})
		req.Header.Set("X-Amz-Client-Context", base64.StdEncoding.EncodeToString(cc))
	}
	hash := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, d.cfg.Credentials, req, hex.EncodeToString(hash[:]), "lambda", arnRegion(arn), time.Now()); err != nil {
		return 0, false, fmt.Errorf("sign the Lambda call: %v", err)
	}
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, true, fmt.Errorf("Lambda gave no answer within %s", d.cfg.LambdaTimeout)
		}
		return 0, true, fmt.Errorf("could not reach the Lambda endpoint: %v", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if fe := resp.Header.Get("X-Amz-Function-Error"); fe != "" {
			return resp.StatusCode, false, fmt.Errorf("the function failed (%s): %s", fe, quoteAnswer(answer))
		}
		return resp.StatusCode, false, nil
	case resp.StatusCode >= 500:
		return resp.StatusCode, true, fmt.Errorf("Lambda answered HTTP %d: %s", resp.StatusCode, quoteAnswer(answer))
	default:
		return resp.StatusCode, false, fmt.Errorf("Lambda answered HTTP %d: %s", resp.StatusCode, quoteAnswer(answer))
	}
}

// arnRegion is the region of a Lambda function ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME).
func arnRegion(arn string) string {
	if parts := strings.SplitN(arn, ":", 5); len(parts) == 5 && parts[3] != "" {
		return parts[3]
	}
	return "us-east-1"
}
