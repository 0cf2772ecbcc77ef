package specials

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

var t0 = time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)

// atStep returns a special at step with a history that reached it
// legitimately (every earlier open step recorded).
func atStep(step tandem.SpecialStep) tandem.Special {
	sp := tandem.Special{ID: "sp-1", DealID: "d-1", Title: "SAML for Acme", Step: step, Themes: []string{"sso"}}
	order := []tandem.SpecialStep{tandem.StepTalkToRep, tandem.StepSpeakToProspect, tandem.StepReviewEvidence, tandem.StepFindWorkarounds, tandem.StepSimplestSlice, tandem.StepMeasure}
	idx := slices.Index(order, step)
	if idx < 0 {
		idx = len(order)
	}
	for i := range idx {
		to := step
		if i+1 < idx {
			to = order[i+1]
		}
		sp.History = append(sp.History, tandem.StepRecord{Step: order[i], By: "rep@x", At: t0, Notes: "done", SignedBy: "pm@x", To: to})
	}
	if Building(step) || step == tandem.StepProductized || step == tandem.StepOneOff {
		sp.Accept = &tandem.Acceptance{Leader: "cpo@x", Quarter: "2026-Q4", Displaces: []tandem.RoadmapImpact{{Item: "reports-v2", Weeks: 2}}}
		sp.Effort = &tandem.EffortEstimate{Weeks: 3, Author: "eng@x"}
	}
	return sp
}

// fullMove is a move with every field filled, so that only the step
// decides whether it is legal.
func fullMove(a Action) Move {
	return Move{Action: a, By: "pm@x", At: t0.Add(time.Hour), Notes: "nothing moves: slack in the sprint", SignedBy: "lead@x", SkipReason: "covered on the call",
		Accept: &tandem.Acceptance{Leader: "cpo@x", Quarter: "2026-Q4", Displaces: []tandem.RoadmapImpact{{Item: "reports-v2", Weeks: 2}}}}
}

func allSteps() []tandem.SpecialStep {
	return append(tandem.SpecialSteps(), tandem.StepProductized, tandem.StepOneOff, tandem.StepDeclined, tandem.StepWithdrawn)
}

// TestTransitions covers every step × every action: where it goes, or
// that it is refused with a message saying what is allowed.
func TestTransitions(t *testing.T) {
	const x = tandem.SpecialStep("") // refused
	S := tandem.StepSpeakToProspect
	R := tandem.StepReviewEvidence
	F := tandem.StepFindWorkarounds
	B := tandem.StepSimplestSlice
	M := tandem.StepMeasure
	D := tandem.StepDeclined
	W := tandem.StepWithdrawn
	P := tandem.StepProductized
	O := tandem.StepOneOff
	//                     advance skip accept decline withdraw productize one-off
	want := map[tandem.SpecialStep][7]tandem.SpecialStep{
		tandem.StepTalkToRep:       {S, S, x, D, W, x, x},
		tandem.StepSpeakToProspect: {R, R, x, D, W, x, x},
		tandem.StepReviewEvidence:  {F, F, x, D, W, x, x},
		tandem.StepFindWorkarounds: {x, x, B, D, W, x, x},
		tandem.StepSimplestSlice:   {M, M, x, x, W, x, x},
		tandem.StepMeasure:         {x, x, x, x, W, P, O},
		tandem.StepProductized:     {x, x, x, x, x, x, x},
		tandem.StepOneOff:          {x, x, x, x, x, x, x},
		tandem.StepDeclined:        {x, x, x, x, x, x, x},
		tandem.StepWithdrawn:       {x, x, x, x, x, x, x},
	}
	for _, step := range allSteps() {
		var legal []Action
		for i, a := range Actions() {
			to := want[step][i]
			got, err := Apply(atStep(step), fullMove(a))
			name := string(step) + "/" + string(a)
			if to == x {
				if tandem.ErrorCode(err) != tandem.EINVALID {
					t.Errorf("%s: got %v, %v; want EINVALID", name, got.Step, err)
					continue
				}
				msg := err.Error()
				if Ended(step) {
					if !strings.Contains(msg, "has ended") {
						t.Errorf("%s: message %q", name, msg)
					}
				} else if !strings.Contains(msg, "from here: "+joinActions(Allowed(step))) {
					t.Errorf("%s: message %q does not list what is allowed", name, msg)
				}
				continue
			}
			legal = append(legal, a)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			last := got.History[len(got.History)-1]
			if got.Step != to || last.Step != step || last.To != to || last.By != "pm@x" || !last.At.Equal(t0.Add(time.Hour)) {
				t.Errorf("%s: step %s, record %+v; want %s", name, got.Step, last, to)
			}
			if a == Skip && (!last.Skipped || last.SkipReason != "covered on the call") {
				t.Errorf("%s: skip not recorded: %+v", name, last)
			}
			if a == Accept && (got.Accept == nil || got.Accept.Leader != "cpo@x" || !got.Accept.At.Equal(t0.Add(time.Hour)) || last.SignedBy != "lead@x") {
				t.Errorf("%s: acceptance %+v record %+v", name, got.Accept, last)
			}
		}
		if !slices.Equal(legal, Allowed(step)) {
			t.Errorf("Allowed(%s) = %v; the table says %v", step, Allowed(step), legal)
		}
	}
	// Unknown step and unknown action.
	if _, err := Apply(atStep("limbo"), fullMove(Advance)); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("unknown step: %v", err)
	}
	if _, err := Apply(atStep(tandem.StepTalkToRep), fullMove("jump")); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "unknown action") {
		t.Errorf("unknown action: %v", err)
	}
}

func TestStepClasses(t *testing.T) {
	for _, s := range allSteps() {
		n := 0
		for _, f := range []func(tandem.SpecialStep) bool{Open, Building, Ended} {
			if f(s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s is in %d of open/building/ended", s, n)
		}
		if Ended(s) != (len(Allowed(s)) == 0) {
			t.Errorf("%s: ended %v but allowed %v", s, Ended(s), Allowed(s))
		}
	}
	if Open("x") || Building("x") || Ended("x") || Known("x") {
		t.Error("unknown step classified")
	}
}

// TestMissingFields: each legal move without what it needs is refused,
// with a message naming it.
func TestMissingFields(t *testing.T) {
	tests := []struct {
		name string
		step tandem.SpecialStep
		edit func(*Move)
		msg  string
	}{
		{"advance without notes", tandem.StepTalkToRep, func(m *Move) { m.Action, m.Notes = Advance, " " }, "notes and a sign-off"},
		{"advance without sign-off", tandem.StepSpeakToProspect, func(m *Move) { m.Action, m.SignedBy = Advance, "" }, "sign-off"},
		{"skip without reason", tandem.StepReviewEvidence, func(m *Move) { m.Action, m.SkipReason = Skip, "" }, "reason"},
		{"skip slice without reason", tandem.StepSimplestSlice, func(m *Move) { m.Action, m.SkipReason = Skip, "" }, "reason"},
		{"no author", tandem.StepTalkToRep, func(m *Move) { m.Action, m.By = Advance, "" }, "who"},
		{"no time", tandem.StepTalkToRep, func(m *Move) { m.Action, m.At = Advance, time.Time{} }, "time"},
		{"decline without notes", tandem.StepFindWorkarounds, func(m *Move) { m.Action, m.Notes = Decline, "" }, "notes"},
		{"withdraw without notes", tandem.StepMeasure, func(m *Move) { m.Action, m.Notes = Withdraw, "" }, "notes"},
		{"productize without notes", tandem.StepMeasure, func(m *Move) { m.Action, m.Notes = Productize, "" }, "notes"},
		{"one-off without notes", tandem.StepMeasure, func(m *Move) { m.Action, m.Notes = OneOff, "" }, "notes"},
		{"accept without acceptance", tandem.StepFindWorkarounds, func(m *Move) { m.Action, m.Accept = Accept, nil }, "leader's sign-off"},
		{"accept without leader", tandem.StepFindWorkarounds, func(m *Move) { m.Action = Accept; m.Accept.Leader = " " }, "leader"},
		{"accept bad quarter", tandem.StepFindWorkarounds, func(m *Move) { m.Action = Accept; m.Accept.Quarter = "2026-Q5" }, "YYYY-Qn"},
		{"accept displaces nothing without reason", tandem.StepFindWorkarounds, func(m *Move) { m.Action, m.Notes = Accept, "fine"; m.Accept.Displaces = nil }, "nothing moves:"},
		{"accept nothing moves, empty reason", tandem.StepFindWorkarounds, func(m *Move) { m.Action, m.Notes = Accept, "Nothing moves:  "; m.Accept.Displaces = nil }, "nothing moves:"},
		{"accept unnamed item", tandem.StepFindWorkarounds, func(m *Move) { m.Action = Accept; m.Accept.Displaces = []tandem.RoadmapImpact{{Weeks: 1}} }, "no name"},
		{"accept zero weeks", tandem.StepFindWorkarounds, func(m *Move) { m.Action = Accept; m.Accept.Displaces = []tandem.RoadmapImpact{{Item: "a"}} }, "weeks"},
		{"accept over warning unconfirmed", tandem.StepFindWorkarounds, func(m *Move) { m.Action = Accept; m.Accept.OverWarning = true }, "confirmation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := fullMove("")
			acc := *m.Accept
			m.Accept = &acc
			tc.edit(&m)
			_, err := Apply(atStep(tc.step), m)
			if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v; want EINVALID mentioning %q", err, tc.msg)
			}
		})
	}
}

func TestAcceptDetails(t *testing.T) {
	// An earlier step missing from history is refused.
	sp := atStep(tandem.StepFindWorkarounds)
	sp.History = sp.History[1:]
	if _, err := Apply(sp, fullMove(Accept)); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "talk-to-rep") {
		t.Errorf("missing history: %v", err)
	}
	// Nothing moves, with a reason; sign-off defaults to the leader;
	// acceptance is a copy.
	m := fullMove(Accept)
	m.SignedBy, m.SkipReason, m.Notes = "", "", "NOTHING MOVES: built by the partner team"
	m.Accept = &tandem.Acceptance{Leader: " cpo@x ", Quarter: "2026-q4", At: t0}
	got, err := Apply(atStep(tandem.StepFindWorkarounds), m)
	if err != nil {
		t.Fatal(err)
	}
	last := got.History[len(got.History)-1]
	if last.SignedBy != "cpo@x" || last.Skipped || got.Accept == m.Accept || !got.Accept.At.Equal(t0) || got.Accept.Leader != "cpo@x" {
		t.Errorf("record %+v accept %+v", last, got.Accept)
	}
	// Skip reason on accept records find-workarounds as skipped.
	got, err = Apply(atStep(tandem.StepFindWorkarounds), fullMove(Accept))
	if err != nil || !got.History[len(got.History)-1].Skipped {
		t.Errorf("accept with skip reason: %v %+v", err, got.History)
	}
	// Productize and one-off set the outcome's flag on a copy.
	sp = atStep(tandem.StepMeasure)
	sp.Outcome = &tandem.SpecialBuilt{DealOutcome: "won"}
	got, err = Apply(sp, fullMove(Productize))
	if err != nil || !got.Outcome.Productized || sp.Outcome.Productized {
		t.Errorf("productize outcome: %v %+v %+v", err, got.Outcome, sp.Outcome)
	}
	got, err = Apply(sp, fullMove(OneOff))
	if err != nil || got.Outcome.Productized || got.Step != tandem.StepOneOff {
		t.Errorf("one-off outcome: %v %+v", err, got.Outcome)
	}
	// Hints for the commonest wrong moves.
	for _, tc := range []struct {
		step tandem.SpecialStep
		a    Action
		hint string
	}{
		{tandem.StepFindWorkarounds, Advance, "accepted"},
		{tandem.StepMeasure, Advance, "productized or one-off"},
		{tandem.StepSimplestSlice, Decline, "withdraw"},
		{tandem.StepTalkToRep, Accept, "only from find-workarounds"},
		{tandem.StepTalkToRep, Productize, "only from measure"},
	} {
		_, err := Apply(atStep(tc.step), fullMove(tc.a))
		if err == nil || !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("%s/%s: %v; want hint %q", tc.step, tc.a, err, tc.hint)
		}
	}
}

func TestParseAction(t *testing.T) {
	for _, a := range Actions() {
		if got, err := ParseAction(" " + strings.ToUpper(string(a)) + " "); err != nil || got != a {
			t.Errorf("%s: %v %v", a, got, err)
		}
	}
	if _, err := ParseAction("jump"); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "one-off") {
		t.Errorf("jump: %v", err)
	}
}

// TestApplyProperties walks random moves through the process: Apply never
// changes its input, a legal move adds exactly one record that says where
// the special went, and a refused one returns the zero special.
func TestApplyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for walk := range 300 {
		sp := atStep(tandem.StepTalkToRep)
		sp.History = make([]tandem.StepRecord, 0, 16) // spare capacity: appends must not write into it
		for range 12 {
			m := fullMove(Actions()[rng.IntN(len(Actions()))])
			if rng.IntN(5) == 0 {
				m.Notes = ""
			}
			if rng.IntN(5) == 0 {
				m.SkipReason = ""
			}
			before, _ := json.Marshal(sp)
			spare := sp.History[:cap(sp.History)]
			spareBefore := slices.Clone(spare)
			got, err := Apply(sp, m)
			after, _ := json.Marshal(sp)
			if string(before) != string(after) || !reflect.DeepEqual(spare, spareBefore) {
				t.Fatalf("walk %d: Apply(%s) mutated its input", walk, m.Action)
			}
			if err != nil {
				if tandem.ErrorCode(err) != tandem.EINVALID || !reflect.DeepEqual(got, tandem.Special{}) {
					t.Fatalf("walk %d: refused move returned %v %+v", walk, err, got)
				}
				continue
			}
			if len(got.History) != len(sp.History)+1 {
				t.Fatalf("walk %d: history %d → %d", walk, len(sp.History), len(got.History))
			}
			last := got.History[len(got.History)-1]
			if last.Step != sp.Step || last.To != got.Step || !Known(got.Step) {
				t.Fatalf("walk %d: record %+v, step %s → %s", walk, last, sp.Step, got.Step)
			}
			sp = got
		}
	}
}
