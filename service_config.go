package openchime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// The telephony configuration is one Resource record, so every store keeps
// it without a schema change, every node over a shared store sees the same
// one, and snapshots (AllResources) and resets (DeleteAll, Reset) carry it
// like any other record.
const (
	kindConfig    = "config" // ID: what is configured, e.g. "phone"
	configPhoneID = "phone"
)

// Validate checks the limits; the durations are checked when they are
// decoded (Duration.UnmarshalJSON).
func (c *PhoneConfig) Validate() error {
	if c.MaxPhoneNumbers < 0 || c.MaxDialOutsPerMeeting < 0 {
		return Errorf(BadRequest, "Limits must not be negative.")
	}
	return nil
}

// clone returns a copy that shares no map or slice with c, so that decoding
// a change into it (UpdatePhoneConfig) cannot reach Service.Phone or the
// shared decoded value, nor can a caller of PhoneConfigSnapshot.
func (c *PhoneConfig) clone() PhoneConfig {
	out := *c
	if c.SupportedCountries != nil {
		out.SupportedCountries = make(map[string][]CountryTypes, len(c.SupportedCountries))
		for product, list := range c.SupportedCountries {
			cl := make([]CountryTypes, len(list))
			for i, ct := range list {
				cl[i] = CountryTypes{Country: ct.Country, Types: append([]string(nil), ct.Types...)}
			}
			out.SupportedCountries[product] = cl
		}
	}
	return out
}

// phoneConfig reads the telephony configuration inside the transaction the
// operation already runs, so the operation acts on the configuration as it
// stands in its own snapshot, whichever node changed it last. That costs one
// point read of a small record per transaction and no cache of the record
// itself (a cache would need an invalidation rule across nodes). Decoding
// the JSON cost more than the read on the log store (a read-only phone
// operation went from 2 to 10 µs, BenchmarkService_PhoneConfig), so the
// decoded value is reused while the stored bytes are the very same
// (phoneMemo): never stale, since the record is still read every time. Service.Phone applies while the store holds no
// configuration. The value returned may be shared: read it, never change it.
func (s *Service) phoneConfig(ctx context.Context, tx ReadTx) (*PhoneConfig, error) {
	c, _, err := s.loadPhoneConfig(ctx, tx)
	return c, err
}

// phoneMemo is a decoded configuration and the bytes it was decoded from.
type phoneMemo struct {
	data []byte
	c    PhoneConfig
}

// loadPhoneConfig is phoneConfig with the stored record; nil while the
// store holds none.
func (s *Service) loadPhoneConfig(ctx context.Context, tx ReadTx) (*PhoneConfig, *Resource, error) {
	r, err := tx.Resource(ctx, kindConfig, configPhoneID)
	if IsCode(err, NotFound) {
		return &s.Phone, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if m := s.phoneMemo.Load(); m != nil && bytes.Equal(m.data, r.Data) {
		return &m.c, r, nil
	}
	m := &phoneMemo{data: bytes.Clone(r.Data)}
	if err := json.Unmarshal(r.Data, &m.c); err != nil {
		return nil, nil, fmt.Errorf("decode %s %s: %w", kindConfig, configPhoneID, err)
	}
	s.phoneMemo.Store(m)
	return &m.c, r, nil
}

// PhoneConfigSnapshot returns the telephony configuration held in the store,
// or Service.Phone while the store holds none.
func (s *Service) PhoneConfigSnapshot(ctx context.Context) (PhoneConfig, error) {
	var c PhoneConfig
	err := s.Store.View(ctx, func(tx ReadTx) error {
		shared, err := s.phoneConfig(ctx, tx)
		if err == nil {
			c = shared.clone()
		}
		return err
	})
	if err != nil {
		return PhoneConfig{}, err
	}
	return c, nil
}

// SetPhoneConfig replaces the telephony configuration.
func (s *Service) SetPhoneConfig(ctx context.Context, c PhoneConfig) error {
	_, err := s.UpdatePhoneConfig(ctx, func(cur *PhoneConfig) error {
		*cur = c.clone()
		return nil
	})
	return err
}

// UpdatePhoneConfig reads the telephony configuration, lets change modify
// it, validates and writes it back, all in one transaction: two concurrent
// updates of different fields both land (PUT /_openchime/config merges a
// body into the configuration this way, decision D43). change may run more
// than once (the store retries conflicting transactions), each time on a
// fresh copy, so it must not depend on having run before. An error from
// change aborts the update and is returned as it is.
func (s *Service) UpdatePhoneConfig(ctx context.Context, change func(*PhoneConfig) error) (PhoneConfig, error) {
	var c *PhoneConfig
	err := s.Store.Update(ctx, func(tx Tx) error {
		shared, r, err := s.loadPhoneConfig(ctx, tx)
		if err != nil {
			return err
		}
		cur := shared.clone()
		if err := change(&cur); err != nil {
			return err
		}
		if err := cur.Validate(); err != nil {
			return err
		}
		created := s.now()
		if r != nil {
			created = r.CreatedAt
		}
		c = &cur
		return putDoc(ctx, tx, kindConfig, configPhoneID, "", created, &cur)
	})
	if err != nil {
		return PhoneConfig{}, err
	}
	return *c, nil
}
