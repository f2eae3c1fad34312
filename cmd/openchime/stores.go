package main

import (
	"fmt"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/logstore"
	"github.com/openchime/openchime/nostore"
)

// dbUsage is the help of every command's --db flag: they all open the
// store with OpenStore, so they all accept the same values.
const dbUsage = "database: a SQLite file path (or sqlite:PATH), :memory:, log:DIR for the log-structured store, or a postgres:// URL (env OPENCHIME_DB)"

// logGCPercent is the GOGC the serve command uses with the log store unless
// the GOGC environment variable is set.
const logGCPercent = 25

// openNamedStore opens the stores named by a scheme other than a plain path
// (which stays SQLite, the zero-setup default):
//
//	log:DIR[?sync=off][&checkpoint=BYTES]  the log-structured store in DIR
//	nostore:[?users=N]                     stores nothing; benchmarks only
//
// sqlite:PATH is handled by the caller. ok is false for any other value.
func openNamedStore(db string) (s openchime.Store, ok bool, err error) {
	scheme, rest, found := strings.Cut(db, ":")
	if !found {
		return nil, false, nil
	}
	switch scheme {
	case "log":
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return nil, true, fmt.Errorf("--db %q: log: needs a directory, e.g. log:./openchime-data", db)
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return nil, true, fmt.Errorf("--db %q: %w", db, err)
		}
		var opts logstore.Options
		switch q.Get("sync") {
		case "", "full":
		case "off":
			opts.NoSync = true
		default:
			return nil, true, fmt.Errorf("--db %q: sync must be full or off", db)
		}
		if v := q.Get("checkpoint"); v != "" {
			if opts.CheckpointBytes, err = strconv.ParseInt(v, 10, 64); err != nil || opts.CheckpointBytes <= 0 {
				return nil, true, fmt.Errorf("--db %q: checkpoint must be a positive number of bytes", db)
			}
		}
		// The log store keeps every user in the heap, and Go's default
		// GOGC=100 lets the heap grow to twice the live data before a
		// collection. A lower target costs little CPU: the store's memory
		// holds almost no pointers, so a cycle has little to mark.
		gc := logGCPercent
		if os.Getenv("GOGC") != "" {
			gc = debug.SetGCPercent(-1)
		}
		// Loading a snapshot allocates only what the store keeps: collecting
		// meanwhile would mark the growing indexes again and again (most of
		// the start time at 10M users), so the collector waits; the log files
		// read meanwhile (at most about half a snapshot) are freed after.
		debug.SetGCPercent(-1)
		s, err := logstore.OpenOptions(path, opts)
		debug.SetGCPercent(gc)
		return s, true, err
	case "nostore":
		users := 10000
		if _, query, _ := strings.Cut(rest, "?"); query != "" {
			q, err := url.ParseQuery(query)
			if err != nil {
				return nil, true, fmt.Errorf("--db %q: %w", db, err)
			}
			if users, err = strconv.Atoi(q.Get("users")); err != nil || users < 0 {
				return nil, true, fmt.Errorf("--db %q: users must be a number", db)
			}
		}
		return nostore.New(users), true, nil
	}
	return nil, false, nil
}
