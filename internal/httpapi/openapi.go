package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
)

// openAPIFiles is the OpenAPI 3 description of the JSON API, written by
// hand and checked against the route table and real responses by
// openapi_test.go: openapi.json holds the document and the shared
// components; each module adds its paths and schemas in an
// openapi_<module>.json fragment of the same shape, so modules can grow
// without editing one large file.
//
//go:embed openapi.json openapi_*.json
var openAPIFiles embed.FS

// openAPIDocument merges openapi.json with the fragments, in name order.
// A path or schema defined twice is an error: one of the two would be
// lost.
func openAPIDocument() ([]byte, error) {
	var doc map[string]any
	base, err := openAPIFiles.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	names, err := fs.Glob(openAPIFiles, "openapi_*.json")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		b, err := openAPIFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var frag struct {
			Paths      map[string]json.RawMessage `json:"paths"`
			Components struct {
				Schemas map[string]json.RawMessage `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := mergeInto(doc, []string{"paths"}, frag.Paths, name); err != nil {
			return nil, err
		}
		if err := mergeInto(doc, []string{"components", "schemas"}, frag.Components.Schemas, name); err != nil {
			return nil, err
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// mergeInto adds entries under the object at path of doc, refusing a key
// that is already there.
func mergeInto(doc map[string]any, path []string, entries map[string]json.RawMessage, file string) error {
	obj := doc
	for _, k := range path {
		next, ok := obj[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			obj[k] = next
		}
		obj = next
	}
	for k, v := range entries {
		if _, dup := obj[k]; dup {
			return fmt.Errorf("%s: %v %q is already defined", file, path, k)
		}
		var val any
		if err := json.Unmarshal(v, &val); err != nil {
			return fmt.Errorf("%s: %v %q: %w", file, path, k, err)
		}
		obj[k] = val
	}
	return nil
}
