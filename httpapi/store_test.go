package httpapi_test

import (
	"context"
	"os"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/logstore"
	"github.com/openchime/openchime/postgres/postgrestest"
	"github.com/openchime/openchime/sqlite"
	"github.com/openchime/openchime/storetest"
)

// newTestStore returns the store a test server runs on: a private in-memory
// SQLite database, a fresh PostgreSQL database when
// OPENCHIME_TEST_POSTGRES_URL is set, so that the whole wire suite also runs
// on PostgreSQL (bash .ci/postgres.sh), or a log store in a temporary
// directory when OPENCHIME_TEST_STORE=log (.ci/run runs the suite so too).
// Every transaction runs twice, the first time rolled back, as a PostgreSQL
// retry would: a Service callback that keeps state from one run to the next
// fails the tests.
func newTestStore(tb testing.TB) openchime.Store {
	tb.Helper()
	if postgrestest.Enabled() {
		return storetest.RetryEveryTx(postgrestest.MustOpen(tb))
	}
	if os.Getenv("OPENCHIME_TEST_STORE") == "log" {
		// A small checkpoint threshold, so that snapshots, compaction and
		// cold segments are exercised too.
		store, err := logstore.OpenOptions(tb.TempDir(), logstore.Options{NoSync: true, CheckpointBytes: 64 << 10})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { store.Close() })
		return storetest.RetryEveryTx(store)
	}
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return storetest.RetryEveryTx(store)
}
