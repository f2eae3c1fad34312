package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/postgres"
)

// TestPhoneNumberOrder_OneTenantWins orders the same numbers at the same
// moment from two nodes (two stores on one database) for two AWS accounts:
// each number goes to exactly one tenant (decision D13), and the other gets
// the modelled "not available" BadRequest, never a 5xx or a Conflict the
// operation does not model.
func TestPhoneNumberOrder_OneTenantWins(t *testing.T) {
	dbURL := MustCreateDatabase(t)
	var svcs [2]*openchime.Service
	for i := range svcs {
		s, err := postgres.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		svcs[i] = openchime.NewService(s)
	}
	tenants := [2]string{"111111111111", "222222222222"}
	const rounds = 15
	for round := range rounds {
		number := fmt.Sprintf("+1206555%04d", 100+round)
		var wg sync.WaitGroup
		var errs [2]error
		for i := range svcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := openchime.NewContextWithCaller(context.Background(), openchime.Caller{AwsAccountID: tenants[i]})
				_, errs[i] = svcs[i].CreatePhoneNumberOrder(ctx, openchime.BusinessCalling, []string{number})
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case openchime.IsCode(err, openchime.BadRequest):
			default:
				t.Fatalf("%s, tenant %d: err = %v, want success or BadRequest", number, i, err)
			}
		}
		if won != 1 {
			t.Fatalf("%s: %d tenants got the number (%v), want exactly 1", number, won, errs)
		}
		holders := 0
		for i, svc := range svcs {
			ctx := openchime.NewContextWithCaller(context.Background(), openchime.Caller{AwsAccountID: tenants[i]})
			if _, err := svc.GetPhoneNumber(ctx, number); err == nil {
				holders++
			}
		}
		if holders != 1 {
			t.Fatalf("%s: held by %d tenants", number, holders)
		}
	}
}
