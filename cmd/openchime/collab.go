package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/botdelivery"
	"github.com/openchime/openchime/metrics"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// collabFlags adds the options of the collaboration operations.
func (m *Main) collabFlags(fs *flag.FlagSet) {
	fs.StringVar(&m.Config.Redaction, "redaction", envOr("OPENCHIME_REDACTION", "strict"),
		"strict: redaction needs a message seeded through the control plane; lenient: any message id in an existing room or conversation (env OPENCHIME_REDACTION)")
	fs.StringVar(&m.Config.LambdaEndpoint, "lambda-endpoint", envOr("OPENCHIME_LAMBDA_ENDPOINT", m.Config.LambdaEndpoint),
		"deliver the events of bots configured with a LambdaFunctionArn through the Lambda Invoke API at this URL, e.g. a local Lambda emulator; unset, they are dropped (env OPENCHIME_LAMBDA_ENDPOINT)")
}

func (c *Config) validateCollab() error {
	if c.LambdaEndpoint != "" {
		u, err := url.Parse(c.LambdaEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--lambda-endpoint %q must be an http:// or https:// URL", c.LambdaEndpoint)
		}
	}
	switch c.Redaction {
	case "", "strict", "lenient":
		return nil
	}
	return fmt.Errorf("--redaction %q must be strict or lenient", c.Redaction)
}

// applyCollab sets the Service's collaboration options (decision D38).
func (c *Config) applyCollab(svc *openchime.Service) {
	svc.Collab.LenientRedaction = c.Redaction == "lenient"
}

// newBotDelivery wires the bot events (decision D44): the Service hands them
// to a botdelivery.Deliverer, counted in the metrics. The Lambda calls are
// signed with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and
// AWS_SESSION_TOKEN), "test"/"test" when unset, as local emulators accept.
func newBotDelivery(c Config, svc *openchime.Service, m *metrics.Metrics, logger *slog.Logger) *botdelivery.Deliverer {
	creds := aws.Credentials{
		AccessKeyID: envOr("AWS_ACCESS_KEY_ID", "test"), SecretAccessKey: envOr("AWS_SECRET_ACCESS_KEY", "test"),
		SessionToken: os.Getenv("AWS_SESSION_TOKEN"),
	}
	d := botdelivery.New(botdelivery.Config{
		LambdaEndpoint: c.LambdaEndpoint, Credentials: creds,
		Now: func() time.Time { return svc.Clock.Now() }, Logger: logger, Observer: m,
	})
	svc.BotEvents = d
	return d
}

// baseURL is the server's own URL from the address it listens on, for the
// incoming-webhook URLs made outside a request: a wildcard address becomes
// 127.0.0.1 (decision D44).
func baseURL(addr net.Addr, tls bool) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port)
}
