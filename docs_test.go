package openchime_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var (
	// citation is a decision (D13) or open question (Q9) named anywhere in a
	// source file: comments, and the messages of tests that pin them.
	citation = regexp.MustCompile(`\b[DQ][0-9]{1,3}\b`)
	// sectionCitation is a section of the design note: "semantics.md 1.2",
	// "semantics 2.3", "semantics.md section 2".
	sectionCitation = regexp.MustCompile(`\bsemantics(?:\.md)?,? (?:section )?([0-9]+(?:\.[0-9]+)?)\b`)
	// definition is a heading of docs/behaviour.md: "### D13 Tenancy",
	// "### §1.2 Routing".
	definition = regexp.MustCompile(`(?m)^#{2,4} (§?[DQ]?[0-9]+(?:\.[0-9]+)?)\b`)
)

// TestBehaviourDoc_DefinesEveryCitation fails when a Go, shell or Python
// file of the repository cites a decision, open question or section of the
// design note that docs/behaviour.md does not define, so that a reader of
// the repository alone can follow every citation.
func TestBehaviourDoc_DefinesEveryCitation(t *testing.T) {
	doc, err := os.ReadFile("docs/behaviour.md")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range definition.FindAllStringSubmatch(string(doc), -1) {
		defined[m[1]] = true
	}
	if !defined["D1"] {
		t.Fatalf("docs/behaviour.md defines no D1; its headings are not the expected \"### D1 Title\"")
	}

	missing := map[string][]string{}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".sh", ".py":
		default:
			return nil
		}
		if path == "docs_test.go" {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, c := range citation.FindAllString(string(src), -1) {
			if !defined[c] {
				missing[c] = append(missing[c], path)
			}
		}
		for _, m := range sectionCitation.FindAllStringSubmatch(string(src), -1) {
			if c := "§" + m[1]; !defined[c] {
				missing[c] = append(missing[c], path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for c := range missing {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		t.Errorf("%s is cited in %s but not defined in docs/behaviour.md", c, strings.Join(uniq(missing[c]), ", "))
	}
}

func uniq(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
