package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/tandemhq/tandem"
)

// docOf decodes the latest version (or version v) of a document into T,
// returning its version; ENOTFOUND passes through.
func docOf[T any](ctx context.Context, s *Service, kind, id string, v int) (T, int, error) {
	var out T
	d, err := s.store.Doc(ctx, kind, id, v)
	if err != nil {
		return out, 0, err
	}
	if err := json.Unmarshal(d.Body, &out); err != nil {
		return out, 0, fmt.Errorf("%s %q version %d: %w", kind, id, d.Version, err)
	}
	return out, d.Version, nil
}

// docsOf decodes the latest version of every document of a kind (with Ref
// ref when not empty), in id order.
func docsOf[T any](ctx context.Context, s *Service, kind, ref string) ([]T, error) {
	docs, err := s.store.Docs(ctx, kind, ref)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(docs))
	for i, d := range docs {
		if err := json.Unmarshal(d.Body, &out[i]); err != nil {
			return nil, fmt.Errorf("%s %q version %d: %w", kind, d.ID, d.Version, err)
		}
	}
	return out, nil
}

// newDoc is the next version of a document, written now by a.
func (s *Service) newDoc(a Actor, kind, id, ref string, version int, body any, note string) tandem.Doc {
	return tandem.Doc{Kind: kind, ID: id, Version: version, Ref: ref, Body: tandem.AuditJSON(body), Author: a.Name, Note: note, CreatedAt: s.now().UTC()}
}

// slug turns a name into an id: lower-case letters and digits joined by
// single hyphens ("Acme Corp." → "acme-corp").
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// Competitors returns the competitor catalog in id order.
func (s *Service) Competitors(ctx context.Context) ([]tandem.Competitor, error) {
	return docsOf[tandem.Competitor](ctx, s, tandem.DocCompetitor, "")
}
