package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/desk/rules"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
)

// ---- Rules ----

// rulesForm is the rule file an admin is applying.
type rulesForm struct {
	Name, Source, Note string
}

// rulesPage is the data of the approval rules page.
type rulesPage struct {
	// Shown is the version on the page (nil: none applied yet); Active the
	// version in force.
	Shown    *service.RuleSetView
	Active   int
	IsActive bool
	History  []versionRow
	CanAdmin bool
	Form     rulesForm
	// Problems lists every problem of a refused file, file:line:col first.
	Problems []string
}

// handleRules shows the rule set in force (or ?version=N), its history
// and, for desk:admin, the form to apply a new version.
func (s *Site) handleRules(w http.ResponseWriter, r *http.Request) error {
	return s.rules(w, r, http.StatusOK, "", nil, nil)
}

// rules renders the rules page; form, when set, is a refused file shown
// again with its problems.
func (s *Site) rules(w http.ResponseWriter, r *http.Request, status int, problem string, form *rulesForm, problems []string) error {
	p, err := require(r, auth.PermDeskRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	version := 0
	if r.Method == http.MethodGet {
		if version, err = versionParam(r); err != nil {
			return err
		}
	}
	d := rulesPage{CanAdmin: p.Can(auth.PermDeskAdmin), Problems: problems}
	hist, err := s.svc.RulesHistory(ctx)
	if err != nil {
		return err
	}
	if len(hist) > 0 {
		d.Active = hist[0].Version
		if version > d.Active {
			// Rules says "no rule set has been applied" for any missing
			// version; say which versions there are.
			return tandem.Errorf(tandem.ENOTFOUND, "the rule set has versions 1 to %d, not %d", d.Active, version)
		}
		shown, err := s.svc.Rules(ctx, version)
		if err != nil {
			return err
		}
		d.Shown, d.IsActive = shown, shown.Version == d.Active
	} else if version != 0 {
		return tandem.Errorf(tandem.ENOTFOUND, "no rule set has been applied, so there is no version %d", version)
	}
	for _, h := range hist {
		row := versionRow{Version: h.Version, Href: "/desk/rules?version=" + strconv.Itoa(h.Version), Author: h.Author,
			At: dateTimeText(h.CreatedAt), Note: h.Note, Latest: h.Version == d.Active}
		row.Shown = d.Shown != nil && h.Version == d.Shown.Version
		d.History = append(d.History, row)
	}
	switch {
	case form != nil:
		d.Form = *form
	case d.Shown != nil:
		d.Form = rulesForm{Name: d.Shown.Name, Source: d.Shown.Source}
	default:
		d.Form = rulesForm{Name: "rules.yaml"}
	}
	v := s.newView(r, "Approval rules", "desk")
	v.Flash, v.Problem, v.Data = deskFlash(r), problem, d
	return s.render(w, status, "desk_rules", v)
}

// handleRulesApply applies a rule file as the new active version. A file
// with any problem changes nothing: the page lists every problem by file,
// line and column and keeps the text as typed.
func (s *Site) handleRulesApply(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskAdmin); err != nil {
		return err
	}
	f := rulesForm{Name: strings.TrimSpace(r.PostFormValue("name")), Source: r.PostFormValue("source"), Note: strings.TrimSpace(r.PostFormValue("note"))}
	if f.Name == "" {
		f.Name = "rules.yaml"
	}
	// Browsers send textarea lines ending in CRLF; the rule file's lines
	// and columns are those of the text as typed.
	source := strings.ReplaceAll(f.Source, "\r\n", "\n")
	if strings.TrimSpace(source) == "" {
		return s.rules(w, r, http.StatusBadRequest, "the rule file is empty; paste or type a rule set", &f, nil)
	}
	_, err := s.svc.ApplyRules(r.Context(), httpapi.Actor(r), f.Name, []byte(source), f.Note)
	if userProblem(err) {
		var ve *rules.ValidationError
		if errors.As(err, &ve) {
			var problems []string
			for _, p := range ve.Problems {
				problems = append(problems, p.String())
			}
			msg := "the rule set is refused and nothing changed: fix every problem listed below and apply again."
			if len(problems) == 1 {
				msg = "the rule set is refused and nothing changed: fix the problem listed below and apply again."
			}
			return s.rules(w, r, tandem.HTTPStatus(err), msg, &f, problems)
		}
		return s.rules(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f, nil)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/desk/rules?done=rules-applied")
}

// ---- Archetypes ----

// archetypeRow is an archetype in a table.
type archetypeRow struct {
	ID, Href, Name, Status, Badge                 string
	Version                                       int
	Deals, WinRate, Cycle, Renewal, ACV, Products string
	Segment                                       string
	// Meta is the products, segment and version in one line.
	Meta         string
	Insufficient bool
	Existing     int // stored version a proposal would update (derive page)
}

// acvRange renders an archetype's ACV band.
func acvRange(a desk.Archetype) string {
	switch {
	case a.ACVMax > 0:
		return moneyText(a.ACVMin) + "–" + moneyText(a.ACVMax)
	case a.ACVMin > 0:
		return moneyText(a.ACVMin) + " and over"
	}
	return "any"
}

func archetypeRowOf(a desk.Archetype, products map[string]string) archetypeRow {
	var ps []string
	for _, p := range a.Products {
		ps = append(ps, productName(products, p))
	}
	seg := a.Segment
	if seg == "" {
		seg = "any"
	}
	row := archetypeRow{ID: a.ID, Href: archetypeHref(a.ID), Name: a.Name, Status: a.Status, Badge: deskBadge(a.Status), Version: a.Version,
		Deals: strconv.Itoa(a.Deals), WinRate: figureText(a.WinRate), Cycle: figureText(a.MedianCycle), Renewal: figureText(a.RenewalRate),
		ACV: acvRange(a), Products: strings.Join(ps, ", "), Segment: seg, Insufficient: a.WinRate.Insufficient}
	meta := []string{row.Products, "segment " + seg}
	if row.Products == "" {
		meta[0] = "deals that fit no other archetype"
	}
	if a.Version > 0 {
		meta = append(meta, "version "+strconv.Itoa(a.Version))
	}
	row.Meta = strings.Join(meta, " · ")
	return row
}

// archetypesPage is the data of the archetype catalog.
type archetypesPage struct {
	Rows     []archetypeRow
	CanAdmin bool
	Derive   deriveForm
}

// deriveForm holds the options of a derivation.
type deriveForm struct {
	MinN, From, To string
}

// handleArchetypes lists the stored archetypes, with the derive form for
// desk:admin.
func (s *Site) handleArchetypes(w http.ResponseWriter, r *http.Request) error {
	return s.archetypes(w, r, http.StatusOK, "", deriveForm{})
}

func (s *Site) archetypes(w http.ResponseWriter, r *http.Request, status int, problem string, df deriveForm) error {
	p, err := require(r, auth.PermDeskRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	as, err := s.svc.Archetypes(ctx)
	if err != nil {
		return err
	}
	names, _, err := s.names(ctx, "products")
	if err != nil {
		return err
	}
	sortArchetypes(as)
	d := archetypesPage{CanAdmin: p.Can(auth.PermDeskAdmin), Derive: df}
	for _, a := range as {
		d.Rows = append(d.Rows, archetypeRowOf(a, names))
	}
	v := s.newView(r, "Deal archetypes", "desk")
	v.Flash, v.Problem, v.Data = deskFlash(r), problem, d
	return s.render(w, status, "desk_archetypes", v)
}

// sortArchetypes orders accepted archetypes first, then by deals, most
// first, then id.
func sortArchetypes(as []desk.Archetype) {
	rank := map[string]int{desk.StatusAccepted: 0, desk.StatusProposed: 1}
	slices.SortStableFunc(as, func(a, b desk.Archetype) int {
		ra, oka := rank[a.Status]
		rb, okb := rank[b.Status]
		if !oka {
			ra = 2
		}
		if !okb {
			rb = 2
		}
		if ra != rb {
			return ra - rb
		}
		if a.Deals != b.Deals {
			return b.Deals - a.Deals
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// deriveOptions reads the derive form.
func deriveOptions(r *http.Request) (deriveForm, desk.DeriveOptions, error) {
	df := deriveForm{MinN: strings.TrimSpace(r.PostFormValue("min_n")), From: strings.TrimSpace(r.PostFormValue("from")),
		To: strings.TrimSpace(r.PostFormValue("to"))}
	minN := 0
	if df.MinN != "" {
		n, err := strconv.Atoi(df.MinN)
		if err != nil {
			return df, desk.DeriveOptions{}, tandem.Errorf(tandem.EINVALID, "min_n: %q is not a whole number", df.MinN)
		}
		minN = n
	}
	opts, err := service.DeriveOptions(minN, df.From, df.To)
	return df, opts, err
}

// derivePage is the data of the proposals page.
type derivePage struct {
	Form deriveForm
	Rows []archetypeRow
}

// handleDerive proposes archetypes from the closed deals and shows them
// with forms to accept them; nothing is stored until one is accepted.
func (s *Site) handleDerive(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskAdmin); err != nil {
		return err
	}
	ctx := r.Context()
	df, opts, err := deriveOptions(r)
	if userProblem(err) {
		return s.archetypes(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), df)
	}
	if err != nil {
		return err
	}
	props, err := s.svc.DeriveArchetypes(ctx, opts)
	if err != nil {
		return err
	}
	stored, err := s.storedVersions(r)
	if err != nil {
		return err
	}
	names, _, err := s.names(ctx, "products")
	if err != nil {
		return err
	}
	d := derivePage{Form: df}
	for _, a := range props {
		row := archetypeRowOf(a, names)
		row.Existing = stored[a.ID].Version
		d.Rows = append(d.Rows, row)
	}
	v := s.newView(r, "Proposed archetypes", "desk")
	v.Data = d
	return s.render(w, http.StatusOK, "desk_derive", v)
}

// storedVersions returns the stored archetypes by id.
func (s *Site) storedVersions(r *http.Request) (map[string]desk.Archetype, error) {
	as, err := s.svc.Archetypes(r.Context())
	if err != nil {
		return nil, err
	}
	out := map[string]desk.Archetype{}
	for _, a := range as {
		out[a.ID] = a
	}
	return out, nil
}

// handleAcceptArchetypes accepts proposals: the derivation is run again
// with the same options (it is deterministic) and the chosen proposals (id
// fields, or all=1) are saved as accepted. A proposal for an archetype
// already stored updates it as a new version, keeping the name and
// guardrails RevOps set and taking the new figures and bands
// (service.AcceptDerived).
func (s *Site) handleAcceptArchetypes(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskAdmin); err != nil {
		return err
	}
	ctx := r.Context()
	df, opts, err := deriveOptions(r)
	if userProblem(err) {
		return s.archetypes(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), df)
	}
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return tandem.Errorf(tandem.EINVALID, "malformed form: %v", err)
	}
	all := r.PostFormValue("all") == "1"
	want := map[string]bool{}
	for _, id := range r.PostForm["id"] {
		want[id] = true
	}
	if !all && len(want) == 0 {
		return s.archetypes(w, r, http.StatusBadRequest, "choose the proposals to accept", df)
	}
	props, err := s.svc.DeriveArchetypes(ctx, opts)
	if err != nil {
		return err
	}
	var chosen []desk.Archetype
	for _, a := range props {
		if all || want[a.ID] {
			chosen = append(chosen, a)
		}
	}
	if len(chosen) == 0 {
		return s.archetypes(w, r, http.StatusConflict, "none of the chosen proposals is derived any more; derive again", df)
	}
	_, err = s.svc.AcceptDerived(ctx, httpapi.Actor(r), chosen, "accepted as derived")
	if userProblem(err) {
		return s.archetypes(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), df)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/desk/archetypes?done=archetypes-accepted")
}

// archetypeForm holds the editable fields of an archetype.
type archetypeForm struct {
	Version, Name, Status, TimeToValue, Ramp, MinMargin, MaxPayment, Notes, Note string
}

func archetypeFormOf(a desk.Archetype) archetypeForm {
	num := func(v int) string {
		if v == 0 {
			return ""
		}
		return strconv.Itoa(v)
	}
	f := archetypeForm{Version: strconv.Itoa(a.Version), Name: a.Name, Status: a.Status, TimeToValue: num(a.Playbook.TimeToValueDays),
		Ramp: num(a.Playbook.RampMonths), MaxPayment: num(a.Playbook.MaxPaymentDays), Notes: a.Playbook.ApprovalNotes}
	if a.Playbook.MinMarginPct != 0 {
		f.MinMargin = decimal(a.Playbook.MinMarginPct)
	}
	return f
}

// bandRow is one product's pricing band.
type bandRow struct {
	Product, Discount, NetPrice string
}

// archetypePage is the data of one archetype's page.
type archetypePage struct {
	A           archetypeRow
	Arch        desk.Archetype
	Parent      string
	ParentHref  string
	Bands       []bandRow
	LossReasons []figView
	Figures     []figView
	Versions    []versionRow
	IsLatest    bool
	CanAdmin    bool
	Form        archetypeForm
	Statuses    []string
	Guardrails  []fact
}

// handleArchetype shows an archetype (?version=N, default the latest) with
// its figures, bands and history, and the editor for desk:admin.
func (s *Site) handleArchetype(w http.ResponseWriter, r *http.Request) error {
	return s.archetype(w, r, http.StatusOK, "", nil)
}

func (s *Site) archetype(w http.ResponseWriter, r *http.Request, status int, problem string, form *archetypeForm) error {
	p, err := require(r, auth.PermDeskRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	version := 0
	if r.Method == http.MethodGet {
		if version, err = versionParam(r); err != nil {
			return err
		}
	}
	versions, docs, err := s.svc.ArchetypeHistory(ctx, id)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return tandem.Errorf(tandem.ENOTFOUND, "no archetype %s", id)
	}
	if err != nil {
		return err
	}
	if version == 0 {
		version = len(versions)
	}
	if version > len(versions) {
		return tandem.Errorf(tandem.ENOTFOUND, "archetype %s has versions 1 to %d, not %d", id, len(versions), version)
	}
	a := versions[version-1]
	names, _, err := s.names(ctx, "products")
	if err != nil {
		return err
	}
	minN := s.minN(ctx)
	d := archetypePage{A: archetypeRowOf(a, names), Arch: a, IsLatest: version == len(versions), CanAdmin: p.Can(auth.PermDeskAdmin),
		Statuses: []string{desk.StatusProposed, desk.StatusAccepted, "retired"}, LossReasons: figureViews(a.LossReasons),
		Figures: figureViews([]desk.Figure{a.WinRate, a.MedianCycle, a.RenewalRate})}
	if a.Parent != "" {
		d.Parent, d.ParentHref = a.Parent, archetypeHref(a.Parent)
	}
	for _, b := range a.Playbook.Bands {
		d.Bands = append(d.Bands, bandRow{Product: productName(names, b.Product), Discount: bandText("percent", b.Discount, minN),
			NetPrice: bandText("money", b.NetPrice, minN)})
	}
	pb := a.Playbook
	unset := func(v int, unit string) string {
		if v == 0 {
			return "not set"
		}
		return strconv.Itoa(v) + " " + unit
	}
	margin := "not set"
	if pb.MinMarginPct > 0 {
		margin = decimal(pb.MinMarginPct) + "%"
	}
	d.Guardrails = []fact{
		{Label: "Time to value", Value: unset(pb.TimeToValueDays, "days")},
		{Label: "Ramp", Value: unset(pb.RampMonths, "months")},
		{Label: "Minimum margin", Value: margin},
		{Label: "Maximum payment terms", Value: unset(pb.MaxPaymentDays, "days")},
	}
	for i, doc := range docs {
		d.Versions = append(d.Versions, versionRow{Version: doc.Version, Href: archetypeHref(id) + "?version=" + strconv.Itoa(doc.Version),
			Author: doc.Author, At: dateTimeText(doc.CreatedAt), Note: doc.Note, Shown: i+1 == version, Latest: i+1 == len(docs)})
	}
	if form != nil {
		d.Form = *form
	} else {
		d.Form = archetypeFormOf(versions[len(versions)-1])
	}
	v := s.newView(r, "Archetype "+a.Name, "desk")
	v.Flash, v.Problem, v.Data = deskFlash(r), problem, d
	return s.render(w, status, "desk_archetype", v)
}

// handleArchetypeSave saves an edit of an archetype (name, status,
// guardrails) as a new version; an edit that started from an older
// version than the stored one is refused.
func (s *Site) handleArchetypeSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskAdmin); err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	val := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := archetypeForm{Version: val("version"), Name: val("name"), Status: val("status"), TimeToValue: val("time_to_value_days"),
		Ramp: val("ramp_months"), MinMargin: val("min_margin_pct"), MaxPayment: val("max_payment_days"), Notes: val("approval_notes"), Note: val("note")}
	versions, _, err := s.svc.ArchetypeHistory(ctx, id)
	if err != nil {
		return err
	}
	a := versions[len(versions)-1]
	var problems []string
	whole := func(name, v string) int {
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			problems = append(problems, name+": "+quoted(v)+" is not a whole number")
		}
		return n
	}
	a.Version = whole("version", f.Version)
	a.Name, a.Status = f.Name, f.Status
	a.Playbook.TimeToValueDays = whole("time_to_value_days", f.TimeToValue)
	a.Playbook.RampMonths = whole("ramp_months", f.Ramp)
	a.Playbook.MaxPaymentDays = whole("max_payment_days", f.MaxPayment)
	a.Playbook.ApprovalNotes = f.Notes
	a.Playbook.MinMarginPct = 0
	if f.MinMargin != "" {
		m, err := strconv.ParseFloat(f.MinMargin, 64)
		if err != nil {
			problems = append(problems, "min_margin_pct: "+quoted(f.MinMargin)+" is not a number")
		}
		a.Playbook.MinMarginPct = m
	}
	if len(problems) > 0 {
		return s.archetype(w, r, http.StatusBadRequest, strings.Join(problems, "; "), &f)
	}
	_, err = s.svc.SaveArchetype(ctx, httpapi.Actor(r), a, f.Note)
	if userProblem(err) {
		return s.archetype(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, archetypeHref(id)+"?done=archetype-saved")
}
