package openchime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"
)

// auditEventPrefix starts every audit event appendJSON writes.
var auditEventPrefix = []byte(`{"FormatVersion":`)

// legacySnapshotVersion is the "Version" of the snapshot files written
// before FormatVersion (Go field names), which ParseSnapshot still reads.
const legacySnapshotVersion = 1

// Snapshot is the whole state of a server: every account (tombstones
// included), every user (removed ones included) and every resource of every
// kind, with every field, so that restoring it gives back exactly the same
// ids, timestamps and tombstones. Its JSON is the snapshot file of
// docs/formats.md (MarshalJSON).
type Snapshot struct {
	Accounts  []*Account
	Users     []*User
	Resources []SnapshotResource
}

// SnapshotResource is a Resource whose JSON document is kept as JSON (not
// base64) in the snapshot file, so the file stays readable and diffable.
// Data is the document as the server keeps it: its own format, except for
// audit events (AuditKind), which are in the format of docs/formats.md.
type SnapshotResource struct {
	Kind      string
	ID        string
	Scope     string
	CreatedAt time.Time
	Data      json.RawMessage `json:",omitempty"`
}

// Snapshot exports the whole state in one read transaction. Accounts and
// users come in (CreatedAt, ID) order, users grouped by account, resources by
// kind, so two exports of the same state are byte-identical.
func (s *Service) Snapshot(ctx context.Context) (*Snapshot, error) {
	snap := &Snapshot{Accounts: []*Account{}, Users: []*User{}, Resources: []SnapshotResource{}}
	err := s.Store.View(ctx, func(tx ReadTx) error {
		// The callback may run again (a store retries a conflicting
		// transaction): start from empty lists each time.
		snap.Accounts, snap.Users, snap.Resources = snap.Accounts[:0], snap.Users[:0], snap.Resources[:0]
		accounts, err := tx.Accounts(ctx, AccountFilter{IncludeDeleted: true})
		if err != nil {
			return err
		}
		snap.Accounts = append(snap.Accounts, accounts...)
		for _, a := range accounts {
			users, err := tx.Users(ctx, UserFilter{AccountID: a.ID, IncludeRemoved: true})
			if err != nil {
				return err
			}
			snap.Users = append(snap.Users, users...)
		}
		resources, err := tx.AllResources(ctx)
		if err != nil {
			return err
		}
		for _, r := range resources {
			sr := SnapshotResource{Kind: r.Kind, ID: r.ID, Scope: r.Scope, CreatedAt: r.CreatedAt}
			if r.Kind == AuditKind && !bytes.HasPrefix(r.Data, auditEventPrefix) {
				// An event stored before FormatVersion leaves in the format,
				// as ListAudit shows it.
				if e, err := ParseAuditEvent(r.Data); err == nil {
					r.Data = e.appendJSON(nil)
				}
			}
			if len(r.Data) > 0 {
				if !json.Valid(r.Data) {
					return Errorf(ServiceFailure, "resource %s %s holds a document that is not JSON", r.Kind, r.ID)
				}
				sr.Data = json.RawMessage(r.Data)
			}
			snap.Resources = append(snap.Resources, sr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// RestoreSnapshot replaces the whole state with snap in one transaction: on
// any error nothing changes. It refuses a snapshot of another version, a
// record that breaks an invariant, a user of an account the snapshot does
// not hold, and duplicate keys, each with BadRequest and the record's place.
func (s *Service) RestoreSnapshot(ctx context.Context, snap *Snapshot) error {
	if err := snap.validate(); err != nil {
		return err
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteAll(ctx); err != nil {
			return err
		}
		for _, a := range snap.Accounts {
			if err := tx.PutAccount(ctx, a); err != nil {
				return err
			}
		}
		for _, u := range snap.Users {
			if err := tx.PutUser(ctx, u); err != nil {
				return err
			}
		}
		for _, r := range snap.Resources {
			// Documents are kept compact, as json.Marshal writes them, so an
			// indented snapshot file restores the very same bytes.
			var data []byte
			if len(r.Data) > 0 {
				var buf bytes.Buffer
				if err := json.Compact(&buf, r.Data); err != nil {
					return Errorf(BadRequest, "Resource %s %s: Data is not JSON: %v.", r.Kind, r.ID, err)
				}
				data = buf.Bytes()
			}
			err := tx.PutResource(ctx, &Resource{Kind: r.Kind, ID: r.ID, Scope: r.Scope, CreatedAt: r.CreatedAt, Data: data})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (snap *Snapshot) validate() error {
	accounts := make(map[string]bool, len(snap.Accounts))
	for i, a := range snap.Accounts {
		if a == nil {
			return Errorf(BadRequest, "Accounts[%d] is null.", i)
		}
		if err := a.Validate(); err != nil {
			return Errorf(BadRequest, "Accounts[%d]: %s", i, ErrorMessage(err))
		}
		if accounts[a.ID] {
			return Errorf(BadRequest, "Accounts[%d]: account id %s appears twice.", i, a.ID)
		}
		accounts[a.ID] = true
	}
	type userKey struct{ account, key string }
	seen := make(map[userKey]bool, len(snap.Users))
	for i, u := range snap.Users {
		if u == nil {
			return Errorf(BadRequest, "Users[%d] is null.", i)
		}
		if err := u.Validate(); err != nil {
			return Errorf(BadRequest, "Users[%d]: %s", i, ErrorMessage(err))
		}
		if !accounts[u.AccountID] {
			return Errorf(BadRequest, "Users[%d]: account %s is not in the snapshot.", i, u.AccountID)
		}
		id, email := userKey{u.AccountID, "id " + u.ID}, userKey{u.AccountID, "email " + NormalizeEmail(u.PrimaryEmail)}
		if seen[id] {
			return Errorf(BadRequest, "Users[%d]: user id %s appears twice in account %s.", i, u.ID, u.AccountID)
		}
		if seen[email] {
			return Errorf(BadRequest, "Users[%d]: email %s appears twice in account %s.", i, u.PrimaryEmail, u.AccountID)
		}
		seen[id], seen[email] = true, true
	}
	resources := make(map[[2]string]bool, len(snap.Resources))
	for i, r := range snap.Resources {
		if r.Kind == "" || r.ID == "" {
			return Errorf(BadRequest, "Resources[%d]: Kind and ID are required.", i)
		}
		if resources[[2]string{r.Kind, r.ID}] {
			return Errorf(BadRequest, "Resources[%d]: %s %s appears twice.", i, r.Kind, r.ID)
		}
		resources[[2]string{r.Kind, r.ID}] = true
		if r.Kind == kindConfig && r.ID == configPhoneID {
			// Every phone operation reads it: refuse it here rather than
			// fail them all after the restore.
			var c PhoneConfig
			if err := json.Unmarshal(r.Data, &c); err != nil {
				return Errorf(BadRequest, "Resources[%d]: the telephony configuration does not decode: %v.", i, err)
			}
			if err := c.Validate(); err != nil {
				return Errorf(BadRequest, "Resources[%d]: the telephony configuration: %s", i, ErrorMessage(err))
			}
		}
	}
	return nil
}

// MarshalJSON writes the snapshot file: FormatVersion, then the records in
// the format of docs/formats.md.
func (snap Snapshot) MarshalJSON() ([]byte, error) {
	f := snapshotRecord{FormatVersion: FormatVersion, Accounts: make([]*accountRecord, len(snap.Accounts)),
		Users: make([]*userRecord, len(snap.Users)), Resources: make([]resourceRecord, len(snap.Resources))}
	for i, a := range snap.Accounts {
		if a != nil {
			r := toAccountRecord(a)
			f.Accounts[i] = &r
		}
	}
	for i, u := range snap.Users {
		if u != nil {
			r := toUserRecord(u)
			f.Users[i] = &r
		}
	}
	for i, r := range snap.Resources {
		f.Resources[i] = resourceRecord{Kind: r.Kind, Id: r.ID, Scope: r.Scope, CreatedTimestamp: r.CreatedAt, Data: r.Data}
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads a snapshot file of either format, as ParseSnapshot
// does.
func (snap *Snapshot) UnmarshalJSON(data []byte) error {
	s, err := ParseSnapshot(data)
	if err != nil {
		return err
	}
	*snap = *s
	return nil
}

// ParseSnapshot decodes a snapshot file strictly: an unknown member is an
// error rather than data silently lost on restore. It reads the format
// (FormatVersion 2) and the files written before it ("Version": 1, Go field
// names, zero times).
func ParseSnapshot(data []byte) (*Snapshot, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Errorf(BadRequest, "The snapshot is empty; send what GET /_openchime/snapshot or openchime snapshot save wrote.")
	}
	var head struct {
		FormatVersion *int
		Version       *int
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, Errorf(BadRequest, "The snapshot is not valid JSON of the snapshot format: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	switch {
	case head.FormatVersion != nil && *head.FormatVersion == FormatVersion:
		var f snapshotRecord
		if err := decodeStrict(data, &f); err != nil {
			return nil, err
		}
		snap := &Snapshot{Accounts: make([]*Account, len(f.Accounts)), Users: make([]*User, len(f.Users)),
			Resources: make([]SnapshotResource, len(f.Resources))}
		for i, a := range f.Accounts {
			if a != nil {
				snap.Accounts[i] = a.account()
			}
		}
		for i, u := range f.Users {
			if u != nil {
				snap.Users[i] = u.user()
			}
		}
		for i, r := range f.Resources {
			snap.Resources[i] = SnapshotResource{Kind: r.Kind, ID: r.Id, Scope: r.Scope, CreatedAt: r.CreatedTimestamp, Data: r.Data}
		}
		return snap, nil
	case head.FormatVersion != nil:
		return nil, Errorf(BadRequest, "Snapshot FormatVersion %d is not supported; this server reads FormatVersion %d and the older \"Version\": %d.", *head.FormatVersion, FormatVersion, legacySnapshotVersion)
	case head.Version != nil && *head.Version == legacySnapshotVersion:
		var f legacySnapshot
		if err := decodeStrict(data, &f); err != nil {
			return nil, err
		}
		snap := &Snapshot{Accounts: f.Accounts, Users: f.Users, Resources: make([]SnapshotResource, len(f.Resources))}
		for i, r := range f.Resources {
			snap.Resources[i] = SnapshotResource{Kind: r.Kind, ID: r.ID, Scope: r.Scope, CreatedAt: r.CreatedAt, Data: r.Data}
		}
		return snap, nil
	case head.Version != nil:
		return nil, Errorf(BadRequest, "Snapshot Version %d is not supported; this server reads FormatVersion %d and the older \"Version\": %d.", *head.Version, FormatVersion, legacySnapshotVersion)
	}
	return nil, Errorf(BadRequest, "The snapshot has no FormatVersion; send what GET /_openchime/snapshot or openchime snapshot save wrote.")
}

// decodeStrict decodes one JSON value into v, refusing unknown members and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(BadRequest, "The snapshot is not valid JSON of the snapshot format: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(BadRequest, "The snapshot has data after its JSON object.")
	}
	return nil
}
