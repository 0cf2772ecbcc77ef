package rules

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// fakeDir is a Directory from maps: reps, each person's manager, and each
// user's roles (a user is anyone with an entry in roles).
type fakeDir struct {
	reps     []string
	managers map[string]string
	roles    map[string][]tandem.Role
}

func (d fakeDir) Reps() []string { return d.reps }
func (d fakeDir) Users() []string {
	return slices.Sorted(maps.Keys(d.roles))
}
func (d fakeDir) ManagerOf(id string) (string, bool) { m, ok := d.managers[id]; return m, ok }
func (d fakeDir) HasRole(u string, r tandem.Role) bool {
	return slices.Contains(d.roles[u], r)
}
func (d fakeDir) UserExists(email string) bool { _, ok := d.roles[email]; return ok }

// company is a healthy directory for the canonical example: two reps, their
// manager, a VP above, and a user for every role the example names.
func company() fakeDir {
	return fakeDir{
		reps:     []string{"rep-2", "rep-1"},
		managers: map[string]string{"rep-1": "mgr@x.io", "rep-2": "mgr@x.io", "mgr@x.io": "vp@x.io"},
		roles: map[string][]tandem.Role{
			"mgr@x.io": {tandem.RoleSales}, "vp@x.io": {tandem.RoleSales}, "cfo@example.com": {tandem.RoleFinance},
			"pm@x.io": {tandem.RoleProduct}, "ops@x.io": {tandem.RoleRevOps, tandem.RoleAdmin},
		},
	}
}

func TestCheckApprovers(t *testing.T) {
	rs := example(t)
	// Positions in the example: the first manager step is on line 21, the
	// first managers-manager step on line 34, cfo's user step on line 47;
	// every role step is reported where it is.
	for _, tc := range []struct {
		name string
		edit func(*fakeDir)
		want []string
	}{
		{"healthy", func(*fakeDir) {}, nil},
		{"cycle", func(d *fakeDir) {
			d.managers["vp@x.io"] = "ceo@x.io"
			d.managers["ceo@x.io"] = "mgr@x.io"
			d.roles["ceo@x.io"] = nil
		}, []string{
			"rules.yaml:21:11: rules[0].approvers.steps[0]: manager relations form a cycle: ceo@x.io → mgr@x.io → vp@x.io → ceo@x.io (rule discount-over-10, step manager)"}},
		{"self-managed", func(d *fakeDir) { d.managers["vp@x.io"] = "vp@x.io" }, []string{
			"rules.yaml:21:11: rules[0].approvers.steps[0]: manager relations form a cycle: vp@x.io → vp@x.io (rule discount-over-10, step manager)"}},
		{"rep without manager", func(d *fakeDir) { d.reps = append(d.reps, "rep-3") }, []string{
			"rules.yaml:21:11: rules[0].approvers.steps[0]: rep rep-3 has no manager (rule discount-over-10, step manager)"}},
		{"manager not a user", func(d *fakeDir) {
			d.reps = append(d.reps, "rep-3")
			d.managers["rep-3"] = "gone@x.io"
			d.managers["gone@x.io"] = "vp@x.io"
		}, []string{
			"rules.yaml:21:11: rules[0].approvers.steps[0]: rep rep-3's manager gone@x.io is not a user (rule discount-over-10, step manager)"}},
		{"no manager's manager", func(d *fakeDir) { delete(d.managers, "mgr@x.io") }, []string{
			"rules.yaml:34:11: rules[1].approvers.steps[0]: rep rep-1's manager mgr@x.io has no manager (rule discount-over-25, step managers-manager)",
			"rules.yaml:34:11: rules[1].approvers.steps[0]: rep rep-2's manager mgr@x.io has no manager (rule discount-over-25, step managers-manager)"}},
		{"unknown user", func(d *fakeDir) {
			delete(d.roles, "cfo@example.com")
			d.roles["fin@x.io"] = []tandem.Role{tandem.RoleFinance}
		}, []string{
			"rules.yaml:47:11: rules[2].approvers.steps[1]: no user cfo@example.com (rule discount-over-40, step user cfo@example.com)"}},
		{"role nobody holds", func(d *fakeDir) { delete(d.roles, "pm@x.io") }, []string{
			"rules.yaml:61:11: rules[3].approvers.steps[0]: nobody holds the role product (rule strategic-line-deep-discount, step role product)",
			"rules.yaml:97:11: rules[6].approvers.steps[0]: nobody holds the role product (rule unreleased-or-far-promise, step role product)"}},
		{"everything at once", func(d *fakeDir) {
			d.reps = append(d.reps, "rep-3", "rep-4")
			d.managers["rep-4"] = "a"
			d.managers["a"] = "b"
			d.managers["b"] = "a"
			d.roles = map[string][]tandem.Role{"mgr@x.io": nil, "vp@x.io": nil}
		}, []string{
			"rules.yaml:21:11: rules[0].approvers.steps[0]: manager relations form a cycle: a → b → a (rule discount-over-10, step manager)",
			"rules.yaml:21:11: rules[0].approvers.steps[0]: rep rep-3 has no manager (rule discount-over-10, step manager)",
			"rules.yaml:21:11: rules[0].approvers.steps[0]: rep rep-4's manager a is not a user (rule discount-over-10, step manager)",
			"rules.yaml:34:11: rules[1].approvers.steps[0]: rep rep-4's manager's manager b is not a user (rule discount-over-25, step managers-manager)",
			"rules.yaml:47:11: rules[2].approvers.steps[1]: no user cfo@example.com (rule discount-over-40, step user cfo@example.com)",
			"rules.yaml:61:11: rules[3].approvers.steps[0]: nobody holds the role product (rule strategic-line-deep-discount, step role product)",
			"rules.yaml:62:11: rules[3].approvers.steps[1]: nobody holds the role finance (rule strategic-line-deep-discount, step role finance)",
			"rules.yaml:71:11: rules[4].approvers.steps[0]: nobody holds the role finance (rule long-payment-terms, step role finance)",
			"rules.yaml:83:11: rules[5].approvers.steps[0]: nobody holds the role revops (rule nonstandard-terms, step role revops)",
			"rules.yaml:84:11: rules[5].approvers.steps[1]: nobody holds the role finance (rule nonstandard-terms, step role finance)",
			"rules.yaml:97:11: rules[6].approvers.steps[0]: nobody holds the role product (rule unreleased-or-far-promise, step role product)",
			"rules.yaml:110:11: rules[7].approvers.steps[1]: nobody holds the role revops (rule large-enterprise-deal, step role revops)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := company()
			d.managers = maps.Clone(d.managers)
			tc.edit(&d)
			got := checkProblems(t, rs, d)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// checkProblems runs CheckApprovers and returns its problems as strings,
// checking the error's code and type.
func checkProblems(t *testing.T, rs *RuleSet, d Directory) []string {
	t.Helper()
	err := rs.CheckApprovers(d)
	if err == nil {
		return nil
	}
	if c := tandem.ErrorCode(err); c != tandem.EINVALID {
		t.Errorf("code %q", c)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%T does not wrap *ValidationError", err)
	}
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.String())
	}
	return out
}

// TestCheckApproversNoRelation: a cycle is reported even when no rule names
// a relation (escalation walks the same chain), without a position; reps
// without managers are fine then.
func TestCheckApproversNoRelation(t *testing.T) {
	rs, err := Parse("r.yaml", []byte(rule(`{field: flags, op: exists}`)))
	if err != nil {
		t.Fatal(err)
	}
	d := fakeDir{reps: []string{"lonely", "r"}, managers: map[string]string{"r": "m", "m": "r"},
		roles: map[string][]tandem.Role{"f@x.io": {tandem.RoleFinance}}}
	got := checkProblems(t, rs, d)
	want := []string{"r.yaml: manager relations form a cycle: m → r → m"}
	if !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}

// TestCheckApproversEndless: a directory whose chain never ends is cut off.
func TestCheckApproversEndless(t *testing.T) {
	rs := mustParse(t, rule(`{field: flags, op: exists}`))
	got := checkProblems(t, rs, endless{})
	want := []string{"t.yaml: the management chain above r0 is longer than 1000 people"}
	if !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}

// endless invents a new manager for everyone: "rN" is managed by "rN+1".
type endless struct{}

func (endless) Reps() []string                   { return []string{"r0"} }
func (endless) Users() []string                  { return []string{"f"} }
func (endless) HasRole(string, tandem.Role) bool { return true }
func (endless) UserExists(string) bool           { return true }
func (endless) ManagerOf(id string) (string, bool) {
	return id + "'", true
}
