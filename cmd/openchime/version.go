package main

import (
	"fmt"
	"runtime/debug"
)

// Version is set at build time with -ldflags "-X main.Version=..."; left
// empty, the version comes from the build info (buildVersion).
var Version = ""

// build is what a binary knows of its own build.
type build struct {
	Version  string // -ldflags -X main.Version, else the module version
	Revision string // vcs.revision, when the go command stamped it
	Time     string // vcs.time
	Modified bool   // vcs.modified: built with uncommitted changes
}

// buildVersion reads the build of this binary: `go install
// .../cmd/openchime@v1.2.3` records v1.2.3; `go build` in a clone records a
// pseudo-version and the VCS revision; `go run` may record neither.
func buildVersion() build {
	info, _ := debug.ReadBuildInfo()
	return buildOf(info, Version)
}

// buildOf is buildVersion of given build info and -X override.
func buildOf(info *debug.BuildInfo, override string) build {
	var b build
	if info != nil {
		b.Version = info.Main.Version
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if override != "" {
		b.Version = override
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

// String is the line `openchime version` prints, e.g.
// "openchime v1.2.3 (revision 7c04587abcde, 2030-01-02T03:04:05Z, modified)".
func (b build) String() string {
	s := "openchime " + b.Version
	var extra []string
	if b.Revision != "" {
		extra = append(extra, "revision "+b.Revision)
	}
	if b.Time != "" {
		extra = append(extra, b.Time)
	}
	if b.Modified {
		extra = append(extra, "modified")
	}
	for i, e := range extra {
		if i == 0 {
			s += " ("
		} else {
			s += ", "
		}
		s += e
	}
	if len(extra) > 0 {
		s += ")"
	}
	return s
}

func printVersion() {
	fmt.Println(buildVersion())
}
