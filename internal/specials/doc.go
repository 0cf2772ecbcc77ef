// Package specials turns a rep's "the deal dies without this one change"
// into a repeatable decision (issue 9, DESIGN §2.4). It is pure: no store,
// no clock, no I/O; the service reads specials, deals and usage from the
// store, calls these functions, and writes the result back as a new
// version.
//
// It holds four things:
//
//   - the six-step process as a state machine (Apply, Allowed): talk to
//     the rep, speak to the prospect, review the evidence, find
//     workarounds, ship the simplest slice, measure and productize; plus
//     the ends declined, withdrawn, productized and one-off. Every move
//     records who, when, notes and a sign-off; skipping needs a reason;
//     accepting needs a leader's sign-off on what it displaces.
//   - the alignment × effort matrix (Score, Adjust, CheckEffort, Place):
//     a documented alignment score from 0 to 10 whose inputs are shown,
//     and the quadrant's recommended action.
//   - the capacity budget per quarter (Quarter, CheckAccept): committed,
//     in progress and spent weeks against the budget and its warning line,
//     and the roadmap work displaced.
//   - the outcome report (Outcomes): win rate of deals with an accepted
//     special against comparable deals without, with Wilson and Newcombe
//     intervals and "associated with" wording (DESIGN §6), reuse of what
//     was built, the share of capacity spent, and the one-offs nobody else
//     uses.
//
// Errors are tandem.EINVALID with a sentence that says what is allowed.
package specials
