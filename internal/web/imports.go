package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/service"
)

// maxUploadBytes is the default largest file the import page stages: the server's
// default upload body limit.
const maxUploadBytes = httpapi.DefaultUploadLimit

// importFormats and duplicatePolicies are the choices of the preview form.
var (
	importFormats     = []string{"tandem", "salesforce", "hubspot", "csv"}
	duplicatePolicies = []string{importer.DupError, importer.DupFirst, importer.DupLast, importer.DupKeepAll}
)

// uploadPage is the data of the upload form.
type uploadPage struct {
	Entities []string
	Entity   string
}

// handleImportForm shows the upload form.
func (s *Site) handleImportForm(w http.ResponseWriter, r *http.Request) error {
	return s.uploadForm(w, r, http.StatusOK, "", "")
}

// uploadForm renders the upload form.
func (s *Site) uploadForm(w http.ResponseWriter, r *http.Request, status int, problem, entity string) error {
	if _, err := require(r, auth.PermImport); err != nil {
		return err
	}
	v := s.newView(r, "Import data", "import")
	v.Problem = problem
	v.Data = uploadPage{Entities: s.svc.Catalog().Names(), Entity: entity}
	return s.render(w, status, "import", v)
}

// handleImportUpload stages an uploaded file and goes to its preview.
func (s *Site) handleImportUpload(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermImport)
	if err != nil {
		return err
	}
	entity := strings.TrimSpace(r.FormValue("entity"))
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return tandem.Errorf(tandem.ETOOLARGE, "the file is larger than the upload limit (%d MB)", tooBig.Limit>>20)
		case errors.Is(err, http.ErrMissingFile):
			return s.uploadForm(w, r, http.StatusBadRequest, "choose a CSV file to upload", entity)
		}
		return s.uploadForm(w, r, http.StatusBadRequest, "the upload could not be read: send the form as multipart/form-data with a file field", entity)
	}
	defer file.Close()
	up, err := s.svc.Stage(r.Context(), p.User.ID, hdr.Filename, file, s.uploadLimit)
	if userProblem(err) || tandem.ErrorCode(err) == tandem.ETOOLARGE {
		return s.uploadForm(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), entity)
	}
	if err != nil {
		return err
	}
	target := "/import/" + url.PathEscape(up.ID)
	if entity != "" {
		target += "?entity=" + url.QueryEscape(entity)
	}
	return redirect(w, r, target)
}

// mapRow is one canonical column of the column map editor.
type mapRow struct {
	Canonical, Doc, Source string
	Required               bool
}

// previewPage is the data of an import's preview and result.
type previewPage struct {
	Up       *service.Upload
	Req      service.ImportRequest
	Sum      *importer.Summary
	Entities []string
	Formats  []string
	Dups     []string
	Columns  []mapRow
	// Hidden are the fields the confirm form posts back: the request as
	// previewed.
	Hidden [][2]string
	// Done is true on the result page of a committed import.
	Done bool
	// Failed is true when the confirmed import stopped on errors.
	Failed bool
}

// importRequest reads how to import a staged upload from a query or form.
// Column mappings (map.<canonical>=<source>) count only when they were made
// for the chosen entity (mapfor), so switching the entity starts afresh.
func (s *Site) importRequest(v url.Values, up *service.Upload) (service.ImportRequest, error) {
	req := service.ImportRequest{Entity: strings.TrimSpace(v.Get("entity")), Format: strings.TrimSpace(v.Get("format")),
		DateFormat: strings.TrimSpace(v.Get("date_format")), OnDuplicate: strings.TrimSpace(v.Get("on_duplicate"))}
	if req.Entity == "" {
		req.Entity = up.Entity
	}
	if _, err := s.svc.Catalog().Entity(req.Entity); err != nil {
		return req, err
	}
	if mf := v.Get("mapfor"); mf == "" || mf == req.Entity {
		for k, vals := range v {
			canon, ok := strings.CutPrefix(k, "map.")
			if !ok || canon == "" || len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
				continue
			}
			req.Map = append(req.Map, importer.Mapping{Canonical: canon, Source: vals[0]})
		}
		slices.SortFunc(req.Map, func(a, b importer.Mapping) int { return strings.Compare(a.Canonical, b.Canonical) })
	}
	return req, nil
}

// hiddenFields returns the request as form fields for the confirm form.
func hiddenFields(req service.ImportRequest) [][2]string {
	out := [][2]string{{"entity", req.Entity}, {"mapfor", req.Entity}}
	for _, f := range [][2]string{{"format", req.Format}, {"date_format", req.DateFormat}, {"on_duplicate", req.OnDuplicate}} {
		if f[1] != "" {
			out = append(out, f)
		}
	}
	for _, m := range req.Map {
		out = append(out, [2]string{"map." + m.Canonical, m.Source})
	}
	return out
}

// preview builds the preview page's data around a summary (nil when the
// preview itself failed).
func (s *Site) preview(up *service.Upload, req service.ImportRequest, sum *importer.Summary) previewPage {
	d := previewPage{Up: up, Req: req, Sum: sum, Entities: s.svc.Catalog().Names(), Formats: importFormats,
		Dups: duplicatePolicies, Hidden: hiddenFields(req)}
	e, err := s.svc.Catalog().Entity(req.Entity)
	if err != nil {
		return d
	}
	used := map[string]string{}
	if sum != nil {
		for _, m := range sum.Columns {
			used[m.Canonical] = m.Source
		}
	}
	for _, m := range req.Map {
		used[m.Canonical] = m.Source
	}
	for _, c := range e.Columns {
		d.Columns = append(d.Columns, mapRow{Canonical: c.Name, Doc: c.Doc, Required: c.Required, Source: used[c.Name]})
	}
	return d
}

// handleImportPreview previews a staged upload as a dry run with the
// entity and column map of the query.
func (s *Site) handleImportPreview(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermImport)
	if err != nil {
		return err
	}
	ctx := r.Context()
	up, err := s.svc.Staged(ctx, p.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.newView(r, "Preview import of "+up.Name, "import")
	req, err := s.importRequest(r.URL.Query(), up)
	if err != nil {
		if !userProblem(err) {
			return err
		}
		req.Entity = up.Entity
		v.Problem = tandem.ErrorMessage(err)
		v.Data = s.preview(up, req, nil)
		return s.render(w, http.StatusBadRequest, "import_preview", v)
	}
	sum, err := s.svc.Preview(ctx, p.User.ID, up.ID, req)
	if err != nil {
		if !userProblem(err) {
			return err
		}
		// The file cannot be read this way (a missing required column,
		// say): show why, with the map editor to fix it.
		v.Problem = tandem.ErrorMessage(err)
		sum = nil
	}
	v.Data = s.preview(up, req, sum)
	return s.render(w, http.StatusOK, "import_preview", v)
}

// handleImportConfirm imports a staged upload: all rows or, on any error,
// none, listing every error.
func (s *Site) handleImportConfirm(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermImport)
	if err != nil {
		return err
	}
	ctx := r.Context()
	up, err := s.svc.Staged(ctx, p.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return tandem.Errorf(tandem.EINVALID, "the form could not be read")
	}
	req, err := s.importRequest(r.PostForm, up)
	if err != nil {
		return err
	}
	sum, err := s.svc.Import(ctx, httpapi.Actor(r), p.User.ID, up.ID, req)
	if err != nil && (sum == nil || !userProblem(err)) {
		if userProblem(err) {
			v := s.newView(r, "Import of "+up.Name+" failed", "import")
			v.Problem = tandem.ErrorMessage(err)
			d := s.preview(up, req, nil)
			d.Failed = true
			v.Data = d
			return s.render(w, tandem.HTTPStatus(err), "import_preview", v)
		}
		return err
	}
	d := s.preview(up, req, sum)
	if err != nil || len(sum.Errors) > 0 || !sum.Committed {
		d.Failed = true
		v := s.newView(r, "Import of "+up.Name+" failed", "import")
		v.Problem = "nothing was imported: fix the rows listed below (or the column map) and try again"
		if err != nil {
			v.Problem = tandem.ErrorMessage(err) + "; nothing was imported"
		}
		v.Data = d
		return s.render(w, http.StatusBadRequest, "import_preview", v)
	}
	d.Done = true
	v := s.newView(r, "Imported "+up.Name, "import")
	v.Data = d
	return s.render(w, http.StatusOK, "import_preview", v)
}
