package fixturefile_test

import (
	"os"
	"path/filepath"
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
