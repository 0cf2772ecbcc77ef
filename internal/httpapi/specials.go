package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/specials"
)

// specialRoutes are the routes of custom requests (issue 9): intake with
// evidence, the record and its timeline, product's score, estimate and
// links, moves through the six steps, and the matrix, capacity, outcome
// and settings views.
//
// Permissions: reading needs pipeline:read; filing specials:file; scoring,
// estimating, linking, moving and the settings specials:admin. A move
// needs only specials:file when it is the filer withdrawing their own
// special, which the handler checks (a rep may take back what they asked
// for, not move anyone's special); accepting is further limited to
// leaders by the service.
func (s *Server) specialRoutes() []Route {
	const get, post, put = http.MethodGet, http.MethodPost, http.MethodPut
	return []Route{
		{Method: get, Path: "/api/v1/specials", Perm: auth.PermPipelineRead, Summary: "Specials, newest first (?step=, ?deal=, ?open=1)", Handler: s.handleSpecials},
		{Method: post, Path: "/api/v1/specials", Perm: auth.PermSpecialsFile, Upload: true, Summary: "File a special from a deal, with evidence notes, links and files; 201 with the special", Handler: s.handleSpecialFile},
		{Method: get, Path: "/api/v1/specials/matrix", Perm: auth.PermPipelineRead, Summary: "The alignment × effort matrix of open and building specials, with each quadrant's recommended action", Handler: s.handleSpecialMatrix},
		{Method: get, Path: "/api/v1/specials/capacity", Perm: auth.PermPipelineRead, Summary: "A quarter's capacity budget: weeks committed, in progress and spent on specials, and the roadmap work displaced (?quarter=YYYY-Qn)", Handler: s.handleSpecialCapacity},
		{Method: get, Path: "/api/v1/specials/outcomes", Perm: auth.PermPipelineRead, Summary: "What built specials did: win rate against comparable deals, reuse, capacity spent, one-offs (?min_n=)", Handler: s.handleSpecialOutcomes},
		{Method: get, Path: "/api/v1/specials/settings", Perm: auth.PermPipelineRead, Summary: "The matrix thresholds and capacity budget, with their version", Handler: s.handleSpecialSettings},
		{Method: put, Path: "/api/v1/specials/settings", Perm: auth.PermSpecialsAdmin, Summary: "Replace the matrix thresholds and capacity budget (version is the version edited)", Handler: s.handleSpecialSettingsPut},
		{Method: get, Path: "/api/v1/specials/{id}", Perm: auth.PermPipelineRead, Summary: "A special with its placement, allowed moves and recurring demand", Handler: s.handleSpecial},
		{Method: get, Path: "/api/v1/specials/{id}/history", Perm: auth.PermPipelineRead, Summary: "A special's timeline: every version with its author, time and step record", Handler: s.handleSpecialHistory},
		{Method: post, Path: "/api/v1/specials/{id}/score", Perm: auth.PermSpecialsAdmin, Summary: "Score a special's alignment: ICP and strategy fit, optionally adjusted with a reason", Handler: s.handleSpecialScore},
		{Method: post, Path: "/api/v1/specials/{id}/estimate", Perm: auth.PermSpecialsAdmin, Summary: "Record a special's effort estimate in engineering weeks", Handler: s.handleSpecialEstimate},
		{Method: post, Path: "/api/v1/specials/{id}/links", Perm: auth.PermSpecialsAdmin, Summary: "Replace a special's links to feedback themes, other specials and the feature", Handler: s.handleSpecialLinks},
		{Method: post, Path: "/api/v1/specials/{id}/moves", Perm: auth.PermSpecialsFile, Summary: "Move a special through the six steps: advance, skip, accept, decline, withdraw, productize, one-off", Handler: s.handleSpecialMove},
		{Method: get, Path: "/api/v1/specials/{id}/evidence/{sha}", Perm: auth.PermPipelineRead, Summary: "Download an evidence file of a special", Handler: s.handleSpecialEvidence},
	}
}

// MaxSpecialFiles and MaxSpecialUpload are the service's limits on one
// filing's files (service.CheckSpecialFiles); the API, the pages and the
// CLI check them before reading a whole upload.
const (
	MaxSpecialFiles  = service.MaxSpecialFiles
	MaxSpecialUpload = service.MaxSpecialUpload
)

// maxSpecialForm bounds a whole multipart filing: the files, the request
// part (at most maxSpecialPart) and the parts' headers.
const (
	maxSpecialPart = 1 << 20
	maxSpecialForm = MaxSpecialUpload + 2*maxSpecialPart
)

// evidenceTypes maps file name extensions to the evidence types the
// service accepts.
var evidenceTypes = map[string]string{
	".pdf":  "application/pdf",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".txt":  "text/plain",
	".csv":  "text/csv",
	".eml":  "message/rfc822",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

// EvidenceType is the content type of an evidence file named name, by
// its extension (pdf, png, jpg, gif, txt, csv, eml, docx, xlsx, pptx), or
// "" when the extension is not one of those. The CLI and the pages name
// files the same way as the API.
func EvidenceType(name string) string {
	return evidenceTypes[strings.ToLower(path.Ext(name))]
}

// EvidenceFile is the i-th (from 0) uploaded evidence file as the service
// takes it: its name without directories or control characters and at
// most maxEvidenceName characters ("file-N" when nothing is left), and
// its type, from the name's extension when the upload's is missing or
// generic. The API and the pages read uploads the same way.
func EvidenceFile(i int, name, ctype string, data []byte) service.SpecialFile {
	name = service.CleanFileName(i, name)
	ct, _, _ := mime.ParseMediaType(ctype)
	if ct == "" || ct == "application/octet-stream" {
		if t := EvidenceType(name); t != "" {
			ct = t
		}
	}
	return service.SpecialFile{Name: name, ContentType: ct, Data: data}
}

// CheckSpecialFiles is service.CheckSpecialFiles, for the pages and the
// CLI, which check before reading a whole upload.
func CheckSpecialFiles(count int, total int64) error { return service.CheckSpecialFiles(count, total) }

// CheckQuarter checks a quarter given as field ("" is this quarter).
func CheckQuarter(field, q string) error {
	if q = strings.TrimSpace(q); q == "" {
		return nil
	}
	if _, _, err := specials.ParseQuarter(q); err != nil {
		return tandem.Errorf(tandem.EINVALID, "%s: %s", field, tandem.ErrorMessage(err))
	}
	return nil
}

// MoveAction reads a move's action given as field, naming the field and
// the actions when it is missing or unknown.
func MoveAction(field, s string) (specials.Action, error) {
	if strings.TrimSpace(s) == "" {
		return "", tandem.Errorf(tandem.EINVALID, "%s: required (one of %s)", field, actionNames())
	}
	act, err := specials.ParseAction(s)
	if err != nil {
		return "", tandem.Errorf(tandem.EINVALID, "%s: %s", field, tandem.ErrorMessage(err))
	}
	return act, nil
}

// actionNames lists the moves, for messages.
func actionNames() string {
	as := specials.Actions()
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// MatrixQuadrants are the quadrants in the order every view lists them:
// accept first, decline last.
func MatrixQuadrants() []specials.Quadrant {
	return []specials.Quadrant{specials.LowEffortHighAlignment, specials.HighEffortHighAlignment, specials.LowEffortLowAlignment, specials.HighEffortLowAlignment}
}

// SpecialRequest is what a caller files: the deal, the ask, the problem
// behind it and who said it, the deadline, whether others asked, notes
// and links as evidence (files come as multipart parts), links to themes
// and specials, and whether it is strategic and why. The pages file the
// same.
type SpecialRequest struct {
	DealID       string            `json:"deal_id"`
	Title        string            `json:"title"`
	Ask          string            `json:"ask"`
	Problem      string            `json:"problem"`
	AskedBy      string            `json:"asked_by,omitempty"`
	Deadline     time.Time         `json:"deadline,omitzero"`
	OthersAsked  bool              `json:"others_asked,omitempty"`
	Evidence     []EvidenceRequest `json:"evidence,omitempty"`
	Themes       []string          `json:"themes,omitempty"`
	Specials     []string          `json:"specials,omitempty"`
	Strategic    bool              `json:"strategic,omitempty"`
	StrategicWhy string            `json:"strategic_why,omitempty"`
}

// EvidenceRequest is a note or a link filed with a special.
type EvidenceRequest struct {
	Kind string `json:"kind"` // note or link
	Text string `json:"text,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Special is the special the request files.
func (req SpecialRequest) Special() tandem.Special {
	sp := tandem.Special{DealID: strings.TrimSpace(req.DealID), Title: req.Title, Ask: req.Ask, Problem: req.Problem,
		AskedBy: strings.TrimSpace(req.AskedBy), Deadline: req.Deadline, OthersAsked: req.OthersAsked,
		Themes: req.Themes, Specials: req.Specials, Strategic: req.Strategic, StrategicWhy: strings.TrimSpace(req.StrategicWhy)}
	for _, e := range req.Evidence {
		sp.Evidence = append(sp.Evidence, tandem.SpecialEvidence{Kind: strings.TrimSpace(e.Kind), Text: e.Text, URL: strings.TrimSpace(e.URL)})
	}
	return sp
}

// specialList is the body of GET /api/v1/specials.
type specialList struct {
	Specials []service.SpecialView `json:"specials"`
}

func (s *Server) handleSpecials(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	sq, err := SpecialQueryOf(q)
	if err != nil {
		return err
	}
	list, err := s.svc.Specials(r.Context(), sq)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, specialList{list})
}

// SpecialQueryOf reads the list's filters (step, deal, open), shared by
// the API and the board page.
func SpecialQueryOf(q map[string][]string) (service.SpecialQuery, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[len(v)-1])
		}
		return ""
	}
	sq := service.SpecialQuery{Step: tandem.SpecialStep(get("step")), DealID: get("deal")}
	if sq.Step != "" && !specials.Known(sq.Step) {
		return sq, tandem.Errorf(tandem.EINVALID, "step: %q is not a step (%s)", sq.Step, StepNames())
	}
	switch get("open") {
	case "", "0", "false", "no":
	case "1", "true", "yes", "on":
		sq.Open = true
	default:
		return sq, tandem.Errorf(tandem.EINVALID, "open: %q is not true or false", get("open"))
	}
	return sq, nil
}

// StepNames lists every step and end, for messages.
func StepNames() string {
	steps := append(tandem.SpecialSteps(), tandem.StepProductized, tandem.StepOneOff, tandem.StepDeclined, tandem.StepWithdrawn)
	names := make([]string, len(steps))
	for i, st := range steps {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

// decodeStrictJSON decodes one JSON value from body, refusing unknown
// fields and trailing data, naming what part for the message.
func decodeStrictJSON(body io.Reader, v any, what string) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return BodyError(err)
		}
		return tandem.Errorf(tandem.EINVALID, "malformed JSON %s: %v", what, err)
	}
	if dec.More() {
		return tandem.Errorf(tandem.EINVALID, "malformed JSON %s: more than one value", what)
	}
	return nil
}

// readSpecialForm reads a multipart filing: one "special" part holding
// the JSON request (at most maxSpecialPart bytes) and "file" parts (at
// most MaxSpecialFiles, each at most service.MaxSpecialFile bytes and
// MaxSpecialUpload in all; a file over a limit is refused before the
// rest is read). A part's type is its Content-Type, or its name's
// extension when the type is missing or generic.
func readSpecialForm(r *http.Request) (SpecialRequest, []service.SpecialFile, error) {
	var req SpecialRequest
	var files []service.SpecialFile
	mr, err := r.MultipartReader()
	if err != nil {
		return req, nil, tandem.Errorf(tandem.EINVALID, "malformed multipart body: %v", err)
	}
	seen := false
	var total int64
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return req, nil, BodyError(err)
		}
		switch part.FormName() {
		case "special":
			if seen {
				return req, nil, tandem.Errorf(tandem.EINVALID, "special: the form has two \"special\" parts")
			}
			seen = true
			body, err := io.ReadAll(io.LimitReader(part, maxSpecialPart+1))
			if err != nil {
				return req, nil, BodyError(err)
			}
			if len(body) > maxSpecialPart {
				return req, nil, tandem.Errorf(tandem.ETOOLARGE, "special: the \"special\" part is over its limit of %d bytes (1 MiB)", maxSpecialPart)
			}
			if err := decodeStrictJSON(bytes.NewReader(body), &req, "in the \"special\" part"); err != nil {
				return req, nil, err
			}
		case "file":
			if err := CheckSpecialFiles(len(files)+1, 0); err != nil {
				return req, nil, err
			}
			data, err := io.ReadAll(io.LimitReader(part, service.MaxSpecialFile+1))
			if err != nil {
				return req, nil, BodyError(err)
			}
			f := EvidenceFile(len(files), part.FileName(), part.Header.Get("Content-Type"), data)
			if len(data) > service.MaxSpecialFile {
				return req, nil, tandem.Errorf(tandem.ETOOLARGE, "file %q: over the limit of %d bytes (10 MiB) for an evidence file; nothing was stored", f.Name, service.MaxSpecialFile)
			}
			total += int64(len(data))
			if err := CheckSpecialFiles(len(files)+1, total); err != nil {
				return req, nil, err
			}
			files = append(files, f)
		default:
			return req, nil, tandem.Errorf(tandem.EINVALID, "the form has a part named %q; send a \"special\" part (JSON) and \"file\" parts", part.FormName())
		}
	}
	if !seen {
		return req, nil, tandem.Errorf(tandem.EINVALID, "special: the form has no \"special\" part with the request as JSON")
	}
	return req, files, nil
}

func (s *Server) handleSpecialFile(w http.ResponseWriter, r *http.Request) error {
	var req SpecialRequest
	var files []service.SpecialFile
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		// The route takes the upload limit; a filing needs no more than
		// its files' limits.
		r.Body = http.MaxBytesReader(w, r.Body, min(s.uploadLimit, maxSpecialForm))
		var err error
		if req, files, err = readSpecialForm(r); err != nil {
			return err
		}
	} else {
		// The route takes the upload limit for files; a JSON body keeps
		// the ordinary one.
		r.Body = http.MaxBytesReader(w, r.Body, s.bodyLimit)
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
	}
	v, err := s.svc.FileSpecial(r.Context(), Actor(r), req.Special(), files)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusCreated, v)
}

func (s *Server) handleSpecial(w http.ResponseWriter, r *http.Request) error {
	v, err := s.svc.Special(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// TimelineEntry is one version of a special on its timeline: who wrote
// it and when, what the version changed, and, for a move, the step record
// it added.
type TimelineEntry struct {
	Version int                `json:"version"`
	At      time.Time          `json:"at"`
	Author  string             `json:"author"`
	Change  string             `json:"change"` // filed, moved, scored, estimated, linked, changed
	Step    tandem.SpecialStep `json:"step"`   // where the special stood after this version
	Record  *tandem.StepRecord `json:"record,omitempty"`
	// Accept is the acceptance recorded by this version.
	Accept *tandem.Acceptance `json:"accept,omitempty"`
}

// SpecialTimeline is the body of GET /api/v1/specials/{id}/history.
type SpecialTimeline struct {
	ID       string          `json:"id"`
	Versions []TimelineEntry `json:"versions"`
}

// Timeline turns a special's versions, oldest first, into its timeline;
// the pages show the same.
func Timeline(id string, docs []tandem.Doc) (SpecialTimeline, error) {
	out := SpecialTimeline{ID: id, Versions: make([]TimelineEntry, 0, len(docs))}
	var prev *tandem.Special
	for _, d := range docs {
		var sp tandem.Special
		if err := json.Unmarshal(d.Body, &sp); err != nil {
			return out, fmt.Errorf("special %s version %d: %w", d.ID, d.Version, err)
		}
		e := TimelineEntry{Version: d.Version, At: d.CreatedAt, Author: d.Author, Step: sp.Step, Change: "changed"}
		switch {
		case prev == nil:
			e.Change = "filed"
		case len(sp.History) > len(prev.History):
			e.Change = "moved"
			rec := sp.History[len(sp.History)-1]
			e.Record = &rec
			if sp.Accept != nil && prev.Accept == nil {
				e.Accept = sp.Accept
			}
		case !jsonEqual(sp.Alignment, prev.Alignment):
			e.Change = "scored"
		case !jsonEqual(sp.Effort, prev.Effort):
			e.Change = "estimated"
		case sp.Feature != prev.Feature || !slices.Equal(sp.Themes, prev.Themes) || !slices.Equal(sp.Specials, prev.Specials):
			e.Change = "linked"
		}
		out.Versions = append(out.Versions, e)
		prev = &sp
	}
	return out, nil
}

// jsonEqual compares two values by their JSON.
func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func (s *Server) handleSpecialHistory(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	docs, err := s.svc.SpecialHistory(ctx, id)
	if err != nil {
		return err
	}
	if len(docs) == 0 {
		return tandem.Errorf(tandem.ENOTFOUND, "no special %q", id)
	}
	tl, err := Timeline(id, docs)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, tl)
}

func (s *Server) handleSpecialScore(w http.ResponseWriter, r *http.Request) error {
	var in service.ScoreInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := s.svc.ScoreSpecial(r.Context(), Actor(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// estimateRequest is the body of POST /api/v1/specials/{id}/estimate.
type estimateRequest struct {
	Version int     `json:"version"`
	Weeks   float64 `json:"weeks"`
	Note    string  `json:"note,omitempty"`
}

func (s *Server) handleSpecialEstimate(w http.ResponseWriter, r *http.Request) error {
	var in estimateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := s.svc.EstimateSpecial(r.Context(), Actor(r), r.PathValue("id"), in.Version, in.Weeks, in.Note)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

func (s *Server) handleSpecialLinks(w http.ResponseWriter, r *http.Request) error {
	var in service.LinkInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Themes == nil && in.Specials == nil && in.Feature == nil {
		return tandem.Errorf(tandem.EINVALID, "themes, specials or feature: give at least one link list to replace")
	}
	v, err := s.svc.LinkSpecial(r.Context(), Actor(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// CanMoveSpecial reports whether p may make move a on special sp:
// specials:admin may make any move (the service still limits acceptance
// to leaders); the special's filer, holding specials:file, may withdraw
// it. The API and the pages share it.
func CanMoveSpecial(p *auth.Principal, sp tandem.Special, a specials.Action) error {
	switch {
	case p == nil:
		return tandem.Errorf(tandem.EUNAUTHORIZED, "sign in to move a special")
	case p.Can(auth.PermSpecialsAdmin):
		return nil
	case a == specials.Withdraw && p.Can(auth.PermSpecialsFile) && strings.EqualFold(p.User.Email, sp.FiledBy):
		return nil
	case a == specials.Withdraw:
		return tandem.Errorf(tandem.EFORBIDDEN, "special %s was filed by %s: only its filer or %s may withdraw it", sp.ID, sp.FiledBy, auth.PermSpecialsAdmin)
	}
	return tandem.Errorf(tandem.EFORBIDDEN, "%s on a special needs %s (a filer may only withdraw their own special)", a, auth.PermSpecialsAdmin)
}

func (s *Server) handleSpecialMove(w http.ResponseWriter, r *http.Request) error {
	var in service.MoveInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	act, err := MoveAction("action", string(in.Action))
	if err != nil {
		return err
	}
	in.Action = act
	ctx := r.Context()
	cur, err := s.svc.Special(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := CanMoveSpecial(principal(r), cur.Special, act); err != nil {
		return err
	}
	v, err := s.svc.MoveSpecial(ctx, Actor(r), cur.ID, in)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// SpecialEvidence returns an evidence file of a special and its bytes:
// only blobs the special lists are served (ENOTFOUND otherwise).
func SpecialEvidence(r *http.Request, svc *service.Service, id, sha string) (tandem.SpecialEvidence, tandem.Blob, error) {
	v, err := svc.Special(r.Context(), id)
	if err != nil {
		return tandem.SpecialEvidence{}, tandem.Blob{}, err
	}
	sha = strings.ToLower(sha)
	i := slices.IndexFunc(v.Evidence, func(e tandem.SpecialEvidence) bool { return e.Kind == "file" && e.SHA256 == sha })
	if i < 0 {
		return tandem.SpecialEvidence{}, tandem.Blob{}, tandem.Errorf(tandem.ENOTFOUND, "special %s has no evidence file %q", id, sha)
	}
	b, err := svc.Store().Blob(r.Context(), sha)
	return v.Evidence[i], b, err
}

func (s *Server) handleSpecialEvidence(w http.ResponseWriter, r *http.Request) error {
	ev, blob, err := SpecialEvidence(r, s.svc, r.PathValue("id"), r.PathValue("sha"))
	if err != nil {
		return err
	}
	// Served only as one of the evidence types: a stored type outside
	// them is sent as bytes.
	ctype := "application/octet-stream"
	if t, _, err := mime.ParseMediaType(ev.ContentType); err == nil && slices.Contains(slices.Collect(maps.Values(evidenceTypes)), t) {
		ctype = t
	}
	s.serveDownload(w, ev.Name, ctype, blob.Data)
	return nil
}

func (s *Server) handleSpecialMatrix(w http.ResponseWriter, r *http.Request) error {
	m, err := s.svc.Matrix(r.Context())
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, m)
}

func (s *Server) handleSpecialCapacity(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	quarter := strings.TrimSpace(q.Get("quarter"))
	if err := CheckQuarter("quarter", quarter); err != nil {
		return err
	}
	b, err := s.svc.SpecialCapacity(r.Context(), quarter)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, b)
}

func (s *Server) handleSpecialOutcomes(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	minN, err := minNParam(q)
	if err != nil {
		return err
	}
	rep, err := s.svc.SpecialOutcomes(r.Context(), minN)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, rep)
}

// specialSettingsBody is the body of GET and PUT
// /api/v1/specials/settings.
type specialSettingsBody struct {
	Settings tandem.SpecialSettings `json:"settings"`
	Version  int                    `json:"version"`
}

func (s *Server) handleSpecialSettings(w http.ResponseWriter, r *http.Request) error {
	set, v, err := s.svc.SpecialSettings(r.Context())
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, specialSettingsBody{set, v})
}

func (s *Server) handleSpecialSettingsPut(w http.ResponseWriter, r *http.Request) error {
	var req specialSettingsBody
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	set, v, err := s.svc.PutSpecialSettings(r.Context(), Actor(r), req.Settings, req.Version)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, specialSettingsBody{set, v})
}
