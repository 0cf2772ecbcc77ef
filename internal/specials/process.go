package specials

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// Action is a move of the six-step process. Moves are named by intent,
// not by target step, so that the process, not the caller, decides where
// a special goes next.
type Action string

// The actions. Which are legal depends on the step; see Allowed.
const (
	// Advance completes the current step (Notes and SignedBy required)
	// and goes to the next. From find-workarounds use Accept or Decline;
	// from measure-and-productize use Productize or OneOff.
	Advance Action = "advance"
	// Skip completes the current step as skipped; SkipReason required.
	// Legal where Advance is.
	Skip Action = "skip"
	// Accept completes find-workarounds into simplest-slice: the decision
	// to build. It needs Move.Accept with the Leader who signs off, the
	// Quarter whose capacity it uses and what it Displaces (empty only
	// when Notes says "nothing moves: <why>"), and all earlier steps done
	// or skipped. A SkipReason on Accept records find-workarounds as
	// skipped.
	Accept Action = "accept"
	// Decline ends any open step (talk-to-rep … find-workarounds) as
	// declined; Notes (the reason) required.
	Decline Action = "decline"
	// Withdraw ends any open or building step as withdrawn; Notes
	// required.
	Withdraw Action = "withdraw"
	// Productize ends measure-and-productize as productized; Notes
	// required.
	Productize Action = "productize"
	// OneOff ends measure-and-productize as one-off; Notes required.
	OneOff Action = "one-off"
)

// Actions lists every action, in the order Allowed uses.
func Actions() []Action {
	return []Action{Advance, Skip, Accept, Decline, Withdraw, Productize, OneOff}
}

// ParseAction returns the action named s, or EINVALID listing them, so
// CLI flags and API bodies get the same message.
func ParseAction(s string) (Action, error) {
	a := Action(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Actions(), a) {
		return a, nil
	}
	return "", tandem.Errorf(tandem.EINVALID, "unknown action %q (one of: %s)", s, joinActions(Actions()))
}

// Move is one action with who, when and what they recorded.
type Move struct {
	Action     Action
	By         string
	At         time.Time
	Notes      string
	SignedBy   string
	SkipReason string
	// Accept is the leader's sign-off; only for the Accept action.
	Accept *tandem.Acceptance
}

// NothingMoves is the prefix of the notes that justify an acceptance that
// displaces no roadmap work: "nothing moves: the slice fits in slack".
const NothingMoves = "nothing moves:"

// MaxDisplaceWeeks bounds one roadmap impact, like an effort estimate: five
// years of slip is a typo.
const MaxDisplaceWeeks = 260

// Open reports whether a step is one of the four before acceptance, where
// the special can still be declined.
func Open(step tandem.SpecialStep) bool {
	switch step {
	case tandem.StepTalkToRep, tandem.StepSpeakToProspect, tandem.StepReviewEvidence, tandem.StepFindWorkarounds:
		return true
	}
	return false
}

// Building reports whether a step is after acceptance and before the end:
// simplest-slice and measure-and-productize, the steps that use capacity.
func Building(step tandem.SpecialStep) bool {
	return step == tandem.StepSimplestSlice || step == tandem.StepMeasure
}

// Ended reports whether a step is one of the four ends: productized,
// one-off, declined, withdrawn. Nothing moves from there.
func Ended(step tandem.SpecialStep) bool {
	switch step {
	case tandem.StepProductized, tandem.StepOneOff, tandem.StepDeclined, tandem.StepWithdrawn:
		return true
	}
	return false
}

// Known reports whether step is one of the ten steps and ends.
func Known(step tandem.SpecialStep) bool {
	return Open(step) || Building(step) || Ended(step)
}

// Allowed lists the actions legal from a step, in a stable order (that of
// Actions), so pages can show exactly the buttons that work.
func Allowed(step tandem.SpecialStep) []Action {
	switch step {
	case tandem.StepTalkToRep, tandem.StepSpeakToProspect, tandem.StepReviewEvidence:
		return []Action{Advance, Skip, Decline, Withdraw}
	case tandem.StepFindWorkarounds:
		return []Action{Accept, Decline, Withdraw}
	case tandem.StepSimplestSlice:
		return []Action{Advance, Skip, Withdraw}
	case tandem.StepMeasure:
		return []Action{Withdraw, Productize, OneOff}
	}
	return nil
}

// next is where Advance and Skip go from a step.
func next(step tandem.SpecialStep) tandem.SpecialStep {
	switch step {
	case tandem.StepTalkToRep:
		return tandem.StepSpeakToProspect
	case tandem.StepSpeakToProspect:
		return tandem.StepReviewEvidence
	case tandem.StepReviewEvidence:
		return tandem.StepFindWorkarounds
	case tandem.StepSimplestSlice:
		return tandem.StepMeasure
	}
	return ""
}

// Apply checks the move against the special's current step and returns
// the special after it: History gets one StepRecord (Step = the step left,
// To = where it went), Step moves, and Accept is set on Accept. Productize
// and OneOff also set Outcome.Productized when an outcome is recorded.
//
// Illegal moves return tandem.EINVALID saying what is allowed from here,
// and the zero Special. Apply never mutates its input: slices and pointers
// it changes are copied.
func Apply(sp tandem.Special, m Move) (tandem.Special, error) {
	step := sp.Step
	if !Known(step) {
		return tandem.Special{}, tandem.Errorf(tandem.EINVALID, "special %s is at unknown step %q", sp.ID, step)
	}
	if Ended(step) {
		return tandem.Special{}, tandem.Errorf(tandem.EINVALID, "special %s has ended (%s); nothing can move it", sp.ID, step)
	}
	allowed := Allowed(step)
	if !slices.Contains(allowed, m.Action) {
		if _, err := ParseAction(string(m.Action)); err != nil {
			return tandem.Special{}, tandem.Errorf(tandem.EINVALID, "unknown action %q; from %s: %s", m.Action, step, joinActions(allowed))
		}
		return tandem.Special{}, tandem.Errorf(tandem.EINVALID, "cannot %s special %s at %s%s; from here: %s",
			m.Action, sp.ID, step, hint(step, m.Action), joinActions(allowed))
	}
	by := strings.TrimSpace(m.By)
	if by == "" {
		return tandem.Special{}, tandem.Errorf(tandem.EINVALID, "%s: who is moving the special is required", m.Action)
	}
	if m.At.IsZero() {
		return tandem.Special{}, tandem.Errorf(tandem.EINVALID, "%s: the time of the move is required", m.Action)
	}
	notes := strings.TrimSpace(m.Notes)
	signed := strings.TrimSpace(m.SignedBy)
	skip := strings.TrimSpace(m.SkipReason)
	rec := tandem.StepRecord{Step: step, By: by, At: m.At, Notes: notes, SignedBy: signed}

	out := sp
	// A fresh backing array: appending must never write into the caller's.
	out.History = make([]tandem.StepRecord, len(sp.History), len(sp.History)+1)
	copy(out.History, sp.History)

	switch m.Action {
	case Advance:
		if notes == "" || signed == "" {
			return tandem.Special{}, tandem.Errorf(tandem.EINVALID, "advance from %s needs notes and a sign-off (signed_by); to skip the step, give a skip reason instead", step)
		}
		rec.To = next(step)
	case Skip:
		if skip == "" {
			return tandem.Special{}, tandem.Errorf(tandem.EINVALID, "skipping %s needs a recorded reason (skip_reason)", step)
		}
		rec.Skipped, rec.SkipReason, rec.To = true, skip, next(step)
	case Accept:
		acc, err := checkAcceptance(sp, m, notes)
		if err != nil {
			return tandem.Special{}, err
		}
		if rec.SignedBy == "" {
			rec.SignedBy = acc.Leader
		}
		if skip != "" {
			rec.Skipped, rec.SkipReason = true, skip
		}
		rec.To = tandem.StepSimplestSlice
		out.Accept = acc
	case Decline, Withdraw, Productize, OneOff:
		if notes == "" {
			return tandem.Special{}, tandem.Errorf(tandem.EINVALID, "%s needs notes saying why", m.Action)
		}
		rec.To = map[Action]tandem.SpecialStep{Decline: tandem.StepDeclined, Withdraw: tandem.StepWithdrawn,
			Productize: tandem.StepProductized, OneOff: tandem.StepOneOff}[m.Action]
		if (m.Action == Productize || m.Action == OneOff) && sp.Outcome != nil {
			o := *sp.Outcome
			o.Productized = m.Action == Productize
			out.Outcome = &o
		}
	}
	out.History = append(out.History, rec)
	out.Step = rec.To
	return out, nil
}

// checkAcceptance validates the leader's sign-off and returns a copy of
// it, with At defaulting to the move's time.
func checkAcceptance(sp tandem.Special, m Move, notes string) (*tandem.Acceptance, error) {
	for _, s := range []tandem.SpecialStep{tandem.StepTalkToRep, tandem.StepSpeakToProspect, tandem.StepReviewEvidence} {
		if !slices.ContainsFunc(sp.History, func(r tandem.StepRecord) bool { return r.Step == s }) {
			return nil, tandem.Errorf(tandem.EINVALID, "accept: step %s has no record; every earlier step must be done or skipped first", s)
		}
	}
	if m.Accept == nil {
		return nil, tandem.Errorf(tandem.EINVALID, "accept needs a leader's sign-off: leader, quarter and the roadmap items it displaces")
	}
	acc := *m.Accept
	acc.Leader = strings.TrimSpace(acc.Leader)
	if acc.Leader == "" {
		return nil, tandem.Errorf(tandem.EINVALID, "accept needs the leader who signs off on its consequence for other roadmap work")
	}
	if _, _, err := ParseQuarter(acc.Quarter); err != nil {
		return nil, tandem.Errorf(tandem.EINVALID, "accept: quarter: %s", tandem.ErrorMessage(err))
	}
	if len(acc.Displaces) == 0 {
		rest, ok := cutPrefixFold(notes, NothingMoves)
		if !ok || strings.TrimSpace(rest) == "" {
			return nil, tandem.Errorf(tandem.EINVALID, "accept must list the roadmap items it displaces and by how many weeks, or say why none moves in notes starting %q", NothingMoves+" …")
		}
	}
	acc.Displaces = slices.Clone(acc.Displaces)
	for i, d := range acc.Displaces {
		d.Item = strings.TrimSpace(d.Item)
		if d.Item == "" {
			return nil, tandem.Errorf(tandem.EINVALID, "accept: displaced item %d has no name", i+1)
		}
		if math.IsNaN(d.Weeks) || d.Weeks <= 0 || d.Weeks > MaxDisplaceWeeks {
			return nil, tandem.Errorf(tandem.EINVALID, "accept: %q must move by more than 0 and at most %d weeks (got %v)", d.Item, MaxDisplaceWeeks, d.Weeks)
		}
		acc.Displaces[i] = d
	}
	if acc.OverWarning && strings.TrimSpace(acc.Confirmation) == "" {
		return nil, tandem.Errorf(tandem.EINVALID, "accept: over the budget's warning line needs the leader's explicit confirmation")
	}
	if acc.At.IsZero() {
		acc.At = m.At
	}
	return &acc, nil
}

// hint explains the commonest wrong moves.
func hint(step tandem.SpecialStep, a Action) string {
	switch {
	case step == tandem.StepFindWorkarounds && (a == Advance || a == Skip):
		return " (after looking for workarounds the special is accepted, with a leader's sign-off, or declined)"
	case step == tandem.StepMeasure && (a == Advance || a == Skip):
		return " (measuring ends as productized or one-off)"
	case Building(step) && a == Decline:
		return " (it is accepted; withdraw it instead)"
	case a == Accept:
		return " (only from find-workarounds)"
	case a == Productize || a == OneOff:
		return " (only from measure-and-productize)"
	}
	return ""
}

func joinActions(as []Action) string {
	if len(as) == 0 {
		return "nothing"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
