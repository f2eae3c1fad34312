package openchime

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// The collaboration settings are kept like the telephony configuration
// (service_config.go): one Resource record, (kindConfig, configCollabID),
// read inside the transaction of each operation that applies a limit, so
// every node over a shared store applies the same value, snapshots carry it
// and resets remove it (Service.Collab applies again).
const configCollabID = "collab"

// CollabSettings are the collaboration limits and the retention grace
// period that GET and PUT /_openchime/config carry beside the PhoneConfig.
// A zero field takes its default (CollabConfig).
type CollabSettings struct {
	BotsPerAccount  int
	RoomsPerAccount int
	MembersPerRoom  int
	RoomsPerMember  int
	WebhooksPerRoom int
	RetentionGrace  GraceDuration
}

// GraceDuration is the RetentionGrace field of CollabSettings: a Duration
// whose decoding error names the field.
type GraceDuration Duration

// MarshalJSON implements json.Marshaler.
func (d GraceDuration) MarshalJSON() ([]byte, error) { return Duration(d).MarshalJSON() }

// UnmarshalJSON implements json.Unmarshaler.
func (d *GraceDuration) UnmarshalJSON(b []byte) error {
	if err := (*Duration)(d).UnmarshalJSON(b); err != nil {
		return fmt.Errorf("RetentionGrace must be a non-negative duration string such as \"720h\" (\"0s\" restores the default), not %s", b)
	}
	return nil
}

// Validate refuses negative limits, naming the field.
func (c *CollabSettings) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"BotsPerAccount", c.BotsPerAccount}, {"RoomsPerAccount", c.RoomsPerAccount},
		{"MembersPerRoom", c.MembersPerRoom}, {"RoomsPerMember", c.RoomsPerMember},
		{"WebhooksPerRoom", c.WebhooksPerRoom},
	} {
		if f.v < 0 {
			return Errorf(BadRequest, "%s must be a positive integer, or 0 for the default; it is %d.", f.name, f.v)
		}
	}
	if c.RetentionGrace < 0 {
		return Errorf(BadRequest, "RetentionGrace must not be negative.")
	}
	return nil
}

// settings returns the limits of l as CollabSettings, with the defaults
// filled in, so a listing shows the value in force.
func (l CollabConfig) settings() CollabSettings {
	return CollabSettings{
		BotsPerAccount: l.bots(), RoomsPerAccount: l.rooms(), MembersPerRoom: l.membersPerRoom(),
		RoomsPerMember: l.roomsPerMember(), WebhooksPerRoom: l.webhooks(), RetentionGrace: GraceDuration(l.grace()),
	}
}

// with returns l with the limits of c; the options that are not settings
// (LenientRedaction, a flag) stay those of l.
func (l CollabConfig) with(c CollabSettings) CollabConfig {
	l.BotsPerAccount, l.RoomsPerAccount = c.BotsPerAccount, c.RoomsPerAccount
	l.MembersPerRoom, l.RoomsPerMember, l.WebhooksPerRoom = c.MembersPerRoom, c.RoomsPerMember, c.WebhooksPerRoom
	l.RetentionGrace = time.Duration(c.RetentionGrace)
	return l
}

// collabMemo is a decoded collaboration record and the bytes it was decoded
// from (the same reuse as phoneMemo).
type collabMemo struct {
	data []byte
	c    CollabSettings
}

// collabConfig returns the collaboration configuration in force in tx: the
// stored settings, or Service.Collab while the store holds none.
func (s *Service) collabConfig(ctx context.Context, tx ReadTx) (CollabConfig, error) {
	c, _, err := s.loadCollab(ctx, tx)
	if err != nil {
		return CollabConfig{}, err
	}
	if c == nil {
		return s.Collab, nil
	}
	return s.Collab.with(*c), nil
}

// loadCollab returns the stored settings and their record; nil, nil while
// the store holds none.
func (s *Service) loadCollab(ctx context.Context, tx ReadTx) (*CollabSettings, *Resource, error) {
	r, err := tx.Resource(ctx, kindConfig, configCollabID)
	if IsCode(err, NotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if m := s.collabMemo.Load(); m != nil && bytes.Equal(m.data, r.Data) {
		c := m.c
		return &c, r, nil
	}
	m := &collabMemo{data: bytes.Clone(r.Data)}
	if err := decodeDoc(r, &m.c); err != nil {
		return nil, nil, err
	}
	s.collabMemo.Store(m)
	c := m.c
	return &c, r, nil
}

// Config is the whole configuration that GET and PUT /_openchime/config
// carry: the telephony configuration and the collaboration settings, one
// flat JSON object.
type Config struct {
	PhoneConfig
	CollabSettings
}

// ConfigSnapshot returns the configuration in force: the stored records, or
// Service.Phone and Service.Collab while the store holds none. The
// collaboration limits are shown with their defaults filled in.
func (s *Service) ConfigSnapshot(ctx context.Context) (Config, error) {
	var c Config
	err := s.Store.View(ctx, func(tx ReadTx) error {
		p, err := s.phoneConfig(ctx, tx)
		if err != nil {
			return err
		}
		cc, err := s.collabConfig(ctx, tx)
		if err != nil {
			return err
		}
		c = Config{PhoneConfig: p.clone(), CollabSettings: cc.settings()}
		return nil
	})
	return c, err
}

// UpdateConfig reads the whole configuration, lets change modify it,
// validates and writes back both records in one transaction, as
// UpdatePhoneConfig does for the telephony part (decision D43: concurrent
// updates of different fields all land). change may run more than once.
// The collaboration settings are written as given, a zero meaning the
// default; the result shows the defaults filled in.
func (s *Service) UpdateConfig(ctx context.Context, change func(*Config) error) (Config, error) {
	var out Config
	err := s.Store.Update(ctx, func(tx Tx) error {
		shared, pr, err := s.loadPhoneConfig(ctx, tx)
		if err != nil {
			return err
		}
		stored, cr, err := s.loadCollab(ctx, tx)
		if err != nil {
			return err
		}
		cur := Config{PhoneConfig: shared.clone(), CollabSettings: s.Collab.settings()}
		if stored != nil {
			cur.CollabSettings = s.Collab.with(*stored).settings()
		}
		if err := change(&cur); err != nil {
			return err
		}
		if err := cur.PhoneConfig.Validate(); err != nil {
			return err
		}
		if err := cur.CollabSettings.Validate(); err != nil {
			return err
		}
		created := s.now()
		if pr != nil {
			created = pr.CreatedAt
		}
		if err := putDoc(ctx, tx, kindConfig, configPhoneID, "", created, &cur.PhoneConfig); err != nil {
			return err
		}
		created = s.now()
		if cr != nil {
			created = cr.CreatedAt
		}
		if err := putDoc(ctx, tx, kindConfig, configCollabID, "", created, &cur.CollabSettings); err != nil {
			return err
		}
		out = Config{PhoneConfig: cur.PhoneConfig.clone(), CollabSettings: s.Collab.with(cur.CollabSettings).settings()}
		return nil
	})
	if err != nil {
		return Config{}, err
	}
	return out, nil
}
