// Package auth decides who a request comes from and what they may do:
// argon2id password hashes, random session and API-token secrets stored only
// as SHA-256 digests, a sign-in rate limiter, the session manager behind the
// cookie, and the role policy (which role holds which permission) that every
// page and API route is checked against.
package auth

import (
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
)

// Perm is one permission: a resource and what may be done with it.
type Perm string

// The permissions. PermPublic needs no sign-in; PermSignedIn needs only a
// signed-in user of any role.
const (
	PermPublic   Perm = "public"
	PermSignedIn Perm = "signed-in"

	PermPipelineRead  Perm = "pipeline:read"  // accounts, reps, leads, products, features, deals, stages, line items, adoptions, glossary
	PermCustomersRead Perm = "customers:read" // subscriptions, usage, tickets, churn events and the retention reports
	PermPeopleRead    Perm = "people:read"    // rep and team performance
	PermReportsRead   Perm = "reports:read"   // deal reports and feature halo
	PermGlossaryWrite Perm = "glossary:write" // edit the shared definitions
	PermImport        Perm = "import:write"   // upload and import CSV files
	PermUsersAdmin    Perm = "users:admin"    // create users, change roles, see and revoke everyone's tokens
	PermAuditRead     Perm = "audit:read"     // read the audit log
	PermTokensOwn     Perm = "tokens:own"     // create and revoke one's own API tokens
	PermDeskRead      Perm = "desk:read"      // deal desk: quotes, checks, archetypes, rules, approvals
	PermDeskQuote     Perm = "desk:quote"     // build and change quotes, acknowledge flags
	PermDeskAdmin     Perm = "desk:admin"     // apply approval rules, accept archetypes, desk settings
	PermFeedbackWrite Perm = "feedback:write" // submit feedback and intel, vote for customers, record win/loss reasons and interviews
	PermFeedbackAdmin Perm = "feedback:admin" // triage feedback, routing, themes, taxonomy, competitors, battlecards, post-mortems
	PermSpecialsFile  Perm = "specials:file"  // file a custom request from a deal, with evidence
	PermSpecialsAdmin Perm = "specials:admin" // score, estimate and move specials through the process; specials settings
)

// PermInfo describes a permission for the README table and the users page.
type PermInfo struct {
	Perm  Perm
	Doc   string
	Roles []tandem.Role
}

// Policy returns the permission table: each permission with the roles that
// hold it. It is the single source of truth; README's table is checked
// against it by a test.
//
// The choices: every role reads the pipeline and the deal reports (one
// shared truth is the point of Tandem). Customer data (billing, usage,
// support, churn) is for the roles that act on it: not sales. Rep and team
// performance is for sales management, RevOps and finance (commissions), not
// product or CS. Only RevOps and admins change shared definitions or import
// data; only admins manage users. Finance reads the audit log with RevOps
// and admins, because audit is a finance control.
func Policy() []PermInfo {
	all := tandem.Roles()
	const (
		a = tandem.RoleAdmin
		r = tandem.RoleRevOps
		p = tandem.RoleProduct
		s = tandem.RoleSales
		c = tandem.RoleCS
		f = tandem.RoleFinance
	)
	return []PermInfo{
		{PermPipelineRead, "read deals, accounts, reps, leads, products, features, stage history, line items and the glossary", all},
		{PermReportsRead, "read the deal reports (win rate, cycle, deal size, funnel, stages) and feature halo pages (their renewal, churn and expansion figures need customers:read)", all},
		{PermCustomersRead, "read subscriptions, usage, adoptions, support tickets, churn events, and the churn, adoption and ICP reports", []tandem.Role{a, r, p, c, f}},
		{PermPeopleRead, "read rep and team performance: the reps and teams reports, and any report grouped or filtered by rep", []tandem.Role{a, r, s, f}},
		{PermGlossaryWrite, "create and edit shared definitions", []tandem.Role{a, r}},
		{PermImport, "upload and import CSV files", []tandem.Role{a, r}},
		{PermAuditRead, "read the audit log", []tandem.Role{a, r, f}},
		{PermUsersAdmin, "create users, change roles, disable accounts, see and revoke any API token", []tandem.Role{a}},
		{PermTokensOwn, "create and revoke one's own API tokens", all},
		{PermDeskRead, "read the deal desk: quotes and their checks, archetypes, approval rules and the approvals inbox (deciding an approval also needs to be its approver)", all},
		{PermDeskQuote, "build and change quotes, acknowledge flags on them", []tandem.Role{a, r, s}},
		{PermDeskAdmin, "apply approval rules, derive, edit and accept archetypes, change desk settings, see every pending approval", []tandem.Role{a, r}},
		{PermFeedbackWrite, "submit feedback and competitive intel, vote for a theme on a customer's behalf, record win/loss reasons and buyer interviews (reading feedback, win/loss and competitors needs pipeline:read)", all},
		{PermFeedbackAdmin, "triage feedback (owner, status), edit routing and SLA settings, merge and split themes, edit the reason taxonomy, the competitor catalog and battlecards, write post-mortems", []tandem.Role{a, r, p}},
		{PermSpecialsFile, "file a custom request (special) from a deal, with its evidence (reading specials needs pipeline:read)", []tandem.Role{a, r, p, s}},
		{PermSpecialsAdmin, "score and estimate specials, move them through the six steps, change the matrix thresholds and capacity budget (accepting also needs to be a leader)", []tandem.Role{a, r, p}},
	}
}

// Can reports whether role holds perm. PermPublic and PermSignedIn are held
// by every role.
func Can(role tandem.Role, perm Perm) bool {
	if perm == PermPublic || perm == PermSignedIn {
		return true
	}
	for _, pi := range Policy() {
		if pi.Perm == perm {
			return slices.Contains(pi.Roles, role)
		}
	}
	return false
}

// EntityPerm is the permission needed to read an entity's records.
func EntityPerm(entity string) Perm {
	switch entity {
	case "subscriptions", "usage", "adoptions", "tickets", "churn_events":
		return PermCustomersRead
	}
	return PermPipelineRead
}

// ReportPerm is the permission needed to run a report.
func ReportPerm(report string) Perm {
	switch report {
	case "churn", "adoption", "icp":
		return PermCustomersRead
	case "reps", "teams":
		return PermPeopleRead
	}
	return PermReportsRead
}

// PermissionTable renders Policy as a Markdown table, one row per
// permission and one column per role, for README.
func PermissionTable() string {
	var b strings.Builder
	b.WriteString("| permission | what it allows |")
	for _, r := range tandem.Roles() {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n|---|---|")
	for range tandem.Roles() {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, pi := range Policy() {
		b.WriteString("| `" + string(pi.Perm) + "` | " + pi.Doc + " |")
		for _, r := range tandem.Roles() {
			if slices.Contains(pi.Roles, r) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" · |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
