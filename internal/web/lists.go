package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
)

// defaultPageSize is the number of rows a list page shows unless the
// visitor picks another of pageSizes.
const defaultPageSize = 50

var pageSizes = []int{25, 50, 100, 200}

// maxNameLookups bounds how many referenced rows a list page reads to show
// names instead of ids.
const maxNameLookups = 200

// listCol is one column of a list page.
type listCol struct {
	Name  string // canonical column
	Label string
	// Kind says how to render: "title" (the row's name, linked to its
	// page), "ref" (a referenced row's name, linked when it has a page),
	// "badge", "money", "num", or "" for text.
	Kind string
	// Sort is true when the column header sorts the list.
	Sort bool
}

// filterSpec is one filter of a list page: an equality filter on a column,
// a select when Options is set, else a text input.
type filterSpec struct {
	Name, Label string
	Options     []string
}

// listSpec describes a list page.
type listSpec struct {
	Entity, Path, Title, Active, Intro string
	Cols                               []listCol
	Filters                            []filterSpec
	PageSize                           int
}

// colHead is a rendered column header.
type colHead struct {
	Label string
	Href  string // sort link; empty when the column does not sort
	// Sorted is "ascending" or "descending" when the list is sorted by
	// this column (aria-sort), else "".
	Sorted string
	Num    bool
}

// cell is a rendered table cell.
type cell struct {
	Text  string
	Href  string
	Badge string // badge CSS class when the cell is a badge
	Num   bool
	Muted bool
}

// filterField is a rendered filter control.
type filterField struct {
	Name, Label, Value string
	Options            []string
}

// pager is the pagination of a list: rows From–To of Total.
type pager struct {
	From, To, Total int
	Prev, Next      string
	Limit           int
	Sizes           []int
}

// listPage is the data of a list page.
type listPage struct {
	Spec    listSpec
	Heads   []colHead
	Rows    [][]cell
	Filters []filterField
	Sort    string
	Pager   pager
	// Filtered is true when any filter is set.
	Filtered bool
	Clear    string
}

// listQuery reads a list page's query: the spec's filters, sort, limit and
// offset; empty values are dropped, so an empty filter means "any".
func listQuery(q url.Values, spec listSpec) url.Values {
	out := url.Values{}
	for _, f := range spec.Filters {
		if v := strings.TrimSpace(q.Get(f.Name)); v != "" {
			out.Set(f.Name, v)
		}
	}
	for _, k := range []string{"sort", "limit", "offset"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			out.Set(k, v)
		}
	}
	if out.Get("limit") == "" {
		n := spec.PageSize
		if n == 0 {
			n = defaultPageSize
		}
		out.Set("limit", strconv.Itoa(n))
	}
	return out
}

// link returns path with the query q changed by set (a value "" deletes).
func link(path string, q url.Values, set ...string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = slices.Clone(v)
	}
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			c.Del(set[i])
		} else {
			c.Set(set[i], set[i+1])
		}
	}
	if len(c) == 0 {
		return path
	}
	return path + "?" + c.Encode()
}

// list renders a list page of spec's entity.
func (s *Site) list(w http.ResponseWriter, r *http.Request, spec listSpec) error {
	p, err := require(r, auth.EntityPerm(spec.Entity))
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := listQuery(r.URL.Query(), spec)
	res, err := s.svc.List(ctx, spec.Entity, q)
	if err != nil {
		return err
	}
	d := listPage{Spec: spec, Sort: q.Get("sort")}
	for _, f := range spec.Filters {
		v := q.Get(f.Name)
		d.Filtered = d.Filtered || v != ""
		d.Filters = append(d.Filters, filterField{Name: f.Name, Label: f.Label, Value: v, Options: f.Options})
	}
	d.Clear = link(spec.Path, url.Values{"limit": {q.Get("limit")}})
	sortCol, desc := strings.TrimPrefix(d.Sort, "-"), strings.HasPrefix(d.Sort, "-")
	for _, c := range spec.Cols {
		h := colHead{Label: c.Label, Num: c.Kind == "money" || c.Kind == "num"}
		if c.Sort {
			next := c.Name
			if sortCol == c.Name {
				if desc {
					h.Sorted = "descending"
				} else {
					h.Sorted = "ascending"
					next = "-" + c.Name
				}
			}
			h.Href = link(spec.Path, q, "sort", next, "offset", "")
		}
		d.Heads = append(d.Heads, h)
	}
	names := s.refNames(ctx, p, spec, res.Page.Records, res.Entity)
	for _, record := range res.Page.Records {
		x := rec{e: res.Entity, r: record}
		row := make([]cell, 0, len(spec.Cols))
		for _, c := range spec.Cols {
			row = append(row, s.listCell(p, spec, x, c, names))
		}
		d.Rows = append(d.Rows, row)
	}
	limit, offset := res.Query.Limit, res.Query.Offset
	if limit <= 0 {
		limit, _ = strconv.Atoi(q.Get("limit"))
	}
	d.Pager = pager{Total: res.Page.Total, Limit: limit, Sizes: pageSizes}
	if len(res.Page.Records) > 0 {
		d.Pager.From, d.Pager.To = offset+1, offset+len(res.Page.Records)
	}
	if offset > 0 {
		prev := max(offset-limit, 0)
		d.Pager.Prev = link(spec.Path, q, "offset", strconv.Itoa(prev))
		if prev == 0 {
			d.Pager.Prev = link(spec.Path, q, "offset", "")
		}
	}
	if limit > 0 && offset+limit < res.Page.Total {
		d.Pager.Next = link(spec.Path, q, "offset", strconv.Itoa(offset+limit))
	}
	v := s.newView(r, spec.Title, spec.Active)
	v.Data = d
	return s.render(w, http.StatusOK, "list", v)
}

// pageOf is the path of a record's page, or "" when its entity has none.
func pageOf(entity, id string) string {
	switch entity {
	case "deals", "accounts", "features":
		return "/" + entity + "/" + url.PathEscape(id)
	}
	return ""
}

// listCell renders one cell of a list row.
func (s *Site) listCell(p *auth.Principal, spec listSpec, x rec, c listCol, names map[string]map[string]string) cell {
	switch c.Kind {
	case "title":
		href := pageOf(spec.Entity, x.ID())
		if spec.Entity == "features" && !p.Can(auth.PermReportsRead) {
			href = ""
		}
		return cell{Text: x.Title(), Href: href}
	case "ref":
		id := x.Text(c.Name)
		if id == "" {
			return cell{}
		}
		col, _ := x.e.Column(c.Name)
		ref := ""
		if col != nil {
			ref = col.Ref
		}
		text := id
		if n := names[ref][id]; n != "" {
			text = n
		}
		return cell{Text: text, Href: pageOf(ref, id)}
	case "badge":
		t := x.Text(c.Name)
		if t == "" {
			return cell{}
		}
		return cell{Text: t, Badge: badgeClass(t)}
	case "money":
		return cell{Text: x.Money(c.Name), Num: true}
	case "num":
		return cell{Text: x.Text(c.Name), Num: true}
	}
	return cell{Text: x.Text(c.Name)}
}

// refNames reads the names of the rows that the page's "ref" columns point
// to, so lists show "Acme" rather than "a1". Lookups that fail leave the id.
func (s *Site) refNames(ctx context.Context, p *auth.Principal, spec listSpec, recs []tandem.Record, e *tandem.Entity) map[string]map[string]string {
	out := map[string]map[string]string{}
	lookups := 0
	for _, c := range spec.Cols {
		if c.Kind != "ref" {
			continue
		}
		col, _ := e.Column(c.Name)
		if col == nil || col.Ref == "" || !p.Can(auth.EntityPerm(col.Ref)) {
			continue
		}
		m := out[col.Ref]
		if m == nil {
			m = map[string]string{}
			out[col.Ref] = m
		}
		for _, r := range recs {
			id := rec{e: e, r: r}.Text(c.Name)
			if _, done := m[id]; id == "" || done || lookups >= maxNameLookups {
				continue
			}
			lookups++
			m[id] = ""
			ref, err := s.svc.Store().Get(ctx, col.Ref, id)
			if err != nil {
				continue
			}
			refEnt, err := s.svc.Catalog().Entity(col.Ref)
			if err != nil {
				continue
			}
			m[id] = rec{e: refEnt, r: ref}.Title()
		}
	}
	return out
}

// handleDeals lists deals with filters, sort and pages.
func (s *Site) handleDeals(w http.ResponseWriter, r *http.Request) error {
	return s.list(w, r, listSpec{
		Entity: "deals", Path: "/deals", Title: "Deals", Active: "deals",
		Intro: "Every deal in the store. Click a column header to sort; filters match exact values.",
		Cols: []listCol{
			{Name: "name", Label: "Deal", Kind: "title", Sort: true},
			{Name: "account_id", Label: "Account", Kind: "ref", Sort: true},
			{Name: "rep_id", Label: "Rep", Kind: "ref", Sort: true},
			{Name: "stage", Label: "Stage", Sort: true},
			{Name: "outcome", Label: "Outcome", Kind: "badge", Sort: true},
			{Name: "type", Label: "Type", Sort: true},
			{Name: "source", Label: "Source", Sort: true},
			{Name: "amount", Label: "Amount", Kind: "money", Sort: true},
			{Name: "created", Label: "Created", Sort: true},
			{Name: "closed", Label: "Closed", Sort: true},
		},
		Filters: []filterSpec{
			{Name: "outcome", Label: "Outcome", Options: []string{"won", "lost", "open"}},
			{Name: "type", Label: "Type", Options: []string{"new", "expansion", "renewal"}},
			{Name: "stage", Label: "Stage"},
			{Name: "source", Label: "Source"},
			{Name: "rep_id", Label: "Rep id"},
			{Name: "account_id", Label: "Account id"},
		},
	})
}

// handleAccounts lists accounts with filters, sort and pages.
func (s *Site) handleAccounts(w http.ResponseWriter, r *http.Request) error {
	return s.list(w, r, listSpec{
		Entity: "accounts", Path: "/accounts", Title: "Accounts", Active: "accounts",
		Intro: "Customer and prospect companies. Click a column header to sort; filters match exact values.",
		Cols: []listCol{
			{Name: "name", Label: "Account", Kind: "title", Sort: true},
			{Name: "industry", Label: "Industry", Sort: true},
			{Name: "segment", Label: "Segment", Sort: true},
			{Name: "region", Label: "Region", Sort: true},
			{Name: "employees", Label: "Employees", Kind: "num", Sort: true},
			{Name: "revenue", Label: "Revenue", Kind: "num", Sort: true},
			{Name: "parent_id", Label: "Parent", Kind: "ref", Sort: true},
			{Name: "created", Label: "Created", Sort: true},
		},
		Filters: []filterSpec{
			{Name: "segment", Label: "Segment"},
			{Name: "industry", Label: "Industry"},
			{Name: "region", Label: "Region"},
			{Name: "parent_id", Label: "Parent id"},
		},
	})
}

// handleFeatures lists the feature catalog.
func (s *Site) handleFeatures(w http.ResponseWriter, r *http.Request) error {
	return s.list(w, r, listSpec{
		Entity: "features", Path: "/features", Title: "Features", Active: "features",
		Intro: "The feature catalog with lifecycle status and horizon (H1: 0–12 months, H2: 12–36, H3: 36+). Open a feature for its halo: how deals and customers with it compare with those without.",
		Cols: []listCol{
			{Name: "name", Label: "Feature", Kind: "title", Sort: true},
			{Name: "product_id", Label: "Product", Kind: "ref", Sort: true},
			{Name: "status", Label: "Status", Kind: "badge", Sort: true},
			{Name: "horizon", Label: "Horizon", Sort: true},
			{Name: "released_at", Label: "Released", Sort: true},
			{Name: "planned_at", Label: "Planned", Sort: true},
		},
		Filters: []filterSpec{
			{Name: "status", Label: "Status", Options: []string{"idea", "planned", "beta", "ga", "deprecated"}},
			{Name: "horizon", Label: "Horizon", Options: []string{"H1", "H2", "H3"}},
			{Name: "product_id", Label: "Product id"},
		},
		PageSize: 100,
	})
}
