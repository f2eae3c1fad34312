package fixturefile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/openchime/openchime/internal/fixturefile"
)

func TestRead(t *testing.T) {
	fromJSON, err := fixturefile.Read("../../examples/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := fixturefile.Read("../../examples/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromJSON, fromYAML); diff != "" {
		t.Fatalf("examples/fixture.yaml differs from examples/fixture.json (-json +yaml):\n%s", diff)
	}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown.yaml": "Accounts:\n  - Name: A\n    Colour: blue\n",
		"broken.yml":   "Accounts: [\n",
		"two.yaml":     "Accounts: []\n---\nAccounts: []\n",
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o644)
		if _, err := fixturefile.Read(path); err == nil {
			t.Errorf("Read(%s) accepted %q", name, body)
		}
	}
}

// TestYAMLToJSON_AliasBomb: nine levels of ten aliases each would expand to
// 10^9 scalars; the conversion refuses it instead of exhausting memory.
func TestYAMLToJSON_AliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	out, err := fixturefile.YAMLToJSON([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("YAMLToJSON of an alias bomb: %d bytes, err=%v; want a refusal", len(out), err)
	}
}
