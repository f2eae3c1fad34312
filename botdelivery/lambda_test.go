package botdelivery_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/smithy-go"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/botdelivery"
	"github.com/openchime/openchime/sigv4"
)

const testARN = "arn:aws:lambda:eu-west-1:111122223333:function:echo-bot"

// fakeLambda serves the Lambda Invoke API, checking each call's SigV4
// signature (service lambda, the ARN's region) with OpenChime's verifier.
type fakeLambda struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	// calls are the invocation type, client context and body of each call.
	calls []lambdaCall
}

type lambdaCall struct {
	invocationType string
	clientContext  map[string]string
	body           []byte
}

func newFakeLambda(t *testing.T) *fakeLambda {
	f := &fakeLambda{t: t}
	v := &sigv4.Verifier{Service: "lambda", Lookup: func(key string) (sigv4.Credentials, bool) {
		return sigv4.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, key == "test"
	}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if want := "/2015-03-31/functions/" + testARN + "/invocations"; r.Method != "POST" || r.URL.Path != want {
			t.Errorf("Lambda call %s %s, want POST %s", r.Method, r.URL.Path, want)
		}
		res, err := v.Verify(r, body)
		if err != nil {
			t.Errorf("Lambda call signature: %v", err)
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		if res.Region != "eu-west-1" {
			t.Errorf("signed for region %q, want the ARN's eu-west-1", res.Region)
		}
		c := lambdaCall{invocationType: r.Header.Get("X-Amz-Invocation-Type"), body: body}
		if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
			raw, err := base64.StdEncoding.DecodeString(cc)
			if err != nil || json.Unmarshal(raw, &c.clientContext) != nil {
				t.Errorf("X-Amz-Client-Context %q is not base64 JSON", cc)
			}
		}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		if c.invocationType == "DryRun" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Write([]byte(`null`))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLambda) waitCalls(n int) []lambdaCall {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		f.mu.Lock()
		got := append([]lambdaCall(nil), f.calls...)
		f.mu.Unlock()
		if len(got) >= n {
			return got
		}
	}
	f.t.Fatalf("the Lambda got fewer than %d calls", n)
	return nil
}

// TestLambda_Invoke: a LambdaFunctionArn configuration is dry-run invoked,
// then gets its events through the Invoke API with Chime-Signature and
// Chime-Request-Timestamp in the ClientContext (auth-bots.html).
func TestLambda_Invoke(t *testing.T) {
	lambda := newFakeLambda(t)
	e := newEnv(t, newSampleBot(t), nil, func(c *botdelivery.Config) {
		c.LambdaEndpoint = lambda.srv.URL
		c.Credentials = aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	})
	ctx := context.Background()
	acct, _, room, botID := e.setup()
	if _, err := e.client.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{AccountId: &acct, BotId: &botID, LambdaFunctionArn: aws.String(testARN)}); err != nil {
		t.Fatalf("PutEventsConfiguration: %v", err)
	}
	if c := lambda.waitCalls(1)[0]; c.invocationType != "DryRun" {
		t.Errorf("first Lambda call X-Amz-Invocation-Type = %q, want DryRun", c.invocationType)
	}
	bot, _ := e.client.GetBot(ctx, &awschime.GetBotInput{AccountId: &acct, BotId: &botID})
	if _, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: &room, MemberId: &botID}); err != nil {
		t.Fatal(err)
	}
	c := lambda.waitCalls(2)[1]
	var ev map[string]any
	if err := json.Unmarshal(c.body, &ev); err != nil || ev["EventType"] != "Invite" {
		t.Fatalf("Lambda payload %s, want an Invite event", c.body)
	}
	stamp := c.clientContext["Chime-Request-Timestamp"]
	if want := openchime.SignBotRequest(*bot.Bot.SecurityToken, stamp, c.body); stamp == "" || c.clientContext["Chime-Signature"] != want {
		t.Errorf("ClientContext %v, want Chime-Signature %s", c.clientContext, want)
	}
}

// TestLambda_NoEndpoint: without --lambda-endpoint a Lambda bot's events
// are dropped, listed and counted as such.
func TestLambda_NoEndpoint(t *testing.T) {
	e := newEnv(t, newSampleBot(t), nil)
	ctx := context.Background()
	acct, _, room, botID := e.setup()
	if _, err := e.client.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{AccountId: &acct, BotId: &botID, LambdaFunctionArn: aws.String(testARN)}); err != nil {
		t.Fatalf("PutEventsConfiguration: %v", err)
	}
	if _, err := e.client.CreateRoomMembership(ctx, &awschime.CreateRoomMembershipInput{AccountId: &acct, RoomId: &room, MemberId: &botID}); err != nil {
		t.Fatal(err)
	}
	list := e.cp("GET", "/_openchime/accounts/"+acct+"/bots/"+botID+"/deliveries", nil, 200)["Deliveries"].([]any)
	d := list[len(list)-1].(map[string]any)
	if d["Status"] != "Dropped" || !strings.Contains(d["LastError"].(string), "--lambda-endpoint") || d["Target"] != testARN {
		t.Errorf("delivery = %v, want Dropped for want of --lambda-endpoint", d)
	}
	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `openchime_bot_events_total{event="Invite",outcome="dropped_no_lambda_endpoint"} 1`; !strings.Contains(string(text), want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

type countingObserver struct {
	mu  sync.Mutex
	got map[string]int
}

func (o *countingObserver) ObserveBotDelivery(event, outcome string, attempts int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got[outcome]++
}

// TestSend_QueueFull: Send never blocks; past the queue's bound events are
// dropped, listed and counted.
func TestSend_QueueFull(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	obs := &countingObserver{got: map[string]int{}}
	d := botdelivery.New(botdelivery.Config{QueueSize: 1, Workers: 1, Timeout: 5 * time.Second, Observer: obs, Logger: slog.New(slog.DiscardHandler)})
	defer d.Close()
	ev := openchime.BotEvent{BotID: "b", Type: "Mention", SecurityToken: "t", Body: []byte(`{}`),
		Target: openchime.EventsConfiguration{OutboundEventsHTTPSEndpoint: slow.URL}}
	start := time.Now()
	d.Send(ev) // taken by the worker, which waits on the endpoint
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if l := d.Deliveries("b"); len(l) == 1 && l[0].Attempts == 0 {
			time.Sleep(50 * time.Millisecond) // let the worker take it off the queue
			break
		}
	}
	d.Send(ev) // queued
	d.Send(ev) // over the bound
	if el := time.Since(start); el > time.Second {
		t.Errorf("Send blocked for %s", el)
	}
	list := d.Deliveries("b")
	if len(list) != 3 || list[2].Status != botdelivery.StatusDropped || !strings.Contains(list[2].LastError, "queue is full") {
		t.Errorf("deliveries = %+v, want the third Dropped for a full queue", list)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.got[botdelivery.OutcomeQueueFull] != 1 {
		t.Errorf("observed %v, want one %s", obs.got, botdelivery.OutcomeQueueFull)
	}
}

// TestLambda_DryRun: PutEventsConfiguration is refused, storing nothing, when
// the Lambda endpoint says the function does not exist, and passes when the
// endpoint merely lacks DryRun (SAM local answers NotImplemented).
func TestLambda_DryRun(t *testing.T) {
	var status atomic.Int32
	lambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"Type":"User","Message":"no"}`, int(status.Load()))
	}))
	defer lambda.Close()
	e := newEnv(t, newSampleBot(t), nil, func(c *botdelivery.Config) { c.LambdaEndpoint = lambda.URL })
	ctx := context.Background()
	acct, _, _, botID := e.setup()
	e.client.DeleteEventsConfiguration(ctx, &awschime.DeleteEventsConfigurationInput{AccountId: &acct, BotId: &botID})
	put := func() error {
		_, err := e.client.PutEventsConfiguration(ctx, &awschime.PutEventsConfigurationInput{AccountId: &acct, BotId: &botID, LambdaFunctionArn: aws.String(testARN)})
		return err
	}
	status.Store(http.StatusNotFound)
	var ae smithy.APIError
	if err := put(); !errors.As(err, &ae) || ae.ErrorCode() != "BadRequestException" || !strings.Contains(ae.ErrorMessage(), "HTTP 404") {
		t.Errorf("PutEventsConfiguration of a function Lambda does not know: %v, want BadRequestException naming the 404", err)
	}
	if _, err := e.client.GetEventsConfiguration(ctx, &awschime.GetEventsConfigurationInput{AccountId: &acct, BotId: &botID}); !errors.As(err, &ae) || ae.ErrorCode() != "NotFoundException" {
		t.Errorf("GetEventsConfiguration after the refused dry run: %v, want NotFoundException", err)
	}
	status.Store(http.StatusNotImplemented)
	if err := put(); err != nil {
		t.Errorf("PutEventsConfiguration with an endpoint without DryRun: %v, want it stored", err)
	}
}
