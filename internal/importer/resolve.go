package importer

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tandemhq/tandem"
)

// refIndex resolves references to one entity: by exact id, and for named
// entities by id, name or alias folded with tandem.NormalizeName.
type refIndex struct {
	entity string
	named  bool
	ids    map[string]struct{}
	folded map[string][]string // folded id, name or alias → ids
}

func newRefIndex(ctx context.Context, look tandem.Lookup, e *tandem.Entity) (*refIndex, error) {
	x := &refIndex{entity: e.Name, named: e.Named, folded: map[string][]string{}}
	if e.Named {
		rows, err := look.Names(ctx, e.Name)
		if err != nil {
			return nil, fmt.Errorf("load %s names: %w", e.Name, err)
		}
		x.ids = make(map[string]struct{}, len(rows))
		for _, r := range rows {
			x.add(r.ID, r.Name, r.Aliases...)
		}
		return x, nil
	}
	ids, err := look.IDs(ctx, e.Name)
	if err != nil {
		return nil, fmt.Errorf("load %s ids: %w", e.Name, err)
	}
	x.ids = ids
	return x, nil
}

// add makes an id (and its name and aliases) resolvable.
func (x *refIndex) add(id, name string, aliases ...string) {
	x.ids[id] = struct{}{}
	if !x.named {
		return
	}
	for _, n := range append([]string{id, name}, aliases...) {
		k := tandem.NormalizeName(n)
		if k == "" {
			continue
		}
		if !slices.Contains(x.folded[k], id) {
			x.folded[k] = append(x.folded[k], id)
		}
	}
}

// resolve returns the id a reference names. found is false when nothing
// matches; an error means the name is ambiguous.
func (x *refIndex) resolve(v string) (id string, found bool, err error) {
	if _, ok := x.ids[v]; ok {
		return v, true, nil
	}
	if !x.named {
		return "", false, nil
	}
	ids := x.folded[tandem.NormalizeName(v)]
	switch len(ids) {
	case 0:
		return "", false, nil
	case 1:
		return ids[0], true, nil
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	return "", false, fmt.Errorf("%q matches several %s: %s", v, x.entity, strings.Join(sorted, ", "))
}
