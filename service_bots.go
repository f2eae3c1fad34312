package openchime

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Bot is a chat bot of an Enterprise account. Bots are not users: they live
// in their own records, so GetUser and ListUsers never see them (D18).
type Bot struct {
	ID        string
	AccountID string
	// DisplayName is the name as sent; the API shows it with " (Bot)".
	DisplayName   string
	Email         string
	SecurityToken string
	Disabled      bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// APIDisplayName is the display name as the API returns it (decision D18).
func (b *Bot) APIDisplayName() string { return b.DisplayName + " (Bot)" }

// EventsConfiguration is where a bot's outgoing events go: exactly one of an
// HTTPS endpoint and a Lambda function ARN (decision D21).
type EventsConfiguration struct {
	BotID                       string
	OutboundEventsHTTPSEndpoint string
	LambdaFunctionArn           string
}

const securityTokenLen = 40

func botNotFound(accountID, botID string) error {
	return Errorf(NotFound, "The requested bot %s was not found in account %s.", botID, accountID)
}

// botOf returns the bot of the account, NotFound for a bot of another account.
func botOf(ctx context.Context, tx ReadTx, accountID, botID string) (*Bot, error) {
	var b Bot
	_, err := getDoc(ctx, tx, kindBot, botID, &b)
	if IsCode(err, NotFound) || (err == nil && b.AccountID != accountID) {
		return nil, botNotFound(accountID, botID)
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

func putBot(ctx context.Context, tx Tx, b *Bot) error {
	return putDoc(ctx, tx, kindBot, b.ID, b.AccountID, b.CreatedAt, b)
}

// botLocalPart keeps the characters of name that may appear in the local part
// of the bot's email (decision D18).
func botLocalPart(name string) string {
	var sb strings.Builder
	for _, r := range name {
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._+-", r)) {
			sb.WriteRune(r)
		}
	}
	if sb.Len() == 0 {
		return "bot"
	}
	return sb.String()
}

var dnsLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// validBotDomain reports whether d is a syntactically valid DNS name of at
// least two labels (decision D19; "example.com", not "localhost").
func validBotDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !dnsLabel.MatchString(l) {
			return false
		}
	}
	return true
}

// botDomain picks the domain of a new bot's email (decision D19).
func botDomain(registered []string, domain string) (string, error) {
	domain = strings.TrimSpace(domain)
	if len(registered) > 0 {
		if domain == "" {
			return strings.ToLower(registered[0]), nil
		}
		for _, d := range registered {
			if strings.EqualFold(d, domain) {
				return strings.ToLower(d), nil
			}
		}
		return "", Errorf(BadRequest, "Domain %s is not a registered domain of the account (registered: %s).", domain, strings.Join(registered, ", "))
	}
	if domain == "" {
		return "", Errorf(BadRequest, "Domain is required: the account has no registered domain to default to.")
	}
	if !validBotDomain(domain) {
		return "", Errorf(BadRequest, "Domain %q is not a valid DNS name such as example.com.", domain)
	}
	return strings.ToLower(domain), nil
}

// CreateBot creates a chat bot (decisions D18-D20).
func (s *Service) CreateBot(ctx context.Context, accountID, displayName, domain string) (*Bot, error) {
	var b *Bot
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := s.enterpriseAccount(ctx, tx, accountID, true)
		if err != nil {
			return err
		}
		if strings.TrimSpace(displayName) == "" {
			return Errorf(BadRequest, "DisplayName must contain a non-space character.")
		}
		if n := utf8.RuneCountInString(displayName); n > 55 {
			return Errorf(BadRequest, "DisplayName must be at most 55 characters (it has %d).", n)
		}
		// Decision D19: the account's registered domains are the domains it
		// claims (the control plane's ClaimedDomains).
		d, err := botDomain(a.ClaimedDomains, domain)
		if err != nil {
			return err
		}
		email := botLocalPart(displayName) + "-chimebot@" + d
		cc, err := s.collabConfig(ctx, tx)
		if err != nil {
			return err
		}
		limit := cc.bots()
		bots, _, err := listDocs[Bot](ctx, tx, ResourceFilter{Kind: kindBot, Scope: accountID})
		if err != nil {
			return err
		}
		for _, o := range bots {
			if strings.EqualFold(o.Email, email) {
				return Errorf(BadRequest, "A bot with email %s already exists in account %s.", email, accountID)
			}
		}
		if len(bots) >= limit {
			return Errorf(ResourceLimitExceeded, "Account %s already has the maximum of %d bots.", accountID, limit)
		}
		now := s.now()
		b = &Bot{
			ID: s.IDs.UUID(), AccountID: accountID, DisplayName: displayName, Email: email,
			SecurityToken: s.IDs.Token(securityTokenLen), CreatedAt: now, UpdatedAt: now,
		}
		if err := putBot(ctx, tx, b); err != nil {
			return err
		}
		return s.audit(ctx, tx, "CreateBot", accountID, botChange(nil, b))
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// GetBot returns a bot of the account.
func (s *Service) GetBot(ctx context.Context, accountID, botID string) (*Bot, error) {
	var b *Bot
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, false); err != nil {
			return err
		}
		var err error
		b, err = botOf(ctx, tx, accountID, botID)
		return err
	})
	return b, err
}

// ListBots lists the bots of the account in creation order; the default page
// is the documented 10.
func (s *Service) ListBots(ctx context.Context, accountID string, p Page) ([]*Bot, string, error) {
	var list []*Bot
	var next string
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, false); err != nil {
			return err
		}
		var err error
		list, next, err = listPage[Bot](ctx, tx, kindBot, accountID, p, 10, "bots\x00"+accountID)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return list, next, nil
}

// updateBot applies change to a bot in one transaction.
func (s *Service) updateBot(ctx context.Context, op, accountID, botID string, change func(*Bot) bool) (*Bot, error) {
	var b *Bot
	err := s.Store.Update(ctx, func(tx Tx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
			return err
		}
		var err error
		if b, err = botOf(ctx, tx, accountID, botID); err != nil {
			return err
		}
		before := *b
		if !change(b) {
			return nil
		}
		b.UpdatedAt = s.now()
		if err := putBot(ctx, tx, b); err != nil {
			return err
		}
		return s.audit(ctx, tx, op, accountID, botChange(&before, b))
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// UpdateBot sets whether the bot is stopped; with disabled nil nothing
// changes (decision D20).
func (s *Service) UpdateBot(ctx context.Context, accountID, botID string, disabled *bool) (*Bot, error) {
	return s.updateBot(ctx, "UpdateBot", accountID, botID, func(b *Bot) bool {
		if disabled == nil {
			return false
		}
		b.Disabled = *disabled
		return true
	})
}

// RegenerateSecurityToken gives the bot a new token (decision D20).
func (s *Service) RegenerateSecurityToken(ctx context.Context, accountID, botID string) (*Bot, error) {
	return s.updateBot(ctx, "RegenerateSecurityToken", accountID, botID, func(b *Bot) bool {
		b.SecurityToken = s.IDs.Token(securityTokenLen)
		return true
	})
}

var lambdaARN = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$`)

// validate checks the one-target rule of decision D21.
func (c *EventsConfiguration) validate() error {
	switch {
	case c.OutboundEventsHTTPSEndpoint != "" && c.LambdaFunctionArn != "":
		return Errorf(BadRequest, "Give either OutboundEventsHTTPSEndpoint or LambdaFunctionArn, not both; to switch, delete the configuration first.")
	case c.OutboundEventsHTTPSEndpoint == "" && c.LambdaFunctionArn == "":
		return Errorf(BadRequest, "Give one of OutboundEventsHTTPSEndpoint (an https:// URL) and LambdaFunctionArn.")
	case c.OutboundEventsHTTPSEndpoint != "":
		u, err := url.Parse(c.OutboundEventsHTTPSEndpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return Errorf(BadRequest, "OutboundEventsHTTPSEndpoint %q is not an absolute https:// URL.", c.OutboundEventsHTTPSEndpoint)
		}
	default:
		if !lambdaARN.MatchString(c.LambdaFunctionArn) {
			return Errorf(BadRequest, "LambdaFunctionArn %q is not a Lambda function ARN such as arn:aws:lambda:us-east-1:111122223333:function:name.", c.LambdaFunctionArn)
		}
	}
	return nil
}

// PutEventsConfiguration replaces the bot's events configuration (decision
// D21). With BotEvents set, the target is checked first and nothing is
// stored unless it passes: an HTTPS endpoint must echo a challenge, a Lambda
// function is dry-run invoked (decision D44).
func (s *Service) PutEventsConfiguration(ctx context.Context, accountID, botID string, c EventsConfiguration) (*EventsConfiguration, error) {
	c.BotID = botID
	if s.botEventsOn() {
		var b *Bot
		err := s.Store.View(ctx, func(tx ReadTx) error {
			if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
				return err
			}
			var err error
			if b, err = botOf(ctx, tx, accountID, botID); err != nil {
				return err
			}
			return c.validate()
		})
		if err != nil {
			return nil, err
		}
		if err := s.verifyEventsTarget(ctx, b, &c); err != nil {
			return nil, err
		}
	}
	err := s.Store.Update(ctx, func(tx Tx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
			return err
		}
		b, err := botOf(ctx, tx, accountID, botID)
		if err != nil {
			return err
		}
		if err := c.validate(); err != nil {
			return err
		}
		before, err := eventsConfig(ctx, tx, botID)
		if err != nil {
			return err
		}
		if err := putDoc(ctx, tx, kindEventsConfig, botID, accountID, b.CreatedAt, &c); err != nil {
			return err
		}
		var prior any
		if before != nil {
			prior = before
		}
		return s.audit(ctx, tx, "PutEventsConfiguration", accountID, collabChange(kindEventsConfig, botID, prior, &c))
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// eventsConfig returns the bot's configuration, or nil when there is none.
func eventsConfig(ctx context.Context, tx ReadTx, botID string) (*EventsConfiguration, error) {
	var c EventsConfiguration
	_, err := getDoc(ctx, tx, kindEventsConfig, botID, &c)
	if IsCode(err, NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// GetEventsConfiguration returns the bot's events configuration; none is
// NotFound (decision D21).
func (s *Service) GetEventsConfiguration(ctx context.Context, accountID, botID string) (*EventsConfiguration, error) {
	var c *EventsConfiguration
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, false); err != nil {
			return err
		}
		if _, err := botOf(ctx, tx, accountID, botID); err != nil {
			return err
		}
		var err error
		if c, err = eventsConfig(ctx, tx, botID); err == nil && c == nil {
			err = Errorf(NotFound, "Bot %s has no events configuration.", botID)
		}
		return err
	})
	return c, err
}

// DeleteEventsConfiguration removes the bot's events configuration, whether
// or not it had one; an unknown bot is NotFound (decisions D20, D21).
func (s *Service) DeleteEventsConfiguration(ctx context.Context, accountID, botID string) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
			return err
		}
		if _, err := botOf(ctx, tx, accountID, botID); err != nil {
			return err
		}
		before, err := eventsConfig(ctx, tx, botID)
		if err != nil || before == nil {
			return err
		}
		if err := tx.DeleteResource(ctx, kindEventsConfig, botID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "DeleteEventsConfiguration", accountID, collabChange(kindEventsConfig, botID, before, nil))
	})
}

// AdminDeleteBot deletes a bot, its events configuration and its room
// memberships: the control plane's DELETE, as no API deletes bots (D20).
func (s *Service) AdminDeleteBot(ctx context.Context, accountID, botID string) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		if _, err := adminAccount(ctx, tx, accountID); err != nil {
			return err
		}
		b, err := botOf(ctx, tx, accountID, botID)
		if err != nil {
			return err
		}
		if err := removeMemberEverywhere(ctx, tx, botID); err != nil {
			return err
		}
		if err := tx.DeleteResource(ctx, kindEventsConfig, botID); err != nil {
			return err
		}
		if err := tx.DeleteResource(ctx, kindBot, botID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "AdminDeleteBot", accountID, botChange(b, nil))
	})
}
