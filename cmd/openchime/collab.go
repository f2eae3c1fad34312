package main

import (
	"flag"
	"fmt"

	openchime "github.com/openchime/openchime"
)

// collabFlags adds the options of the collaboration operations.
func (m *Main) collabFlags(fs *flag.FlagSet) {
	fs.StringVar(&m.Config.Redaction, "redaction", envOr("OPENCHIME_REDACTION", "strict"),
		"strict: redaction needs a message seeded through the control plane; lenient: any message id in an existing room or conversation (env OPENCHIME_REDACTION)")
}

func (c *Config) validateCollab() error {
	switch c.Redaction {
	case "", "strict", "lenient":
		return nil
	}
	return fmt.Errorf("--redaction %q must be strict or lenient", c.Redaction)
}

// applyCollab sets the Service's collaboration options (decision D38).
func (c *Config) applyCollab(svc *openchime.Service) {
	svc.Collab.LenientRedaction = c.Redaction == "lenient"
}
