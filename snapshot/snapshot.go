// Package snapshot saves and restores the whole state of a server as one
// JSON file, the snapshot file of docs/formats.md: GET and PUT
// /_openchime/snapshot and openchime snapshot save|load. It reads and writes
// the store through the Store port; the accounts and users are in the format
// the audit log shares (openchime.AccountRecord, openchime.UserRecord).
package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	openchime "github.com/openchime/openchime"
)

// legacySnapshotVersion is the "Version" of the snapshot files written
// before FormatVersion (Go field names), which Parse still reads.
const legacySnapshotVersion = 1

// Snapshot is the whole state of a server: every account (tombstones
// included), every user (removed ones included) and every resource of every
// kind, with every field, so that restoring it gives back exactly the same
// ids, timestamps and tombstones. Its JSON is the snapshot file of
// docs/formats.md (MarshalJSON).
type Snapshot struct {
	Accounts  []*openchime.Account
	Users     []*openchime.User
	Resources []Resource
}

// Resource is an openchime.Resource whose JSON document is kept as JSON (not
// base64) in the snapshot file, so the file stays readable and diffable.
// Data is the document as the server keeps it: its own format, except for
// audit events (openchime.AuditKind), which are in the format of docs/formats.md.
type Resource struct {
	Kind      string
	ID        string
	Scope     string
	CreatedAt time.Time
	Data      json.RawMessage `json:",omitempty"`
}

// Take exports the whole state of store in one read transaction. Accounts
// and users come in (CreatedAt, ID) order, users grouped by account,
// resources by kind, so two exports of the same state are byte-identical.
func Take(ctx context.Context, store openchime.Store) (*Snapshot, error) {
	snap := &Snapshot{Accounts: []*openchime.Account{}, Users: []*openchime.User{}, Resources: []Resource{}}
	err := store.View(ctx, func(tx openchime.ReadTx) error {
		// The callback may run again (a store retries a conflicting
		// transaction): start from empty lists each time.
		snap.Accounts, snap.Users, snap.Resources = snap.Accounts[:0], snap.Users[:0], snap.Resources[:0]
		accounts, err := tx.Accounts(ctx, openchime.AccountFilter{IncludeDeleted: true})
		if err != nil {
			return err
		}
		snap.Accounts = append(snap.Accounts, accounts...)
		for _, a := range accounts {
			users, err := tx.Users(ctx, openchime.UserFilter{AccountID: a.ID, IncludeRemoved: true})
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
			sr := Resource{Kind: r.Kind, ID: r.ID, Scope: r.Scope, CreatedAt: r.CreatedAt}
			if r.Kind == openchime.AuditKind && !bytes.HasPrefix(r.Data, openchime.AuditEventPrefix) {
				// An event stored before FormatVersion leaves in the format,
				// as ListAudit shows it.
				if e, err := openchime.ParseAuditEvent(r.Data); err == nil {
					r.Data, _ = e.MarshalJSON()
				}
			}
			if len(r.Data) > 0 {
				if !json.Valid(r.Data) {
					return openchime.Errorf(openchime.ServiceFailure, "resource %s %s holds a document that is not JSON", r.Kind, r.ID)
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

// Restore replaces the whole state of store with snap in one transaction:
// on any error nothing changes. It refuses a snapshot of another version, a
// record that breaks an invariant, a user of an account the snapshot does
// not hold, and duplicate keys, each with BadRequest and the record's place.
func Restore(ctx context.Context, store openchime.Store, snap *Snapshot) error {
	if err := snap.validate(); err != nil {
		return err
	}
	return store.Update(ctx, func(tx openchime.Tx) error {
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
					return openchime.Errorf(openchime.BadRequest, "Resource %s %s: Data is not JSON: %v.", r.Kind, r.ID, err)
				}
				data = buf.Bytes()
			}
			err := tx.PutResource(ctx, &openchime.Resource{Kind: r.Kind, ID: r.ID, Scope: r.Scope, CreatedAt: r.CreatedAt, Data: data})
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
			return openchime.Errorf(openchime.BadRequest, "Accounts[%d] is null.", i)
		}
		if err := a.Validate(); err != nil {
			return openchime.Errorf(openchime.BadRequest, "Accounts[%d]: %s", i, openchime.ErrorMessage(err))
		}
		if accounts[a.ID] {
			return openchime.Errorf(openchime.BadRequest, "Accounts[%d]: account id %s appears twice.", i, a.ID)
		}
		accounts[a.ID] = true
	}
	type userKey struct{ account, key string }
	seen := make(map[userKey]bool, len(snap.Users))
	for i, u := range snap.Users {
		if u == nil {
			return openchime.Errorf(openchime.BadRequest, "Users[%d] is null.", i)
		}
		if err := u.Validate(); err != nil {
			return openchime.Errorf(openchime.BadRequest, "Users[%d]: %s", i, openchime.ErrorMessage(err))
		}
		if !accounts[u.AccountID] {
			return openchime.Errorf(openchime.BadRequest, "Users[%d]: account %s is not in the snapshot.", i, u.AccountID)
		}
		id, email := userKey{u.AccountID, "id " + u.ID}, userKey{u.AccountID, "email " + openchime.NormalizeEmail(u.PrimaryEmail)}
		if seen[id] {
			return openchime.Errorf(openchime.BadRequest, "Users[%d]: user id %s appears twice in account %s.", i, u.ID, u.AccountID)
		}
		if seen[email] {
			return openchime.Errorf(openchime.BadRequest, "Users[%d]: email %s appears twice in account %s.", i, u.PrimaryEmail, u.AccountID)
		}
		seen[id], seen[email] = true, true
	}
	resources := make(map[[2]string]bool, len(snap.Resources))
	for i, r := range snap.Resources {
		if r.Kind == "" || r.ID == "" {
			return openchime.Errorf(openchime.BadRequest, "Resources[%d]: Kind and ID are required.", i)
		}
		if resources[[2]string{r.Kind, r.ID}] {
			return openchime.Errorf(openchime.BadRequest, "Resources[%d]: %s %s appears twice.", i, r.Kind, r.ID)
		}
		resources[[2]string{r.Kind, r.ID}] = true
		if err := openchime.CheckResource(r.Kind, r.ID, r.Data); err != nil {
			return openchime.Errorf(openchime.BadRequest, "Resources[%d]: %s", i, openchime.ErrorMessage(err))
		}
	}
	return nil
}

// MarshalJSON writes the snapshot file: FormatVersion, then the records in
// the format of docs/formats.md.
func (snap Snapshot) MarshalJSON() ([]byte, error) {
	f := snapshotRecord{FormatVersion: openchime.FormatVersion, Accounts: make([]*openchime.AccountRecord, len(snap.Accounts)),
		Users: make([]*openchime.UserRecord, len(snap.Users)), Resources: make([]resourceRecord, len(snap.Resources))}
	for i, a := range snap.Accounts {
		if a != nil {
			r := openchime.ToAccountRecord(a)
			f.Accounts[i] = &r
		}
	}
	for i, u := range snap.Users {
		if u != nil {
			r := openchime.ToUserRecord(u)
			f.Users[i] = &r
		}
	}
	for i, r := range snap.Resources {
		f.Resources[i] = resourceRecord{Kind: r.Kind, Id: r.ID, Scope: r.Scope, CreatedTimestamp: r.CreatedAt, Data: r.Data}
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads a snapshot file of either format, as Parse does.
func (snap *Snapshot) UnmarshalJSON(data []byte) error {
	s, err := Parse(data)
	if err != nil {
		return err
	}
	*snap = *s
	return nil
}

// Parse decodes a snapshot file strictly: an unknown member is an
// error rather than data silently lost on restore. It reads the format
// (FormatVersion 2) and the files written before it ("Version": 1, Go field
// names, zero times).
func Parse(data []byte) (*Snapshot, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, openchime.Errorf(openchime.BadRequest, "The snapshot is empty; send what GET /_openchime/snapshot or openchime snapshot save wrote.")
	}
	var head struct {
		FormatVersion *int
		Version       *int
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, openchime.Errorf(openchime.BadRequest, "The snapshot is not valid JSON of the snapshot format: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	switch {
	case head.FormatVersion != nil && *head.FormatVersion == openchime.FormatVersion:
		var f snapshotRecord
		if err := decodeStrict(data, &f); err != nil {
			return nil, err
		}
		snap := &Snapshot{Accounts: make([]*openchime.Account, len(f.Accounts)), Users: make([]*openchime.User, len(f.Users)),
			Resources: make([]Resource, len(f.Resources))}
		for i, a := range f.Accounts {
			if a != nil {
				snap.Accounts[i] = a.Account()
			}
		}
		for i, u := range f.Users {
			if u != nil {
				snap.Users[i] = u.User()
			}
		}
		for i, r := range f.Resources {
			snap.Resources[i] = Resource{Kind: r.Kind, ID: r.Id, Scope: r.Scope, CreatedAt: r.CreatedTimestamp, Data: r.Data}
		}
		return snap, nil
	case head.FormatVersion != nil:
		return nil, openchime.Errorf(openchime.BadRequest, "Snapshot FormatVersion %d is not supported; this server reads FormatVersion %d and the older \"Version\": %d.", *head.FormatVersion, openchime.FormatVersion, legacySnapshotVersion)
	case head.Version != nil && *head.Version == legacySnapshotVersion:
		var f legacySnapshot
		if err := decodeStrict(data, &f); err != nil {
			return nil, err
		}
		snap := &Snapshot{Accounts: f.Accounts, Users: f.Users, Resources: make([]Resource, len(f.Resources))}
		for i, r := range f.Resources {
			snap.Resources[i] = Resource{Kind: r.Kind, ID: r.ID, Scope: r.Scope, CreatedAt: r.CreatedAt, Data: r.Data}
		}
		return snap, nil
	case head.Version != nil:
		return nil, openchime.Errorf(openchime.BadRequest, "Snapshot Version %d is not supported; this server reads FormatVersion %d and the older \"Version\": %d.", *head.Version, openchime.FormatVersion, legacySnapshotVersion)
	}
	return nil, openchime.Errorf(openchime.BadRequest, "The snapshot has no FormatVersion; send what GET /_openchime/snapshot or openchime snapshot save wrote.")
}

// decodeStrict decodes one JSON value into v, refusing unknown members and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return openchime.Errorf(openchime.BadRequest, "The snapshot is not valid JSON of the snapshot format: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return openchime.Errorf(openchime.BadRequest, "The snapshot has data after its JSON object.")
	}
	return nil
}

// resourceRecord is a Resource in the format.
type resourceRecord struct {
	Kind             string
	Id               string
	Scope            string          `json:",omitempty"`
	CreatedTimestamp time.Time       `json:",omitzero"`
	Data             json.RawMessage `json:",omitempty"`
}

// snapshotRecord is a snapshot file.
type snapshotRecord struct {
	FormatVersion int
	Accounts      []*openchime.AccountRecord // pointers: a null entry stays null, for validate to refuse
	Users         []*openchime.UserRecord
	Resources     []resourceRecord
}

// legacySnapshot is the snapshot file before FormatVersion: the domain
// structs under their Go names, "Version": 1.
type legacySnapshot struct {
	Version   int
	Accounts  []*openchime.Account
	Users     []*openchime.User
	Resources []struct {
		Kind      string
		ID        string
		Scope     string
		CreatedAt time.Time
		Data      json.RawMessage `json:",omitempty"`
	}
}
