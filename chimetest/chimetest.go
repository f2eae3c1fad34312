// Package chimetest runs an OpenChime server in-process, for testing code
// that calls the Amazon Chime administration API. It is shaped like
// net/http/httptest: NewServer starts a server on loopback with in-memory
// storage and stops it when the test ends; AWSConfig and Client point the AWS
// SDK for Go v2 at it; seeding helpers create the accounts and users (in any
// state, e.g. suspended users of an EnterpriseLWA account) that the public API
// cannot.
//
//	srv := chimetest.NewServer(t, chimetest.WithFrozenTime(t0), chimetest.WithIDSeed(1))
//	acct := srv.CreateAccount(t, openchime.EnterpriseLWA)
//	bob := srv.CreateUser(t, acct.ID, openchime.Suspended)
//	out, err := srv.Client().BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{...})
//
// Every server is independent: its own database, clock and ids, so tests that
// each start one may run in parallel.
package chimetest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/botdelivery"
	"github.com/openchime/openchime/fixture"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/internal/fixturefile"
	"github.com/openchime/openchime/outbox"
	"github.com/openchime/openchime/scim"
	"github.com/openchime/openchime/sqlite"
)

// DefaultAwsAccountID is the AWS account a server's AWSConfig signs as,
// unless WithAwsAccountID says otherwise.
const DefaultAwsAccountID = openchime.DefaultAwsAccountID

// SecretAccessKey is the secret of the static credentials of AWSConfig.
// OpenChime takes the tenant from the access key id, which AWSConfig sets to
// the server's AWS account id.
const SecretAccessKey = "chimetest-secret-access-key"

// Region is the region of AWSConfig. Chime is a global service with its
// endpoint in us-east-1.
const Region = "us-east-1"

// Server is an OpenChime server for tests.
type Server struct {
	awsAccountID string
	store        *sqlite.Store
	svc          *openchime.Service
	api          *httpapi.Server
	clock        *openchime.ControlClock
	http         *httptest.Server
	bots         *botdelivery.Deliverer // nil without WithBotEvents
	stopOutbox   func()                 // nil without WithOutbox

	mu       sync.Mutex
	accounts int // for default account names
	users    int // for default emails
	closed   bool
}

// Option configures a Server.
type Option func(*config)

type config struct {
	clock        openchime.Clock
	frozen       *time.Time
	idSeed       *uint64
	botEvents    bool
	botClient    *http.Client
	outbox       bool
	outboxClient *http.Client
	awsAccountID string
	logger       *slog.Logger
	sigv4        bool
}

// WithClock makes the server tell time by c. With an *openchime.ControlClock
// the test (and POST /_openchime/clock) can set, freeze and advance it; with
// any other Clock, Server.Clock returns nil.
func WithClock(c openchime.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithFrozenTime starts the server with its clock frozen at t: every
// timestamp it writes is t until the test moves the clock.
func WithFrozenTime(t time.Time) Option { return func(cfg *config) { cfg.frozen = &t } }

// WithIDSeed makes every id the server generates (accounts, users, PINs and
// request ids) come from a sequence seeded with n: the same calls in the same
// order give the same ids.
func WithIDSeed(n uint64) Option { return func(cfg *config) { cfg.idSeed = &n } }

// WithAwsAccountID sets the AWS account (12 digits) the server's AWSConfig
// signs as, and that seeded accounts belong to by default.
func WithAwsAccountID(id string) Option { return func(cfg *config) { cfg.awsAccountID = id } }

// WithBotEvents makes the server verify bots' endpoints and send them their
// events as openchime serve does (decision D44), through client: nil is a
// client on the system roots, or pass an httptest TLS server's Client().
// Without it, PutEventsConfiguration calls nothing and no event is sent.
func WithBotEvents(client *http.Client) Option {
	return func(cfg *config) { cfg.botEvents, cfg.botClient = true, client }
}

// WithOutbox makes the server carry every change to the webhooks and SCIM
// targets configured through the control plane (POST /_openchime/webhooks,
// PUT /_openchime/accounts/{id}/scim), as openchime serve does, through
// client (nil: http.DefaultClient), polling every 20ms and retrying after
// at most 100ms. Without it, targets can be configured but nothing is sent.
func WithOutbox(client *http.Client) Option {
	return func(cfg *config) { cfg.outbox, cfg.outboxClient = true, client }
}

// WithLogger sends the server's request log to l; by default it is discarded.
func WithLogger(l *slog.Logger) Option { return func(cfg *config) { cfg.logger = l } }

// WithSigV4 makes the server verify SigV4 signatures as a server started with
// --credentials does: only AWSConfig's credentials are accepted, and
// requests that are unsigned or signed with another secret fail with the
// AWS front-door errors. The signing time is checked against real time, not
// the server's clock, which a test may have frozen anywhere.
func WithSigV4() Option { return func(cfg *config) { cfg.sigv4 = true } }

// requestIDSalt keeps the request-id sequence apart from the resource ids of
// the same seed, as openchime serve --id-seed does.
const requestIDSalt = 0x5eed_0f_2e9e57

// eventIDSalt does the same for the CloudTrail event ids.
const eventIDSalt = 0x5eed_c1_0d7a11

// NewUnstartedServer returns a server that is not listening yet: the caller
// may change its Service or HTTPServer, then calls Start. It panics if the
// in-memory database cannot be opened.
func NewUnstartedServer(opts ...Option) *Server {
	cfg := config{awsAccountID: DefaultAwsAccountID}
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.awsAccountID) != 12 {
		panic(fmt.Sprintf("chimetest: WithAwsAccountID(%q): an AWS account id has 12 digits", cfg.awsAccountID))
	}
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		panic("chimetest: open in-memory store: " + err.Error())
	}
	svc := openchime.NewService(store)
	svc.DefaultAwsAccountID = cfg.awsAccountID
	if cfg.clock != nil {
		svc.Clock = cfg.clock
	}
	if cfg.frozen != nil {
		c, ok := svc.Clock.(*openchime.ControlClock)
		if !ok {
			c = &openchime.ControlClock{}
			svc.Clock = c
		}
		// Freeze before Set: the other order lets a moment pass between the
		// two, and the clock could stop a millisecond late.
		c.Freeze()
		c.Set(*cfg.frozen)
	}
	if cfg.idSeed != nil {
		svc.IDs = openchime.NewSeededIDs(*cfg.idSeed)
	}
	api := httpapi.NewServer(svc)
	if cfg.idSeed != nil {
		api.RequestIDs = openchime.NewSeededIDs(*cfg.idSeed ^ requestIDSalt)
		api.Trail.IDs = openchime.NewSeededIDs(*cfg.idSeed ^ eventIDSalt)
	}
	if cfg.sigv4 {
		api.Authenticate = httpapi.SigV4Auth([]httpapi.Credential{{
			AccessKeyId: cfg.awsAccountID, SecretAccessKey: SecretAccessKey, AwsAccountId: cfg.awsAccountID,
		}}, time.Now)
	}
	api.Logger = cfg.logger
	if api.Logger == nil {
		api.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{awsAccountID: cfg.awsAccountID, store: store, svc: svc, api: api, clock: api.Clock}
	if cfg.botEvents {
		s.bots = botdelivery.New(botdelivery.Config{Client: cfg.botClient, Now: svc.Clock.Now, Logger: api.Logger})
		svc.BotEvents = s.bots
	}
	if cfg.outbox {
		scimSender := &scim.Sender{Service: svc, Client: cfg.outboxClient, Logger: api.Logger}
		api.SCIMReconciler = scimSender
		d := &outbox.Deliverer{
			Service: svc, Logger: api.Logger, Exclusive: true,
			Senders: map[string]outbox.Sender{openchime.WebhookTarget: &outbox.Webhook{Client: cfg.outboxClient}, openchime.SCIMTarget: scimSender},
			Poll:    20 * time.Millisecond, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { d.Run(ctx); close(done) }()
		s.stopOutbox = func() { cancel(); <-done }
	}
	s.http = httptest.NewUnstartedServer(api)
	return s
}

// Start starts a server from NewUnstartedServer.
func (s *Server) Start() {
	s.http.Start()
	s.svc.BaseURL = s.http.URL
}

// New returns a started server; the caller must Close it. Tests use
// NewServer, which closes it for them; New serves examples and TestMain.
func New(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// NewServer returns a started server that is closed when tb's test ends.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := New(opts...)
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server, waiting for requests in flight, and frees its
// database. Closing twice does nothing.
func (s *Server) Close() {
	s.mu.Lock()
	closed := s.closed
	s.closed = true
	s.mu.Unlock()
	if closed {
		return
	}
	s.http.Close()
	if s.bots != nil {
		s.bots.Close()
	}
	if s.stopOutbox != nil {
		s.stopOutbox()
	}
	s.store.Close()
}

// URL is the server's base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.http.URL }

// AwsAccountID is the AWS account AWSConfig signs as.
func (s *Server) AwsAccountID() string { return s.awsAccountID }

// AWSConfig returns an AWS SDK configuration for the server: static
// credentials whose access key id is the server's AWS account id (so
// requests are that tenant's), region us-east-1 and BaseEndpoint the
// server's URL. Pass it to chime.NewFromConfig.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(s.awsAccountID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(s.http.URL),
		HTTPClient:   s.http.Client(),
	}
}

// Client returns a Chime client of the AWS SDK for Go v2 for the server.
func (s *Server) Client() *awschime.Client { return awschime.NewFromConfig(s.AWSConfig()) }

// Service is the server's domain service, for direct calls that skip HTTP.
func (s *Server) Service() *openchime.Service { return s.svc }

// HTTPServer is the server's wire layer, for changing its hooks (such as
// Authenticate) before Start.
func (s *Server) HTTPServer() *httpapi.Server { return s.api }

// Clock is the server's clock, or nil when WithClock gave one that is not
// an *openchime.ControlClock.
func (s *Server) Clock() *openchime.ControlClock { return s.clock }

// Reset deletes every account, user and resource.
func (s *Server) Reset(tb testing.TB) {
	must(tb, s.svc.Reset(context.Background()))
}

// must fails tb when err is not nil; with a nil tb (as in an Example) it panics.
func must(tb testing.TB, err error) {
	if err == nil {
		return
	}
	if tb == nil {
		panic("chimetest: " + err.Error())
	}
	tb.Helper()
	tb.Fatalf("chimetest: %v", err)
}

// AccountOption changes an account that CreateAccount creates.
type AccountOption func(*openchime.NewAccount)

// AccountName names the account; the default is "Account N".
func AccountName(name string) AccountOption {
	return func(n *openchime.NewAccount) { n.Name = name }
}

// AccountStatus sets the account's status (Active by default).
func AccountStatus(status openchime.AccountStatus) AccountOption {
	return func(n *openchime.NewAccount) { n.Status = status }
}

// AccountDefaultLicense sets the account's default licence (Pro by default).
func AccountDefaultLicense(l openchime.License) AccountOption {
	return func(n *openchime.NewAccount) { n.DefaultLicense = l }
}

// AccountOwner makes the account belong to another AWS account than the
// server's, e.g. to test that one tenant cannot see another's accounts.
func AccountOwner(awsAccountID string) AccountOption {
	return func(n *openchime.NewAccount) { n.AwsAccountID = awsAccountID }
}

// CreateAccount creates an account of any type (the public API creates only
// Team accounts) in the server's AWS account. A failure fails tb; tb may be
// nil, as in an Example, and a failure then panics.
func (s *Server) CreateAccount(tb testing.TB, typ openchime.AccountType, opts ...AccountOption) *openchime.Account {
	if tb != nil {
		tb.Helper()
	}
	s.mu.Lock()
	s.accounts++
	n := openchime.NewAccount{Name: fmt.Sprintf("Account %d", s.accounts), Type: typ, AwsAccountID: s.awsAccountID}
	s.mu.Unlock()
	for _, o := range opts {
		o(&n)
	}
	a, err := s.svc.AdminCreateAccount(context.Background(), n)
	must(tb, err)
	return a
}

// UserOption changes a user that CreateUser creates.
type UserOption func(*openchime.NewUser)

// UserEmail sets the user's email; the default is userN@example.com.
func UserEmail(email string) UserOption { return func(n *openchime.NewUser) { n.PrimaryEmail = email } }

// UserDisplayName sets the user's display name.
func UserDisplayName(name string) UserOption {
	return func(n *openchime.NewUser) { n.DisplayName = name }
}

// UserLicense sets the user's licence (the account's default otherwise).
func UserLicense(l openchime.License) UserOption {
	return func(n *openchime.NewUser) { n.LicenseType = l }
}

// UserType sets the user's type (PrivateUser by default).
func UserType(t openchime.UserType) UserOption { return func(n *openchime.NewUser) { n.UserType = t } }

// CreateUser adds a user in the given registration status to the account,
// which may be of any type or AWS account. A failure fails tb; tb may be nil,
// as in an Example, and a failure then panics.
func (s *Server) CreateUser(tb testing.TB, accountID string, status openchime.RegistrationStatus, opts ...UserOption) *openchime.User {
	if tb != nil {
		tb.Helper()
	}
	s.mu.Lock()
	s.users++
	n := openchime.NewUser{PrimaryEmail: fmt.Sprintf("user%d@example.com", s.users), RegistrationStatus: status}
	s.mu.Unlock()
	for _, o := range opts {
		o(&n)
	}
	u, err := s.svc.AdminCreateUser(context.Background(), accountID, n)
	must(tb, err)
	return u
}

// LoadFixture loads a fixture (see fixture.Fixture): accounts and users
// that do not exist yet are created, the others are left alone. Accounts
// without an AwsAccountId belong to the server's AWS account. tb may be nil.
func (s *Server) LoadFixture(tb testing.TB, f *fixture.Fixture) *fixture.Result {
	if tb != nil {
		tb.Helper()
	}
	res, err := fixture.Load(s.callerContext(), s.svc, f)
	must(tb, err)
	return res
}

// LoadFixtureFile loads a fixture file, JSON or (named .yaml or .yml) YAML,
// such as examples/fixture.json of the OpenChime repository. tb may be nil.
func (s *Server) LoadFixtureFile(tb testing.TB, path string) *fixture.Result {
	if tb != nil {
		tb.Helper()
	}
	f, err := fixturefile.Read(path)
	must(tb, err)
	return s.LoadFixture(tb, f)
}

func (s *Server) callerContext() context.Context {
	return openchime.NewContextWithCaller(context.Background(), openchime.Caller{AwsAccountID: s.awsAccountID})
}
