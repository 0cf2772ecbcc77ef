package winloss

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tandemhq/tandem"
	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds the taxonomy, interview and post-mortem files Decode
// reads: real ones are a few kilobytes.
const MaxFileSize = 1 << 20

// maxDepth bounds nesting: deeper input is a mistake or an attack.
const maxDepth = 32

// Decode reads one YAML or JSON document (JSON is YAML) into v, strictly:
// unknown fields, a second document and trailing data are refused, so a
// misspelt key is reported instead of silently ignored. name is the file
// name used in messages. Field names are the JSON names of v's type.
// Errors are tandem.EINVALID; Decode never panics.
func Decode(name string, data []byte, v any) error {
	if len(data) > MaxFileSize {
		return tandem.Errorf(tandem.EINVALID, "%s is %d bytes; files are limited to %d", name, len(data), MaxFileSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return tandem.Errorf(tandem.EINVALID, "%s is empty", name)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var node yaml.Node
	if err := dec.Decode(&node); err != nil {
		return tandem.Errorf(tandem.EINVALID, "%s: %s", name, yamlMessage(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return tandem.Errorf(tandem.EINVALID, "%s: more than one document", name)
	}
	generic, err := plain(&node, 0)
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "%s: %s", name, err.Error())
	}
	js, err := json.Marshal(generic)
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "%s: %s", name, err.Error())
	}
	jd := json.NewDecoder(bytes.NewReader(js))
	jd.DisallowUnknownFields()
	if err := jd.Decode(v); err != nil {
		return tandem.Errorf(tandem.EINVALID, "%s: %s", name, strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func yamlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// plain turns a YAML node into values encoding/json can write: mappings
// with string keys, sequences, and scalars as YAML resolved them.
// Aliases are refused (they are how small files grow huge).
func plain(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: nested more than %d levels", n.Line, maxDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return plain(n.Content[0], depth+1)
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: aliases (*name) are not read", n.Line)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a key must be a plain value", k.Line)
			}
			if k.Value == "<<" {
				return nil, fmt.Errorf("line %d: merge keys (<<) are not read", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice", k.Line, k.Value)
			}
			x, err := plain(val, depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = x
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			x, err := plain(c, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, x)
		}
		return s, nil
	case yaml.ScalarNode:
		var x any
		if err := n.Decode(&x); err != nil {
			return nil, fmt.Errorf("line %d: %s", n.Line, yamlMessage(err))
		}
		switch t := x.(type) {
		case map[string]any, []any:
			return nil, fmt.Errorf("line %d: unexpected value", n.Line)
		case float64:
			if t != t || t > 1e300 || t < -1e300 {
				return nil, fmt.Errorf("line %d: %s is not a number JSON can hold", n.Line, n.Value)
			}
		case nil, string, bool, int, int64, uint64:
		default:
			// Timestamps and binary: keep the text as written.
			return n.Value, nil
		}
		return x, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// ParseTaxonomy reads a taxonomy file (YAML or JSON) and validates it
// against k, returning every problem at once.
func ParseTaxonomy(name string, data []byte, k Known) (tandem.Taxonomy, error) {
	var t tandem.Taxonomy
	if err := Decode(name, data, &t); err != nil {
		return t, err
	}
	return t, Validate(t, k)
}
