package desk

import (
	"fmt"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk/rules"
)

// Previous is what the desk recorded for a quote's previous version: the
// facts the rules saw, the matches under the rule set in force then, and
// that version's approval steps.
type Previous struct {
	Version   int
	Facts     rules.Facts
	Matches   []rules.Match
	Approvals []tandem.Approval
}

// RouteInput is a new quote version to route.
type RouteInput struct {
	QuoteID string
	Version int
	DealID  string
	RepID   string // the deal's rep, whose managers relation steps name
	Facts   rules.Facts
	Prev    *Previous // nil for a quote's first version
	Now     time.Time
	NewID   func() string
}

// Route returns the approval steps a new quote version needs, under rule
// set rs, with each step's approver resolved through people.
//
// Every match whose approval is needed (not superseded by a higher level of
// its chain) gets one row per step. When the previous version's approval of
// the rule was given and rules.Reapprove says it stands, its rows are
// carried over (approved, with CarriedFrom and the reason it stands);
// otherwise the steps are requested anew, with the reason in Basis. A
// rejection never carries: the rep revised the quote, so the rule is asked
// again. Superseded matches get one skipped row, so the record shows why no
// approval was asked.
//
// A relation step whose rep has no manager (or manager's manager) recorded,
// or whose manager is no user, goes to the revops role instead, and Via says
// so: an approval that nobody can give would hold the quote forever.
func Route(rs *rules.RuleSet, people *People, in RouteInput) []tandem.Approval {
	matches := rs.Evaluate(in.Facts)
	var decisions []rules.Decision
	given := map[string]bool{}
	coveredBy := map[string]string{} // rule → the given higher level that covered it
	prevRows := map[string][]tandem.Approval{}
	if in.Prev != nil {
		for _, a := range in.Prev.Approvals {
			prevRows[a.Rule] = append(prevRows[a.Rule], a)
		}
		var prevGiven []rules.Match
		for _, m := range in.Prev.Matches {
			if m.SupersededBy == "" && RuleStatus(prevRows[m.Rule.Name]) == tandem.ApprovalApproved {
				given[m.Rule.Name] = true
			}
		}
		for _, m := range in.Prev.Matches {
			switch {
			case given[m.Rule.Name]:
				prevGiven = append(prevGiven, m)
			case m.SupersededBy != "" && given[m.SupersededBy]:
				prevGiven = append(prevGiven, m)
				coveredBy[m.Rule.Name] = m.SupersededBy
			}
		}
		decisions = rules.Reapprove(prevGiven, matches, in.Prev.Facts, in.Facts)
	} else {
		for _, m := range matches {
			decisions = append(decisions, rules.Decision{Match: m, Reason: rules.ReasonNew})
		}
	}
	var out []tandem.Approval
	for _, d := range decisions {
		m := d.Match
		r := m.Rule
		base := tandem.Approval{
			QuoteID: in.QuoteID, QuoteVersion: in.Version, DealID: in.DealID,
			Rule: r.Name, Level: r.Level, Chain: r.Chain, Mode: string(r.Approvers.Mode),
			Evidence: evidenceText(m.Evidence), RequestedAt: in.Now,
		}
		if m.SupersededBy != "" {
			a := base
			a.ID, a.Status = in.NewID(), tandem.ApprovalSkipped
			a.Basis = "not needed: " + m.SupersededBy + " is a higher level of chain " + r.Chain
			out = append(out, a)
			continue
		}
		if d.Stands && given[r.Name] {
			for _, p := range prevRows[r.Name] {
				a := p
				a.ID, a.QuoteVersion, a.CarriedFrom = in.NewID(), in.Version, p.ID
				a.Evidence = base.Evidence
				a.Basis = fmt.Sprintf("stands from version %d: %s", p.QuoteVersion, d.Reason)
				out = append(out, a)
			}
			continue
		}
		if higher := coveredBy[r.Name]; d.Stands && higher != "" {
			// The higher level's approval covered this rule on the previous
			// version; record it against this rule's steps, signed by
			// whoever gave the higher one last.
			last := lastApproved(prevRows[higher])
			for i, s := range r.Approvers.Steps {
				a := base
				a.ID, a.Step, a.Status, a.CarriedFrom = in.NewID(), i, tandem.ApprovalApproved, last.ID
				a.Approver, a.Via = resolve(s, people, in.RepID)
				a.ActedBy, a.ActedAt = last.ActedBy, last.ActedAt
				a.Basis = fmt.Sprintf("stands from version %d: %s", in.Prev.Version, d.Reason)
				out = append(out, a)
			}
			continue
		}
		basis := d.Reason
		switch RuleStatus(prevRows[r.Name]) {
		case tandem.ApprovalRejected:
			basis = fmt.Sprintf("rejected on version %d; asked again for the revised quote (%s)", in.Prev.Version, basis)
		case tandem.ApprovalPending:
			basis = fmt.Sprintf("still open on version %d when the quote changed (%s)", in.Prev.Version, basis)
		}
		for i, s := range r.Approvers.Steps {
			a := base
			a.ID, a.Step, a.Basis = in.NewID(), i, basis
			a.Approver, a.Via = resolve(s, people, in.RepID)
			a.Status = tandem.ApprovalPending
			if r.Approvers.Mode == rules.ModeSequential && i > 0 {
				a.Status = tandem.ApprovalWaiting
			} else {
				a.DueAt = in.Now.Add(r.SLA)
			}
			out = append(out, a)
		}
	}
	return out
}

// lastApproved returns the step approved last.
func lastApproved(steps []tandem.Approval) tandem.Approval {
	var last tandem.Approval
	for _, s := range steps {
		if s.Status == tandem.ApprovalApproved && !s.ActedAt.Before(last.ActedAt) {
			last = s
		}
	}
	return last
}

// resolve names the approver of one step for a quote of rep.
func resolve(s rules.Step, people *People, rep string) (approver, via string) {
	switch {
	case s.User != "":
		return s.User, "named in the rule"
	case s.Role != "":
		return "role:" + string(s.Role), "anyone with the role " + string(s.Role)
	}
	name := people.RepName(rep)
	m, ok := people.ManagerOf(rep)
	what := "manager of " + name
	if ok && s.Relation == rules.RelationManagersManager {
		m, ok = people.ManagerOf(m)
		what = "manager's manager of " + name
	}
	switch {
	case !ok:
		return "role:" + string(tandem.RoleRevOps), fmt.Sprintf("routed to revops: no %s is recorded", what)
	case strings.HasPrefix(m, "rep:"):
		return "role:" + string(tandem.RoleRevOps), fmt.Sprintf("routed to revops: the %s, %s, is not a user", what, people.Label(m))
	}
	return m, what
}

// evidenceText renders a match's evidence for the approval record.
func evidenceText(ev []rules.Evidence) []string {
	out := make([]string, len(ev))
	for i, e := range ev {
		out[i] = e.String()
	}
	return out
}

// RuleStatus is where one rule's approval stands, from its steps on one
// quote version: rejected if any step was rejected; approved when the mode
// is satisfied (all steps, or for parallel-any one step); skipped when the
// rule was not needed; pending otherwise. No steps: "" (not asked).
func RuleStatus(steps []tandem.Approval) tandem.ApprovalStatus {
	if len(steps) == 0 {
		return ""
	}
	approved, open, skipped := 0, 0, 0
	for _, s := range steps {
		switch s.Status {
		case tandem.ApprovalRejected:
			return tandem.ApprovalRejected
		case tandem.ApprovalApproved:
			approved++
		case tandem.ApprovalSkipped:
			skipped++
		case tandem.ApprovalWaiting, tandem.ApprovalPending:
			open++
		case tandem.ApprovalSuperseded:
			return tandem.ApprovalSuperseded
		}
	}
	switch {
	case skipped == len(steps):
		return tandem.ApprovalSkipped
	case steps[0].Mode == string(rules.ModeParallelAny) && approved > 0:
		return tandem.ApprovalApproved
	case open == 0:
		return tandem.ApprovalApproved
	}
	return tandem.ApprovalPending
}

// QuoteStatus sums up a quote version's approvals: "rejected" if any rule
// was rejected, "pending" while any is open, "approved" when every needed
// rule is approved, "none" when nothing needs approval.
func QuoteStatus(steps []tandem.Approval) string {
	byRule := map[string][]tandem.Approval{}
	var order []string
	for _, s := range steps {
		if _, ok := byRule[s.Rule]; !ok {
			order = append(order, s.Rule)
		}
		byRule[s.Rule] = append(byRule[s.Rule], s)
	}
	status := "none"
	for _, r := range order {
		switch RuleStatus(byRule[r]) {
		case tandem.ApprovalRejected:
			return "rejected"
		case tandem.ApprovalPending:
			status = "pending"
		case tandem.ApprovalApproved:
			if status == "none" {
				status = "approved"
			}
		}
	}
	return status
}

// Away is an approver's standing delegation: while away, To acts for them.
type Away struct {
	User  string    `json:"user"`
	To    string    `json:"to"`
	From  time.Time `json:"from,omitzero"`
	Until time.Time `json:"until,omitzero"`
	Note  string    `json:"note,omitempty"`
}

// Active reports whether the delegation is in force at t.
func (a Away) Active(t time.Time) bool {
	return a.To != "" && !t.Before(a.From) && (a.Until.IsZero() || t.Before(a.Until))
}

// CanAct reports whether user may decide the step: its approver, anyone
// with the role a role step names, or a delegate of the approver who is
// away at now. It returns how ("", "delegate of …").
func CanAct(step tandem.Approval, user tandem.User, away map[string]Away, now time.Time) (bool, string) {
	email := strings.ToLower(user.Email)
	if user.Disabled || email == "" {
		return false, ""
	}
	if role, ok := strings.CutPrefix(step.Approver, "role:"); ok {
		return string(user.Role) == role, ""
	}
	if strings.EqualFold(step.Approver, email) {
		return true, ""
	}
	if a, ok := away[strings.ToLower(step.Approver)]; ok && a.Active(now) && strings.EqualFold(a.To, email) {
		return true, "as delegate of " + step.Approver
	}
	return false, ""
}

// Decision is an approver's answer.
type Decision string

// The answers.
const (
	Approve Decision = "approve"
	Reject  Decision = "reject"
)

// Act returns the updates that record user's decision on step id, given
// every step of the same quote version (steps) and the rule's SLA for the
// next sequential step. The step must be pending, on the latest version,
// and user must be allowed to act (CanAct); otherwise the error is
// ECONFLICT (not pending, superseded) or EFORBIDDEN. Approving a
// sequential step makes the next one pending; approving a parallel-any
// step skips the others; a rejection skips every other open step of the
// rule.
func Act(steps []tandem.Approval, id string, user tandem.User, away map[string]Away, d Decision, reason string, sla time.Duration, now time.Time) ([]tandem.ApprovalUpdate, error) {
	var step *tandem.Approval
	for i := range steps {
		if steps[i].ID == id {
			step = &steps[i]
		}
	}
	if step == nil {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "no approval %s", id)
	}
	if step.Status != tandem.ApprovalPending {
		what := string(step.Status)
		if step.Status == tandem.ApprovalSuperseded {
			what = "superseded by a newer version of the quote"
		}
		return nil, tandem.Errorf(tandem.ECONFLICT, "approval %s is %s; nothing to decide", id, what)
	}
	ok, as := CanAct(*step, user, away, now)
	if !ok {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "approval %s waits for %s, not %s", id, step.Approver, user.Email)
	}
	if d == Reject && strings.TrimSpace(reason) == "" {
		return nil, tandem.Errorf(tandem.EINVALID, "a rejection needs a reason")
	}
	status := tandem.ApprovalApproved
	if d == Reject {
		status = tandem.ApprovalRejected
	} else if d != Approve {
		return nil, tandem.Errorf(tandem.EINVALID, "decision %q is not approve or reject", d)
	}
	if as != "" {
		reason = strings.TrimSpace(reason + " (" + as + ")")
	}
	ups := []tandem.ApprovalUpdate{{ID: id, From: tandem.ApprovalPending, Status: status, Reason: reason, ActedBy: user.Email, ActedAt: now}}
	for _, s := range steps {
		if s.Rule != step.Rule || s.ID == id || !s.Status.Open() {
			continue
		}
		switch {
		case d == Reject, s.Mode == string(rules.ModeParallelAny):
			ups = append(ups, tandem.ApprovalUpdate{ID: s.ID, From: s.Status, Status: tandem.ApprovalSkipped,
				Reason: fmt.Sprintf("not needed after %s %sd step %d", user.Email, d, step.Step+1), ActedAt: now})
		case s.Mode == string(rules.ModeSequential) && s.Step == step.Step+1:
			ups = append(ups, tandem.ApprovalUpdate{ID: s.ID, From: tandem.ApprovalWaiting, Status: tandem.ApprovalPending, DueAt: now.Add(sla)})
		}
	}
	return ups, nil
}

// Escalate returns the updates that move each pending step past its due
// time one level up: to the manager of its approver, with a fresh SLA. A
// step whose approver has no manager who is a user (a role step, or the
// top of the hierarchy) goes to the admin role, once; a step already with
// the admins stays where it is, and is returned in stuck.
func Escalate(due []tandem.Approval, people *People, sla func(rule string) time.Duration, now time.Time) (ups []tandem.ApprovalUpdate, stuck []tandem.Approval) {
	for _, s := range due {
		if s.Status != tandem.ApprovalPending || s.DueAt.IsZero() || s.DueAt.After(now) {
			continue
		}
		to, ok := people.ManagerOf(s.Approver)
		if !ok || strings.HasPrefix(to, "rep:") {
			to = "role:" + string(tandem.RoleAdmin)
		}
		if to == s.Approver {
			stuck = append(stuck, s)
			continue
		}
		ups = append(ups, tandem.ApprovalUpdate{
			ID: s.ID, From: tandem.ApprovalPending, Status: tandem.ApprovalPending,
			Approver: to, Via: fmt.Sprintf("escalated from %s: pending past its SLA (due %s)", s.Approver, s.DueAt.UTC().Format(time.RFC3339)),
			DueAt: now.Add(sla(s.Rule)),
		})
	}
	return ups, stuck
}

// Reassign returns the update that hands one pending step to another user,
// as its approver (or an admin) may do: the step's approver becomes to.
func Reassign(step tandem.Approval, by tandem.User, to string, people *People, away map[string]Away, now time.Time) (tandem.ApprovalUpdate, error) {
	if step.Status != tandem.ApprovalPending {
		return tandem.ApprovalUpdate{}, tandem.Errorf(tandem.ECONFLICT, "approval %s is %s; only a pending approval can be delegated", step.ID, step.Status)
	}
	if ok, _ := CanAct(step, by, away, now); !ok && by.Role != tandem.RoleAdmin {
		return tandem.ApprovalUpdate{}, tandem.Errorf(tandem.EFORBIDDEN, "approval %s waits for %s; only they or an admin can delegate it", step.ID, step.Approver)
	}
	to = strings.ToLower(strings.TrimSpace(to))
	if !people.UserExists(to) {
		return tandem.ApprovalUpdate{}, tandem.Errorf(tandem.EINVALID, "no enabled user %s to delegate to", to)
	}
	if strings.EqualFold(to, step.Approver) {
		return tandem.ApprovalUpdate{}, tandem.Errorf(tandem.EINVALID, "approval %s already waits for %s", step.ID, to)
	}
	via := "delegated by " + by.Email
	if !strings.EqualFold(by.Email, step.Approver) {
		via += " (was " + step.Approver + ")"
	}
	return tandem.ApprovalUpdate{ID: step.ID, From: tandem.ApprovalPending, Status: tandem.ApprovalPending,
		Approver: to, Via: via}, nil
}
