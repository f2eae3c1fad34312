package openchime_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRoot_ImportsOnlyTheStandardLibrary keeps the domain free of
// dependencies: the root package imports the standard library and
// internal/jsonenc (which imports nothing of ours), nothing else.
func TestRoot_ImportsOnlyTheStandardLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if strings.Contains(first, ".") && path != "github.com/openchime/openchime/internal/jsonenc" {
				t.Errorf("%s imports %s; the root package holds the domain and imports the standard library only", name, path)
			}
		}
	}
}

// TestArchitectureDoc_ListsEveryPackage fails when a package of the module
// has no row in docs/architecture.md's package table, so the page stays
// true to the code.
func TestArchitectureDoc_ListsEveryPackage(t *testing.T) {
	doc, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || path == "." {
			return err
		}
		switch d.Name() {
		case ".git", "node_modules", "testdata":
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
			return filepath.SkipDir // another module
		}
		sources, _ := filepath.Glob(filepath.Join(path, "*.go"))
		for _, s := range sources {
			if !strings.HasSuffix(s, "_test.go") {
				if !strings.Contains(string(doc), "\n| `"+filepath.ToSlash(path)+"` |") {
					t.Errorf("package %s has no row in docs/architecture.md's package table", path)
				}
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
