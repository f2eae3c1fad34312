package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/fixture"
	"github.com/openchime/openchime/snapshot"
)

// The testing routes of the control plane make runs reproducible: the clock
// (set, freeze, advance, release), fixtures (POST /_openchime/seed) and the
// export and import of the whole state (/_openchime/snapshot).

// maxSnapshotBytes caps a snapshot upload; a snapshot of a million users is
// about 500 MB, well past what a test server holds.
const maxSnapshotBytes = 256 << 20

func (s *Server) handleTestingRoutes() {
	s.HandleControl("GET /_openchime/clock", http.HandlerFunc(s.getClock))
	s.HandleControl("POST /_openchime/clock", http.HandlerFunc(s.setClock))
	s.HandleControl("POST /_openchime/seed", http.HandlerFunc(s.seed))
	s.HandleControl("GET /_openchime/snapshot", http.HandlerFunc(s.getSnapshot))
	s.HandleControl("PUT /_openchime/snapshot", http.HandlerFunc(s.putSnapshot))
}

// ClockState is the body of GET /_openchime/clock and the answer of POST.
type ClockState struct {
	Time   Timestamp
	Frozen bool
}

// ClockChange is the body of POST /_openchime/clock. It sets Time and
// Frozen, then applies Advance; absent members change nothing.
type ClockChange struct {
	Time    *Timestamp // set the clock (a running clock runs on from there)
	Frozen  *bool      // true freezes the clock, false lets it run again
	Advance string     // a Go duration such as "90s" or "36h"
}

func (s *Server) clock(w http.ResponseWriter) *openchime.ControlClock {
	if s.Clock == nil {
		WriteError(w, openchime.Errorf(openchime.NotImplemented, "This server's clock cannot be controlled: its Service clock is not an openchime.ControlClock."))
	}
	return s.Clock
}

func (s *Server) getClock(w http.ResponseWriter, r *http.Request) {
	if c := s.clock(w); c != nil {
		writeJSON(w, http.StatusOK, ClockState{Time: Timestamp(c.Now()), Frozen: c.Frozen()})
	}
}

func (s *Server) setClock(w http.ResponseWriter, r *http.Request) {
	c := s.clock(w)
	if c == nil {
		return
	}
	var in ClockChange
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	var advance time.Duration
	if in.Advance != "" {
		d, err := time.ParseDuration(in.Advance)
		if err != nil {
			WriteError(w, openchime.Errorf(openchime.BadRequest, "Advance %q is not a duration such as \"90s\", \"15m\" or \"36h\".", in.Advance))
			return
		}
		if d < 0 {
			WriteError(w, openchime.Errorf(openchime.BadRequest, "Advance %q is negative; to move the clock back, set Time.", in.Advance))
			return
		}
		advance = d
	}
	// A time past year 9999 has no RFC 3339 form: every later write would
	// fail to encode its timestamps (500s), so refuse it before any change.
	to := c.Now()
	if in.Time != nil {
		to = time.Time(*in.Time)
	}
	if to = to.Add(advance); to.Year() > 9999 {
		WriteError(w, openchime.Errorf(openchime.BadRequest, "The clock would stand at %s, past the last time a timestamp can show (9999-12-31T23:59:59.999Z); advance it less.", to.UTC().Format(time.RFC3339)))
		return
	}
	// Freezing goes before setting so that {"Time":T,"Frozen":true} stops
	// the clock exactly at T; unfreezing goes after, so the clock runs on
	// from T.
	if in.Frozen != nil && *in.Frozen {
		c.Freeze()
	}
	if in.Time != nil {
		c.Set(time.Time(*in.Time))
	}
	if in.Frozen != nil && !*in.Frozen {
		c.Unfreeze()
	}
	if advance > 0 {
		c.Advance(advance)
	}
	writeJSON(w, http.StatusOK, ClockState{Time: Timestamp(c.Now()), Frozen: c.Frozen()})
}

// SeedAccount is an account of the answer of POST /_openchime/seed.
type SeedAccount struct {
	*Account
	Users []*User
}

func (s *Server) seed(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, DefaultMaxBodyBytes*16)
	if err != nil {
		WriteError(w, err)
		return
	}
	if err := checkUTF8(body); err != nil { // JSON and YAML alike
		WriteError(w, err)
		return
	}
	if body, err = fixtureJSON(r, body); err != nil {
		WriteError(w, err)
		return
	}
	f, err := fixture.Parse(body)
	if err != nil {
		WriteError(w, err)
		return
	}
	res, err := fixture.Load(r.Context(), s.Service, f)
	if err != nil {
		WriteError(w, err)
		return
	}
	out := struct {
		Created, Unchanged int
		Accounts           []SeedAccount
	}{Created: res.Created, Unchanged: res.Unchanged, Accounts: make([]SeedAccount, len(res.Accounts))}
	for i, la := range res.Accounts {
		sa := SeedAccount{Account: toAccount(la.Account), Users: make([]*User, len(la.Users))}
		for j, u := range la.Users {
			sa.Users[j] = toUser(u, true)
		}
		out.Accounts[i] = sa
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getSnapshot(w http.ResponseWriter, r *http.Request) {
	snap, err := snapshot.Take(r.Context(), s.Service.Store)
	if err != nil {
		WriteError(w, err)
		return
	}
	b, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(append(b, '\n'))
}

func (s *Server) putSnapshot(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, maxSnapshotBytes)
	if err != nil {
		WriteError(w, err)
		return
	}
	snap, err := snapshot.Parse(body)
	if err != nil {
		WriteError(w, err)
		return
	}
	if err := snapshot.Restore(r.Context(), s.Service.Store, snap); err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"Accounts": len(snap.Accounts), "Users": len(snap.Users), "Resources": len(snap.Resources)})
}
