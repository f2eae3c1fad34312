package openchime

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// The JSON-document kinds. Every record other than an account or a user is
// a Resource{Kind, ID, Scope, CreatedAt, Data}: a JSON document whose shape
// the Service owns, so that every store holds a new kind without a schema
// change. This file is their one home: the kind table below says, for each
// kind, what its ID and Scope are and which invariants it has; every other
// file encodes and decodes documents with the helpers after it (the audit
// log's events, audit.go, have an encoder of their own).
//
// An invariant is a unique index entry (IndexEntries): a key the store
// derives from the document on every write and refuses, with Conflict, to
// give to two resources of the kind. The stores keep the entries in a
// unique index (sqlite, postgres: the resource_index table, UNIQUE on
// (kind, index_name, index_key); logstore: a map rebuilt from its log and
// snapshot records as they load), so the rule holds when two transactions
// race, and storetest checks it on every store. The Service reads through the same
// entries (ResourceByIndex, ResourcesByIndex) instead of keeping reverse
// indexes by hand.
const (
	// Telephony inventory (phone.go, service_phone*.go; decision D13).
	kindPhoneNumber   = "phone-number"          // ID: E.164 number; Scope: AWS account id. Indexes: e164, user
	kindPhoneOrder    = "phone-order"           // ID: order id; Scope: AWS account id
	kindGlobalSetting = "global-settings"       // ID and Scope: AWS account id
	kindPhoneSettings = "phone-number-settings" // ID and Scope: AWS account id
	kindAwsAccount    = "aws-account"           // ID and Scope: AWS account id (AwsAccountSettings)
	kindMeeting       = "meeting"               // ID: meeting id; Scope: AWS account id
	kindDialOut       = "dial-out"              // ID: transaction id; Scope: meeting id

	// Collaboration (service_collab.go, service_bots.go, service_rooms.go,
	// service_retention.go).
	kindBot          = "bot"             // ID: bot id; Scope: Chime account id
	kindEventsConfig = "events-config"   // ID: bot id; Scope: Chime account id
	kindRoom         = "room"            // ID: room id; Scope: Chime account id. Index: token
	kindMembership   = "room-membership" // ID: room id + "/" + member id; Scope: room id. Indexes: pair, member
	kindMessage      = "message"         // ID: message id; Scope: room or conversation id
	kindConversation = "conversation"    // ID: conversation id; Scope: Chime account id
	kindRetention    = "retention"       // ID and Scope: Chime account id
	// ID: what + "/" + scope, what being rooms (scope: account id),
	// members (room id) or member-rooms (member id); Scope: scope. The
	// sizes the limits check, kept in the transaction of what they count.
	kindCollabCount = "collab-count"

	// Incoming webhooks (service_botevents.go, decision D44).
	kindIncomingWebhook = "incoming-webhook" // ID: webhook id; Scope: Chime account id. Index: member

	// Configuration (service_config.go, service_collab_config.go).
	kindConfig = "config" // ID: what is configured ("phone", "collab"); Scope: ""

	// AuditKind ("audit-event", audit.go) is the audit log: ID: event id;
	// Scope: Chime account id. It has no index; logstore keeps it on disk.
)

// Kinds written by earlier versions and no longer: the hand-kept reverse
// indexes the resource indexes replaced. sqlite and postgres delete them
// in their migration 0006, logstore skips them as its log and snapshot
// load, so an old database opens without them; and every store drops them
// on PutResource, so an old snapshot restores without them too.
const (
	legacyKindRoomToken     = "room-token"     // ID: account id + "/" + ClientRequestToken → {RoomID}
	legacyKindMemberRoom    = "member-room"    // ID: member id + "/" + room id → {RoomID, AccountID}
	legacyKindMemberWebhook = "member-webhook" // ID: member id + "/" + room or conversation id → {WebhookID}
)

// LegacyKind reports whether kind is one no version writes any more; a
// store loading old records drops them.
func LegacyKind(kind string) bool {
	return kind == legacyKindRoomToken || kind == legacyKindMemberRoom || kind == legacyKindMemberWebhook
}

// The indexes of the kinds that have invariants. Each is unique per kind:
// one key, one resource.
const (
	// indexE164: an E.164 number is held by at most one phone-number record.
	indexE164 = "e164"
	// indexUser: a user (UserId association) is associated with at most one
	// number (decision D33).
	indexUser = "user"
	// indexRoomToken: account id + "/" + ClientRequestToken; a token names at
	// most one living room of the account (decision D22). Deleting the room
	// frees it.
	indexRoomToken = "token"
	// indexMembership: room id + "/" + member id; one membership per (room,
	// member), whatever the record's id.
	indexMembership = "pair"
	// indexMemberRooms: member id + "/" + room id; unique like the others,
	// and listed by the prefix member id + "/" for a member's rooms.
	indexMemberRooms = "member"
	// indexMemberWebhook: member id + "/" + room or conversation id; a
	// member has one incoming webhook per room or conversation (D44).
	indexMemberWebhook = "member"
)

// IndexEntry is one key of a resource in one index of its kind.
type IndexEntry struct {
	Index string
	Key   string
}

// Indexed reports whether resources of the kind have index entries; a store
// skips IndexEntries and its index writes for the others (the audit log,
// the hot one, among them).
func Indexed(kind string) bool {
	return kind == kindPhoneNumber || kind == kindRoom || kind == kindMembership || kind == kindIncomingWebhook
}

// IndexedKinds returns the kinds Indexed reports.
func IndexedKinds() []string {
	return []string{kindPhoneNumber, kindRoom, kindMembership, kindIncomingWebhook}
}

// IndexEntries returns the index entries of r, derived from its document:
// the stores call it on every write, as they migrate and as they load, so
// the entries are always those of the documents they hold. It returns an
// error with Code BadRequest when a document of an indexed kind does not
// decode.
func IndexEntries(r *Resource) ([]IndexEntry, error) {
	if !Indexed(r.Kind) {
		return nil, nil
	}
	bad := func(err error) error {
		return &Error{Code: BadRequest, Message: fmt.Sprintf("The %s record %s is not a valid document.", r.Kind, r.ID), Err: err}
	}
	var out []IndexEntry
	switch r.Kind {
	case kindPhoneNumber:
		var p struct {
			E164         string
			Associations []struct{ Name, Value string }
		}
		if err := json.Unmarshal(r.Data, &p); err != nil {
			return nil, bad(err)
		}
		if p.E164 != "" {
			out = append(out, IndexEntry{indexE164, p.E164})
		}
		for _, a := range p.Associations {
			if e := (IndexEntry{indexUser, a.Value}); a.Name == "UserId" && a.Value != "" && !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	case kindRoom:
		var rm struct{ AccountID, ClientRequestToken string }
		if err := json.Unmarshal(r.Data, &rm); err != nil {
			return nil, bad(err)
		}
		if rm.ClientRequestToken != "" {
			out = append(out, IndexEntry{indexRoomToken, rm.AccountID + "/" + rm.ClientRequestToken})
		}
	case kindMembership:
		var m struct {
			RoomID string
			Member struct{ ID string }
		}
		if err := json.Unmarshal(r.Data, &m); err != nil {
			return nil, bad(err)
		}
		out = append(out, IndexEntry{indexMembership, m.RoomID + "/" + m.Member.ID},
			IndexEntry{indexMemberRooms, m.Member.ID + "/" + m.RoomID})
	case kindIncomingWebhook:
		var h struct{ MemberID, RoomID, ConversationID string }
		if err := json.Unmarshal(r.Data, &h); err != nil {
			return nil, bad(err)
		}
		out = append(out, IndexEntry{indexMemberWebhook, h.MemberID + "/" + h.RoomID + h.ConversationID})
	}
	return out, nil
}

// IndexConflict is the error of a write that would give an index key to a
// second resource; every store answers it the same way.
func IndexConflict(kind string, e IndexEntry) error {
	return Errorf(Conflict, "Another %s record already holds %s %s.", kind, e.Index, e.Key)
}

// getDoc reads the JSON resource (kind, id) into v.
func getDoc(ctx context.Context, tx ReadTx, kind, id string, v any) (*Resource, error) {
	r, err := tx.Resource(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	return r, decodeDoc(r, v)
}

// decodeDoc decodes the document of r into v.
func decodeDoc(r *Resource, v any) error {
	if err := json.Unmarshal(r.Data, v); err != nil {
		return fmt.Errorf("decode %s %s: %w", r.Kind, r.ID, err)
	}
	return nil
}

// putDoc writes v as the JSON resource (kind, id).
func putDoc(ctx context.Context, tx Tx, kind, id, scope string, created time.Time, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", kind, id, err)
	}
	return tx.PutResource(ctx, &Resource{Kind: kind, ID: id, Scope: scope, CreatedAt: created, Data: data})
}

// decodeDocs decodes the documents of rs.
func decodeDocs[T any](rs []*Resource) ([]*T, error) {
	out := make([]*T, len(rs))
	for i, r := range rs {
		out[i] = new(T)
		if err := decodeDoc(r, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// listDocs decodes the resources matching f.
func listDocs[T any](ctx context.Context, tx ReadTx, f ResourceFilter) ([]*T, []*Resource, error) {
	rs, err := tx.Resources(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	out, err := decodeDocs[T](rs)
	return out, rs, err
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
	out, err := decodeDocs[T](rs)
	return out, next, err
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

// The typed reads of the indexed kinds.

// roomByToken returns the living room of the account that ClientRequestToken
// token created, or an error with Code NotFound.
func roomByToken(ctx context.Context, tx ReadTx, accountID, token string) (*Room, error) {
	r, err := tx.ResourceByIndex(ctx, kindRoom, indexRoomToken, accountID+"/"+token)
	if err != nil {
		return nil, err
	}
	var room Room
	return &room, decodeDoc(r, &room)
}

// memberships returns every membership of the member, in room id order.
func memberships(ctx context.Context, tx ReadTx, memberID string) ([]*RoomMembership, error) {
	rs, err := tx.ResourcesByIndex(ctx, kindMembership, indexMemberRooms, memberID+"/")
	if err != nil {
		return nil, err
	}
	return decodeDocs[RoomMembership](rs)
}
