package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// maxTermText bounds a definition or formula.
const maxTermText = 4000

// Term is a shared definition.
type Term struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Definition string `json:"definition"`
	Formula    string `json:"formula"`
	Owner      string `json:"owner"`
}

// termOf reads a glossary record.
func termOf(e *tandem.Entity, r tandem.Record) Term {
	return Term{ID: text(e, r, "id"), Name: text(e, r, "name"), Definition: text(e, r, "definition"),
		Formula: text(e, r, "formula"), Owner: text(e, r, "owner")}
}

// Glossary lists every term by name.
func (s *Service) Glossary(ctx context.Context) ([]Term, error) {
	e, err := s.cat.Entity("glossary")
	if err != nil {
		return nil, err
	}
	recs, err := s.all(ctx, "glossary")
	if err != nil {
		return nil, err
	}
	out := make([]Term, 0, len(recs))
	for _, r := range recs {
		out = append(out, termOf(e, r))
	}
	slices.SortFunc(out, func(a, b Term) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Terms returns the glossary terms whose names match any of names
// (tandem.NormalizeName), keyed by the name asked for: what pages show
// beside a metric.
func (s *Service) Terms(ctx context.Context, names ...string) (map[string]Term, error) {
	terms, err := s.Glossary(ctx)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]Term, len(terms))
	for _, t := range terms {
		byName[tandem.NormalizeName(t.Name)] = t
	}
	out := make(map[string]Term)
	for _, n := range names {
		if t, ok := byName[tandem.NormalizeName(n)]; ok {
			out[n] = t
		}
	}
	return out, nil
}

// checkTermText rejects overlong or invalid text.
func checkTermText(what, s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxTermText {
		return "", tandem.Errorf(tandem.EINVALID, "%s must be valid text of at most %d characters", what, maxTermText)
	}
	return s, nil
}

// PutTerm creates a term (t.ID empty: derived from the name) or replaces
// the term with t.ID, recording before and after in the audit log in the
// same transaction. Name is required; an ID that does not exist is
// ENOTFOUND; a new term whose name is taken is ECONFLICT.
func (s *Service) PutTerm(ctx context.Context, a Actor, t Term) (Term, error) {
	e, err := s.cat.Entity("glossary")
	if err != nil {
		return Term{}, err
	}
	if t.Name, err = checkName("name", t.Name); err != nil {
		return Term{}, err
	}
	for _, f := range []struct {
		what string
		v    *string
	}{{"definition", &t.Definition}, {"formula", &t.Formula}, {"owner", &t.Owner}} {
		if *f.v, err = checkTermText(f.what, *f.v); err != nil {
			return Term{}, err
		}
	}
	var before any
	action := "glossary.create"
	if t.ID != "" {
		old, err := s.store.Get(ctx, "glossary", t.ID)
		if err != nil {
			return Term{}, err
		}
		before = termOf(e, old)
		action = "glossary.update"
	}
	terms, err := s.Glossary(ctx)
	if err != nil {
		return Term{}, err
	}
	if t.ID == "" {
		t.ID = termID(t.Name)
	}
	for _, o := range terms {
		if before == nil && o.ID == t.ID || o.ID != t.ID && tandem.NormalizeName(o.Name) == tandem.NormalizeName(t.Name) {
			return Term{}, tandem.Errorf(tandem.ECONFLICT, "the glossary already has a term %q (id %s)", o.Name, o.ID)
		}
	}
	rec := tandem.Record{Values: make([]any, len(e.Columns))}
	for i, c := range e.Columns {
		var v string
		switch c.Name {
		case "id":
			v = t.ID
		case "name":
			v = t.Name
		case "definition":
			v = t.Definition
		case "formula":
			v = t.Formula
		case "owner":
			v = t.Owner
		}
		if v != "" {
			rec.Values[i] = v
		}
	}
	l, err := s.store.Begin(ctx)
	if err != nil {
		return Term{}, fmt.Errorf("glossary: %w", err)
	}
	defer l.Rollback()
	if err := l.Put(ctx, e, rec); err != nil {
		return Term{}, fmt.Errorf("glossary: %w", err)
	}
	l.Audit(s.entry(a, action, "glossary:"+t.ID, before, t))
	if _, err := l.Commit(ctx); err != nil {
		return Term{}, fmt.Errorf("glossary: %w", err)
	}
	return t, nil
}

// termID derives a term's id from its name: lower case, words joined by
// hyphens, other characters dropped.
func termID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	return cmp.Or(strings.TrimSuffix(b.String(), "-"), "term")
}
