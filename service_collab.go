package openchime

import (
	"context"
	"time"
)

// Helpers shared by the Enterprise collaboration operations: bots, rooms,
// memberships, retention and redaction (service_bots.go, service_rooms.go,
// service_retention.go). Their records are generic JSON Resources, so every
// store holds them without a schema change.

// Their kinds are in documents.go.

// CollabConfig holds the configurable limits, durations and options of the
// collaboration area (decisions D38, D40, D41). A zero field takes its
// default.
type CollabConfig struct {
	BotsPerAccount  int           // default 10 (D20)
	RoomsPerAccount int           // default 1,500 (D22)
	MembersPerRoom  int           // default 1,000 (D23)
	RoomsPerMember  int           // default 1,000 (D23)
	WebhooksPerRoom int           // default 10 (D23)
	RetentionGrace  time.Duration // default 720h (D37)
	// LenientRedaction accepts any message id in an existing room or
	// conversation and stores a redaction tombstone, for users who cannot
	// seed messages (D38, --redaction=lenient; off by default).
	LenientRedaction bool
}

func limitOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

func (l CollabConfig) bots() int            { return limitOr(l.BotsPerAccount, 10) }
func (l CollabConfig) rooms() int           { return limitOr(l.RoomsPerAccount, 1500) }
func (l CollabConfig) membersPerRoom() int  { return limitOr(l.MembersPerRoom, 1000) }
func (l CollabConfig) roomsPerMember() int  { return limitOr(l.RoomsPerMember, 1000) }
func (l CollabConfig) webhooks() int        { return limitOr(l.WebhooksPerRoom, 10) }
func (l CollabConfig) grace() time.Duration { return limitOr(l.RetentionGrace, 720*time.Hour) }
func (a *Account) enterprise() bool         { return a.Type != Team && a.Type.Valid() }
func notEnterprise(a *Account) error {
	// Decision D14: the message the real service answered on a Team account.
	return Errorf(Forbidden, "Chime Account provided is not an Enterprise Chime Account[AWS Account ID: %s][Chime Account ID: %s]", a.AwsAccountID, a.ID)
}

// enterpriseAccount returns the caller's account for an Enterprise-only
// operation, checking in the order of decision D14: account lookup (404),
// account type (403), then, for a write, suspension (403, decision D11).
func (s *Service) enterpriseAccount(ctx context.Context, tx ReadTx, id string, write bool) (*Account, error) {
	a, err := s.visibleAccount(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if !a.enterprise() {
		return nil, notEnterprise(a)
	}
	if write {
		if err := a.writable(); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// adminAccount (service_lifecycle.go) gives the control plane any account
// that is not deleted, of any AWS account.

// collabChange returns the audit change of a collaboration record; before or
// after may be nil (a creation, a deletion).
func collabChange(kind, id string, before, after any) AuditChange {
	c := AuditChange{Kind: kind, ID: id}
	if before != nil {
		c.Before = mustJSON(before)
	}
	if after != nil {
		c.After = mustJSON(after)
	}
	return c
}

// botChange keeps the bot's SecurityToken, a secret, out of the audit log.
func botChange(before, after *Bot) AuditChange {
	redact := func(b *Bot) any {
		if b == nil {
			return nil
		}
		c := *b
		c.SecurityToken = "redacted"
		return &c
	}
	id := ""
	if after != nil {
		id = after.ID
	} else if before != nil {
		id = before.ID
	}
	return collabChange(kindBot, id, redact(before), redact(after))
}

func membershipChange(before, after *RoomMembership) AuditChange {
	m := after
	if m == nil {
		m = before
	}
	var b, a any
	if before != nil {
		b = before
	}
	if after != nil {
		a = after
	}
	return collabChange(kindMembership, membershipID(m.RoomID, m.Member.ID), b, a)
}

// principalARN is the caller's principal for Room.CreatedBy and
// RoomMembership.InvitedBy (decision D15). No credentials registry maps
// access keys to IAM ARNs yet, so it is always the AWS account's root.
func (s *Service) principalARN(ctx context.Context) string {
	return "arn:aws:iam::" + s.awsAccount(ctx) + ":root"
}
