package desk

import (
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
)

// Rep is a sales rep as the desk needs them: who they are, who their
// manager is (a rep id or name, as imported), and their e-mail when the
// import carried one (the attr.email column).
type Rep struct {
	ID      string
	Name    string
	Manager string
	Email   string
	// Sells is true for reps who own deals: the people who raise quotes,
	// whose managers approval rules must be able to name. A VP at the top
	// who sells nothing needs no manager.
	Sells bool
}

// People is the desk's directory of reps and users: who manages whom, and
// which user acts for a rep. A rep acts as the user whose e-mail equals the
// rep's e-mail attribute or, failing that, the only user with the rep's
// name (case-insensitively); a rep no user matches cannot approve, and
// CheckApprovers reports them when a rule needs them. Identifiers are
// users' e-mails for reps linked to a user and "rep:<id>" for the others,
// so that an unlinked manager still shows up, by name, in problems.
//
// It implements rules.Directory. People is immutable once built, so one
// value can serve concurrent checks.
type People struct {
	reps    map[string]Rep         // by id
	order   []string               // rep ids, sorted
	sellers []string               // ids of reps who sell, sorted
	manager map[string]string      // rep id → manager's rep id
	user    map[string]tandem.User // by lower-case e-mail
	repUser map[string]string      // rep id → e-mail
	userRep map[string]string      // e-mail → rep id
	roles   map[tandem.Role][]string
}

// NewPeople builds the directory from the reps and the users. Disabled
// users are left out: they cannot act.
func NewPeople(reps []Rep, users []tandem.User) *People {
	p := &People{
		reps: map[string]Rep{}, manager: map[string]string{}, user: map[string]tandem.User{},
		repUser: map[string]string{}, userRep: map[string]string{}, roles: map[tandem.Role][]string{},
	}
	byName := map[string][]string{}
	for _, u := range users {
		if u.Disabled {
			continue
		}
		e := strings.ToLower(u.Email)
		p.user[e] = u
		p.roles[u.Role] = append(p.roles[u.Role], e)
		byName[fold(u.Name)] = append(byName[fold(u.Name)], e)
	}
	repByName := map[string][]string{}
	for _, r := range reps {
		p.reps[r.ID] = r
		p.order = append(p.order, r.ID)
		repByName[fold(r.Name)] = append(repByName[fold(r.Name)], r.ID)
	}
	slices.Sort(p.order)
	for _, id := range p.order {
		r := p.reps[id]
		if r.Sells {
			p.sellers = append(p.sellers, id)
		}
		if m := strings.TrimSpace(r.Manager); m != "" {
			if _, ok := p.reps[m]; ok {
				p.manager[id] = m
			} else if ids := repByName[fold(m)]; len(ids) == 1 {
				p.manager[id] = ids[0]
			}
		}
		e := strings.ToLower(strings.TrimSpace(r.Email))
		if _, ok := p.user[e]; !ok || e == "" {
			e = ""
			if es := byName[fold(r.Name)]; len(es) == 1 {
				e = es[0]
			}
		}
		if e != "" {
			if _, taken := p.userRep[e]; !taken {
				p.repUser[id] = e
				p.userRep[e] = id
			}
		}
	}
	return p
}

// fold is the case- and space-insensitive form names compare in.
func fold(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// ident is how a rep appears in the directory: their user's e-mail, or
// "rep:<id>" when no user acts for them.
func (p *People) ident(repID string) string {
	if e, ok := p.repUser[repID]; ok {
		return e
	}
	return "rep:" + repID
}

// repOf returns the rep an identifier stands for.
func (p *People) repOf(id string) (string, bool) {
	if r, ok := strings.CutPrefix(id, "rep:"); ok {
		_, known := p.reps[r]
		return r, known
	}
	if r, ok := p.userRep[strings.ToLower(id)]; ok {
		return r, true
	}
	if _, ok := p.reps[id]; ok {
		return id, true
	}
	return "", false
}

// Reps lists the reps who raise quotes, by id (rules.Directory): those
// who sell, or every rep when no rep is marked as selling.
func (p *People) Reps() []string {
	if len(p.sellers) > 0 {
		return p.sellers
	}
	return p.order
}

// Users lists the enabled users by e-mail (rules.Directory).
func (p *People) Users() []string {
	out := make([]string, 0, len(p.user))
	for e := range p.user {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// ManagerOf returns the manager of a rep (by id) or of the user acting for
// a rep (rules.Directory).
func (p *People) ManagerOf(id string) (string, bool) {
	r, ok := p.repOf(id)
	if !ok {
		return "", false
	}
	m, ok := p.manager[r]
	if !ok {
		return "", false
	}
	return p.ident(m), true
}

// HasRole reports whether the user holds the role (rules.Directory).
func (p *People) HasRole(user string, role tandem.Role) bool {
	u, ok := p.user[strings.ToLower(user)]
	return ok && u.Role == role
}

// UserExists reports whether an enabled user has the e-mail
// (rules.Directory).
func (p *People) UserExists(email string) bool {
	_, ok := p.user[strings.ToLower(email)]
	return ok
}

// User returns the enabled user with the e-mail.
func (p *People) User(email string) (tandem.User, bool) {
	u, ok := p.user[strings.ToLower(email)]
	return u, ok
}

// Linked reports whether a user acts for the rep.
func (p *People) Linked(repID string) bool {
	_, ok := p.repUser[repID]
	return ok
}

// RepName returns the rep's name, or the id when unknown.
func (p *People) RepName(id string) string {
	if r, ok := p.reps[id]; ok && r.Name != "" {
		return r.Name
	}
	return id
}

// RepOfUser returns the rep the user acts for.
func (p *People) RepOfUser(email string) (string, bool) {
	r, ok := p.userRep[strings.ToLower(email)]
	return r, ok
}

// Label names an identifier for people: the user's name and e-mail, the
// rep's name, or a role.
func (p *People) Label(id string) string {
	if role, ok := strings.CutPrefix(id, "role:"); ok {
		return "anyone with the role " + role
	}
	if r, ok := strings.CutPrefix(id, "rep:"); ok {
		return p.RepName(r) + " (no user)"
	}
	if u, ok := p.user[strings.ToLower(id)]; ok && u.Name != "" {
		return u.Name + " <" + u.Email + ">"
	}
	return id
}
