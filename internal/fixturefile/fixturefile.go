// Package fixturefile reads fixture files in JSON or YAML for the serve
// command and chimetest. The fixture format itself, and its strict JSON
// decoding, live in package fixture (fixture.Parse); YAML is turned into
// that JSON first.
package fixturefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/fixture"
	"go.yaml.in/yaml/v3"
)

// Read reads and parses the fixture file at path: YAML when its name ends
// in .yaml or .yml, JSON otherwise.
func Read(path string) (*fixture.Fixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		if data, err = YAMLToJSON(data); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	f, err := fixture.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, openchime.ErrorMessage(err))
	}
	return f, nil
}

// YAMLToJSON converts a YAML fixture to the JSON one. Every member of the
// fixture format is a string, so every scalar becomes a JSON string: an
// unquoted AwsAccountId: 123456789012 is read as the id it means, not as a
// number.
func YAMLToJSON(data []byte) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return []byte("{}"), nil
	} else if err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, errors.New("a fixture is one YAML document; this file has more")
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, &doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MaxJSON bounds the JSON a YAML fixture may expand to. yaml.v3 does not
// limit aliases when decoding into a yaml.Node, and each alias is written
// out again whole, so a few hundred bytes of nested aliases ("billion
// laughs") would otherwise expand to gigabytes.
const MaxJSON = 64 << 20

func writeJSON(buf *bytes.Buffer, n *yaml.Node) error {
	if buf.Len() > MaxJSON {
		return fmt.Errorf("line %d: the fixture expands to more than %d MiB of JSON (aliases repeated too often?)", n.Line, MaxJSON>>20)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: a fixture is one YAML document", n.Line)
		}
		return writeJSON(buf, n.Content[0])
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			key, _ := json.Marshal(n.Content[i].Value)
			buf.Write(key)
			buf.WriteByte(':')
			if err := writeJSON(buf, n.Content[i+1]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			buf.WriteString("null")
			return nil
		}
		s, _ := json.Marshal(n.Value)
		buf.Write(s)
	case yaml.AliasNode:
		return writeJSON(buf, n.Alias)
	default:
		return fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}
	return nil
}
