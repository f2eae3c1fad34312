package openchime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/servicetest"
	"github.com/openchime/openchime/logstore"
	"github.com/openchime/openchime/snapshot"
	"github.com/openchime/openchime/sqlite"
)

// configStores opens each store kind that keeps the telephony configuration
// on disk, in a temporary directory.
var configStores = map[string]func(tb testing.TB, dir string) openchime.Store{
	"sqlite": func(tb testing.TB, dir string) openchime.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	},
	"logstore": func(tb testing.TB, dir string) openchime.Store {
		s, err := logstore.Open(dir)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	},
}

// setOneField returns a change that sets field i of the configuration to a
// value derived from v and leaves every other field as it is.
func setOneField(i, v int) func(*openchime.PhoneConfig) error {
	d := openchime.Duration(time.Duration(v) * time.Second)
	return func(c *openchime.PhoneConfig) error {
		switch i {
		case 0:
			c.PhoneNumberOrderDelay = d
		case 1:
			c.CallingNameUpdateDelay = d
		case 2:
			c.DeletionQueueRetention = d
		case 3:
			c.CallingNameCooldown = d
		case 4:
			c.MaxPhoneNumbers = v
		case 5:
			c.MaxDialOutsPerMeeting = v
		case 6:
			c.StrictMeetings = v%2 == 1
		case 7:
			c.SupportedCountries = map[string][]openchime.CountryTypes{openchime.VoiceConnector: {{Country: "US", Types: []string{fmt.Sprint(v)}}}}
		}
		return nil
	}
}

// TestService_UpdatePhoneConfig checks that concurrent updates of different
// fields all land: each reads, merges and writes in one transaction.
func TestService_UpdatePhoneConfig(t *testing.T) {
	ctx := context.Background()
	for name, open := range configStores {
		t.Run(name, func(t *testing.T) {
			svc := openchime.NewService(open(t, t.TempDir()))
			const fields, rounds = 8, 10
			for round := 1; round <= rounds; round++ {
				var wg sync.WaitGroup
				for i := range fields {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := svc.UpdatePhoneConfig(ctx, setOneField(i, round)); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
				var want openchime.PhoneConfig
				for i := range fields {
					setOneField(i, round)(&want)
				}
				got, err := svc.PhoneConfigSnapshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("round %d: an update was lost (-want +got):\n%s", round, diff)
				}
			}
		})
	}
}

// TestService_UpdatePhoneConfig_ErrKeepsConfig checks that a change that
// fails, or leaves a negative limit, writes nothing.
func TestService_UpdatePhoneConfig_ErrKeepsConfig(t *testing.T) {
	ctx := context.Background()
	svc := servicetest.MustService(t)
	svc.Phone = openchime.PhoneConfig{SupportedCountries: openchime.DefaultSupportedCountries()}
	want := svc.Phone
	_, err := svc.UpdatePhoneConfig(ctx, func(c *openchime.PhoneConfig) error {
		c.SupportedCountries[openchime.BusinessCalling] = nil
		c.MaxPhoneNumbers = -1
		return nil
	})
	if openchime.ErrorCode(err) != openchime.BadRequest || openchime.ErrorMessage(err) != "Limits must not be negative." {
		t.Fatalf("negative limit: %v", err)
	}
	if got, _ := svc.PhoneConfigSnapshot(ctx); !cmp.Equal(got, want) || !cmp.Equal(svc.Phone, want) {
		t.Fatalf("after a refused update: stored %+v, Service.Phone %+v; want %+v", got, svc.Phone, want)
	}
}

// TestService_PhoneConfig_Snapshot checks that the configuration is part of
// a snapshot, that a reset returns to Service.Phone and that restoring the
// snapshot brings the configuration back.
func TestService_PhoneConfig_Snapshot(t *testing.T) {
	ctx := context.Background()
	svc := servicetest.MustService(t)
	svc.Phone = openchime.PhoneConfig{MaxPhoneNumbers: 7}
	set := openchime.PhoneConfig{PhoneNumberOrderDelay: openchime.Duration(time.Minute), MaxDialOutsPerMeeting: 2, StrictMeetings: true}
	if err := svc.SetPhoneConfig(ctx, set); err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Take(ctx, svc.Store)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.PhoneConfigSnapshot(ctx); !cmp.Equal(got, svc.Phone) {
		t.Fatalf("after reset: %+v, want Service.Phone %+v", got, svc.Phone)
	}
	if err := snapshot.Restore(ctx, svc.Store, snap); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.PhoneConfigSnapshot(ctx); !cmp.Equal(got, set) {
		t.Fatalf("after restore: %+v, want %+v", got, set)
	}
	// Restoring a snapshot taken before any configuration (into a fresh
	// Service) replaces the configuration too.
	empty, err := snapshot.Take(ctx, servicetest.MustService(t).Store)
	if err != nil {
		t.Fatal(err)
	}
	if err := snapshot.Restore(ctx, svc.Store, empty); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.PhoneConfigSnapshot(ctx); !cmp.Equal(got, svc.Phone) {
		t.Fatalf("after restoring an empty snapshot: %+v, want Service.Phone %+v", got, svc.Phone)
	}
}

// TestRestore_ErrBadPhoneConfig checks that a snapshot
// whose telephony configuration would fail every phone operation is refused
// and changes nothing.
func TestRestore_ErrBadPhoneConfig(t *testing.T) {
	ctx := context.Background()
	svc := servicetest.MustService(t)
	set := openchime.PhoneConfig{MaxPhoneNumbers: 3}
	if err := svc.SetPhoneConfig(ctx, set); err != nil {
		t.Fatal(err)
	}
	for _, data := range []string{`{"MaxPhoneNumbers":-2}`, `{"PhoneNumberOrderDelay":"soon"}`, `[]`} {
		snap, err := snapshot.Take(ctx, svc.Store)
		if err != nil {
			t.Fatal(err)
		}
		for i := range snap.Resources {
			if snap.Resources[i].Kind == "config" {
				snap.Resources[i].Data = json.RawMessage(data)
			}
		}
		if err := snapshot.Restore(ctx, svc.Store, snap); openchime.ErrorCode(err) != openchime.BadRequest || !strings.Contains(err.Error(), "telephony configuration") {
			t.Errorf("restore with config %s: %v, want BadRequest about the telephony configuration", data, err)
		}
	}
	if got, err := svc.PhoneConfigSnapshot(ctx); err != nil || !cmp.Equal(got, set) {
		t.Fatalf("after refused restores: %+v, %v; want %+v", got, err, set)
	}
}

// TestService_PhoneConfig_TwoNodes runs two Services over the same database
// files, as two nodes share one database: a change made through one is what
// the other reads and applies.
func TestService_PhoneConfig_TwoNodes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := openchime.NewService(configStores["sqlite"](t, dir))
	b := openchime.NewService(configStores["sqlite"](t, dir))
	if _, err := a.UpdatePhoneConfig(ctx, setOneField(5, 1)); err != nil { // MaxDialOutsPerMeeting: 1
		t.Fatal(err)
	}
	if _, err := b.UpdatePhoneConfig(ctx, setOneField(0, 30)); err != nil { // PhoneNumberOrderDelay: 30s
		t.Fatal(err)
	}
	want := openchime.PhoneConfig{MaxDialOutsPerMeeting: 1, PhoneNumberOrderDelay: openchime.Duration(30 * time.Second)}
	for name, svc := range map[string]*openchime.Service{"a": a, "b": b} {
		if got, err := svc.PhoneConfigSnapshot(ctx); err != nil || !cmp.Equal(got, want) {
			t.Fatalf("node %s reads %+v, %v; want %+v", name, got, err, want)
		}
	}
	// Node b applies the limit node a set.
	if _, err := a.AdminSeedPhoneNumber(ctx, openchime.SeedPhoneNumber{E164PhoneNumber: "+13125550100"}); err != nil {
		t.Fatal(err)
	}
	for i, wantCode := range []openchime.Code{"", openchime.ResourceLimitExceeded} {
		_, err := b.CreateMeetingDialOut(ctx, "m1", "+13125550100", "+13125550199", "")
		if openchime.ErrorCode(err) != wantCode {
			t.Fatalf("dial-out %d on node b: %v, want code %q", i, err, wantCode)
		}
	}
}
