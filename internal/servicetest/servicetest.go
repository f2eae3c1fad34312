// Package servicetest builds the Services the domain's tests run on: the
// root package's, fixture's and snapshot's, which share the same starting
// state.
package servicetest

import (
	"context"
	"os"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/fixture"
	"github.com/openchime/openchime/sqlite"
)

// MustService returns a Service over a fresh in-memory store with seeded ids
// and a clock frozen at 2030-01-02T03:04:05Z.
func MustService(tb testing.TB) *openchime.Service {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	svc := openchime.NewService(store)
	svc.IDs = openchime.NewSeededIDs(1)
	clock := &openchime.ControlClock{}
	clock.Freeze()
	clock.Set(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	svc.Clock = clock
	return svc
}

// MustLoadFixtureFile parses and loads the JSON fixture file at path.
func MustLoadFixtureFile(tb testing.TB, svc *openchime.Service, path string) *fixture.Result {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := fixture.Parse(data)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := fixture.Load(context.Background(), svc, f)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}
