package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/fixture"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/internal/fixturefile"
)

// The serve flags that make a run reproducible: the same --id-seed, --seed
// fixture and --clock, and the same requests in the same order, give the
// same ids, timestamps and responses.

func (m *Main) testingFlags(fs *flag.FlagSet) {
	fs.StringVar(&m.Config.IDSeed, "id-seed", envOr("OPENCHIME_ID_SEED", m.Config.IDSeed), "seed every generated id (and request id) from this unsigned integer, for reproducible runs (env OPENCHIME_ID_SEED)")
	fs.StringVar(&m.Config.Clock, "clock", envOr("OPENCHIME_CLOCK", m.Config.Clock), "start with the clock frozen at this RFC 3339 time, e.g. 2030-01-02T03:04:05Z; POST /_openchime/clock moves it (env OPENCHIME_CLOCK)")
	fs.StringVar(&m.Config.Seed, "seed", envOr("OPENCHIME_SEED", m.Config.Seed), "load this fixture file (JSON, or YAML when named .yaml/.yml) of accounts and users at start; loading is idempotent (env OPENCHIME_SEED)")
}

func (c *Config) validateTesting() error {
	if c.IDSeed != "" {
		if _, err := strconv.ParseUint(c.IDSeed, 10, 64); err != nil {
			return fmt.Errorf("--id-seed %q must be an unsigned integer", c.IDSeed)
		}
	}
	if c.Clock != "" {
		if _, err := time.Parse(time.RFC3339Nano, c.Clock); err != nil {
			return fmt.Errorf("--clock %q must be an RFC 3339 time such as 2030-01-02T03:04:05Z", c.Clock)
		}
	}
	return nil
}

// requestIDSalt separates the request-id sequence from the resource-id
// sequence of the same seed; eventIDSalt the trail's event ids from both,
// so recording reads never shifts the ids of what is created.
const (
	requestIDSalt = 0x5eed_0f_2e9e57
	eventIDSalt   = 0x5eed_c1_0d7a11
)

func (m *Main) applyTesting(ctx context.Context, svc *openchime.Service, api *httpapi.Server, logger *slog.Logger) error {
	if m.Config.IDSeed != "" {
		seed, _ := strconv.ParseUint(m.Config.IDSeed, 10, 64)
		svc.IDs = openchime.NewSeededIDs(seed)
		api.RequestIDs = openchime.NewSeededIDs(seed ^ requestIDSalt)
		if api.Trail != nil {
			api.Trail.IDs = openchime.NewSeededIDs(seed ^ eventIDSalt)
		}
	}
	if m.Config.Clock != "" {
		t, _ := time.Parse(time.RFC3339Nano, m.Config.Clock)
		// Freeze before Set, so the clock stops exactly at t.
		api.Clock.Freeze()
		api.Clock.Set(t)
	}
	if m.Config.Seed != "" {
		res, err := loadFixtureFile(ctx, svc, m.Config.Seed, "--seed")
		if err != nil {
			return err
		}
		logger.Info("fixture loaded", "file", m.Config.Seed, "created", res.Created, "unchanged", res.Unchanged)
	}
	return nil
}

// loadFixtureFile loads the fixture file at path; flag names the flag that
// gave it, for the error.
func loadFixtureFile(ctx context.Context, svc *openchime.Service, path, flag string) (*fixture.Result, error) {
	f, err := fixturefile.Read(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	res, err := fixture.Load(ctx, svc, f)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s", flag, path, openchime.ErrorMessage(err))
	}
	return res, nil
}
