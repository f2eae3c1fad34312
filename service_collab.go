package openchime

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Helpers shared by the Enterprise collaboration operations: bots, rooms,
// memberships, retention and redaction (service_bots.go, service_rooms.go,
// service_retention.go). Their records are generic JSON Resources, so every
// store holds them without a schema change.

// The resource kinds of the collaboration area.
const (
	kindBot          = "bot"             // Scope: Chime account id
	kindEventsConfig = "events-config"   // ID: bot id; Scope: Chime account id
	kindRoom         = "room"            // Scope: Chime account id
	kindRoomToken    = "room-token"      // ID: account id + "/" + ClientRequestToken
	kindMembership   = "room-membership" // ID: room id + "/" + member id; Scope: room id
	kindMemberRoom   = "member-room"     // ID: member id + "/" + room id; Scope: member id
	kindMessage      = "message"         // Scope: room or conversation id
	kindConversation = "conversation"    // Scope: Chime account id
	kindRetention    = "retention"       // ID and Scope: Chime account id
	kindCollabCount  = "collab-count"    // ID: what + "/" + scope; Scope: scope
)

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

// getDoc and putDoc are in service_phone.go.

// listDocs decodes the resources matching f.
func listDocs[T any](ctx context.Context, tx ReadTx, f ResourceFilter) ([]*T, []*Resource, error) {
	rs, err := tx.Resources(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	out := make([]*T, len(rs))
	for i, r := range rs {
		out[i] = new(T)
		if err := json.Unmarshal(r.Data, out[i]); err != nil {
			return nil, nil, fmt.Errorf("decode %s %s: %w", r.Kind, r.ID, err)
		}
	}
	return out, rs, nil
}

// Counters keep the sizes the limits check (rooms of an account, members
// of a room, rooms of a member), so a check reads one record rather than
// every room or membership. They change in the same transaction as what
// they count.

// readCount returns the counter (what, scope), 0 when absent.
func readCount(ctx context.Context, tx ReadTx, what, scope string) (int, error) {
	var c struct{ N int }
	_, err := getDoc(ctx, tx, kindCollabCount, what+"/"+scope, &c)
	if IsCode(err, NotFound) {
		return 0, nil
	}
	return c.N, err
}

// addCount adds delta to the counter (what, scope), deleting it at zero.
func addCount(ctx context.Context, tx Tx, what, scope string, delta int) error {
	n, err := readCount(ctx, tx, what, scope)
	if err != nil {
		return err
	}
	id := what + "/" + scope
	if n += delta; n <= 0 {
		return tx.DeleteResource(ctx, kindCollabCount, id)
	}
	return putDoc(ctx, tx, kindCollabCount, id, scope, time.UnixMilli(0).UTC(), map[string]int{"N": n})
}

// listPage runs a paginated listing of one kind and scope: def is the
// operation's default page size, tokenScope ties tokens to the listing.
func listPage[T any](ctx context.Context, tx ReadTx, kind, scope string, p Page, def int, tokenScope string) ([]*T, string, error) {
	limit, after, err := pageBoundsDefault(p, tokenScope, def)
	if err != nil {
		return nil, "", err
	}
	rs, err := tx.Resources(ctx, ResourceFilter{Kind: kind, Scope: scope, After: after, Limit: limit + 1})
	if err != nil {
		return nil, "", err
	}
	rs, next := cutPage(rs, limit, tokenScope, func(r *Resource) Cursor { return Cursor{r.CreatedAt, r.ID} })
	out := make([]*T, len(rs))
	for i, r := range rs {
		out[i] = new(T)
		if err := json.Unmarshal(r.Data, out[i]); err != nil {
			return nil, "", fmt.Errorf("decode %s %s: %w", r.Kind, r.ID, err)
		}
	}
	return out, next, nil
}
