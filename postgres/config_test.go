package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/postgres"
)

// TestPhoneConfig_TwoNodes changes the telephony configuration from two
// nodes (two stores on one database) at the same moment, one field each:
// both changes land, and both nodes read and apply the same configuration.
func TestPhoneConfig_TwoNodes(t *testing.T) {
	ctx := context.Background()
	dbURL := MustCreateDatabase(t)
	var svcs [2]*openchime.Service
	for i := range svcs {
		s, err := postgres.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		svcs[i] = openchime.NewService(s)
	}
	const rounds = 10
	for round := 1; round <= rounds; round++ {
		changes := [2]func(*openchime.PhoneConfig) error{
			func(c *openchime.PhoneConfig) error { c.MaxDialOutsPerMeeting = round; return nil },
			func(c *openchime.PhoneConfig) error {
				c.PhoneNumberOrderDelay = openchime.Duration(time.Duration(round) * time.Second)
				return nil
			},
		}
		var wg sync.WaitGroup
		for i := range svcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := svcs[i].UpdatePhoneConfig(ctx, changes[i]); err != nil {
					t.Errorf("round %d, node %d: %v", round, i, err)
				}
			}()
		}
		wg.Wait()
		for i, svc := range svcs {
			c, err := svc.PhoneConfigSnapshot(ctx)
			if err != nil || c.MaxDialOutsPerMeeting != round || time.Duration(c.PhoneNumberOrderDelay) != time.Duration(round)*time.Second {
				t.Fatalf("round %d, node %d reads %+v, %v: a change was lost", round, i, c, err)
			}
		}
	}
	// Node 1 applies the dial-out limit that both nodes agreed on.
	if _, err := svcs[0].AdminSeedPhoneNumber(ctx, openchime.SeedPhoneNumber{E164PhoneNumber: "+13125550100"}); err != nil {
		t.Fatal(err)
	}
	for i := range rounds {
		if _, err := svcs[i%2].CreateMeetingDialOut(ctx, "m1", "+13125550100", "+13125550199", ""); err != nil {
			t.Fatalf("dial-out %d: %v", i, err)
		}
	}
	if _, err := svcs[1].CreateMeetingDialOut(ctx, "m1", "+13125550100", "+13125550199", ""); !openchime.IsCode(err, openchime.ResourceLimitExceeded) {
		t.Fatalf("dial-out past the limit: %v, want ResourceLimitExceeded", err)
	}
}
