// Package rules is the deal desk's approval-rule language: it parses a rule
// set (YAML, or JSON, which YAML 1.2 reads too), evaluates it against the
// facts of a quote, decides which approvals still stand when a quote changes
// (smart re-approval), and checks a rule set's approvers against a directory
// of people. It is pure: no store, HTTP or CLI code, so that the quote,
// approval and what-if code can all call the same evaluator.
//
// # Rule-set file
//
//	version: 1                  # required; the only version there is
//	sla: 24h                    # default approval SLA; optional, 24h when absent
//	rules:                      # required; may be empty
//	  - name: discount-over-10  # required, unique, [a-z0-9-]+, at most 64 characters
//	    description: ...        # optional, shown next to the approval
//	    level: 1                # required, 1 to 99; 1 is the lowest
//	    chain: discount         # optional, [a-z0-9-]+: see Levels and chains
//	    when: {...}             # required condition
//	    approvers:
//	      mode: sequential      # sequential | parallel-any | parallel-all
//	      steps:                # at least one; each names exactly one approver
//	        - relation: manager # manager | managers-manager (of the quote's rep)
//	        - role: finance     # a tandem.Role: admin, revops, product, sales, cs, finance
//	        - user: cfo@example.com
//	    sla: 12h                # optional; overrides the set's SLA for this rule
//
// Durations are Go durations ("90m", "24h") or whole days ("2d"), and must
// be positive. Parsing is strict: unknown keys, duplicate keys, wrong value
// types, unknown fields or operators, an operator that does not apply to the
// field's kind, duplicate rule names, empty conditions, bad durations, unknown
// roles, a step with no approver or two, a bad mode or level are all
// reported at once, each with file, line, column and the path of the
// offending key, as one tandem.EINVALID error wrapping a *ValidationError.
// YAML aliases (*name) are refused, because a rule file is short and an alias
// can make a small file expand without bound; anchors alone are ignored.
// Files over MaxSize are refused unread.
//
// # Conditions
//
// A condition is a mapping with exactly one of these forms:
//
//	all: [c, ...]                 every child holds (at least one child)
//	any: [c, ...]                 at least one child holds (at least one child)
//	not: c                        c does not hold
//	some-line: c                  one and the same quote line satisfies c (line.* fields only)
//	{field: f, op: o, value: v}   a leaf
//
// Fields come from a fixed schema, listed with their kinds by Fields:
//
//	quote.discount             number  overall discount, %
//	quote.term_months          number  contract term in months
//	quote.payment_terms_days   duration-days  payment terms
//	quote.billing              text    billing frequency (monthly, quarterly, annual, upfront...)
//	quote.acv                  number  annual contract value
//	quote.nonstandard          bool    the quote has non-standard terms
//	quote.features_beta        bool    a promised feature is in beta
//	quote.features_unreleased  bool    a promised feature is unreleased
//	quote.promise_months_ahead number  months from the quote to the furthest feature promise
//	deal.segment               text    the deal's segment
//	deal.amount                number  the deal's amount
//	deal.archetype             text    the matched archetype ("" for none)
//	flags                      list    codes of the guardrail flags raised on the quote
//	line.product               text    a line's product
//	line.product_class         text    a line's product class (strategic, core, maintenance...)
//	line.quantity              number  a line's quantity
//	line.list_price            number  a line's list price
//	line.discount              number  a line's discount, %
//	line.net_price             number  a line's net price
//
// Operators, and the kinds they apply to:
//
//	=  !=            number, duration-days, text, bool
//	>  >=  <  <=     number, duration-days
//	in  not-in       number, duration-days, text; the value is a non-empty list
//	contains         list; the value is one text item
//	exists           text, list; no value: the text or list is not empty
//
// Numbers are written as numbers, text as strings (quote "2024" to compare
// it as text), bools as true or false, duration-days as a number of days or
// "Nd"/"Nw" ("45d", "6w"). Text and list items compare case-insensitively.
// The facts have no separate "unknown": a number the caller does not know is
// zero and compares as zero, which is why exists does not apply to numbers
// (write "> 0"). A number that is NaN in the facts sorts below every number.
//
// A leaf on a line.* field outside some-line holds when ANY line of the
// quote satisfies it; two such leaves under all may be satisfied by
// different lines. some-line ties its leaves to one line: "a platform line
// discounted over 20%" is
//
//	some-line: {all: [{field: line.product, op: =, value: platform},
//	                  {field: line.discount, op: ">", value: 20}]}
//
// Under not, "some line" turns into "every line" (not {line.discount > 10}
// holds when no line is discounted over 10%, and for a quote with no lines).
//
// # Levels and chains
//
// A rule's level orders approvals (1 lowest) and is where an SLA
// escalation goes next. Rules that share a chain name are the levels of one
// approval ("discount over 10% manager, over 25% VP sales, over 40% CFO"):
// when several rules of a chain match, the ones at the highest matched level
// supersede the lower ones, whose Match.SupersededBy names the rule that
// supersedes them; the lower approvals are then not needed. Rules without a
// chain never supersede each other, whatever their levels.
//
// # Evaluation
//
// RuleSet.Evaluate returns a Match for every rule whose condition holds,
// ordered by level and then by position in the file. Each match carries
// the evidence: every leaf that made the condition true (under any, all
// true children, not only the first; under a line quantifier, every line
// that satisfies it, ordered by line key) with the operator in effect
// (a leaf under not shows its negation: "<=" for a negated ">") and the
// fact's value. The result does not depend on the order of the quote's
// lines, except for Evidence.Line, which indexes Facts.Lines.
//
// # Smart re-approval
//
// Reapprove decides, for each rule matched on the new version of a quote,
// whether the approval given on the previous version still stands. Lines
// are matched across versions by LineFacts.ID, or, for lines without an ID,
// by product (the second line of the same product is "product#2", and so
// on). An approval stands when the rule, unchanged (same condition, level and
// approvers), matched the previous version as well and none of its evidence
// leaves on the new version is stronger. A leaf is stronger when
//
//   - it was false on the previous version: a newly true bool, a list that
//     newly contains the item, a text newly equal, a number newly past its
//     threshold, and any leaf on a line that was not on the previous version;
//   - or it is a ">" or ">=" leaf whose fact grew, or a "<" or "<=" leaf
//     whose fact fell, even though the leaf held before.
//
// Facts that stay the same or move away from a threshold keep the approval;
// so does a leaf that stopped holding, and a removed line. A match that a
// higher level of its chain superseded on the previous version counts as
// approved: the higher approval covered it, and still does when the quote
// drops back to the lower level without meeting it more strongly. Leaves with "=",
// "!=", "in", "not-in", "contains" and "exists" that held before are never
// stronger. Otherwise the approval must be requested again, and
// Decision.Reason says why ("newly matched", "rule changed since the
// previous version", or each stronger leaf: "line discount rose from 12% to
// 18% (> 10) on line platform").
//
// # Approvers
//
// Resolving approvers needs the store; RuleSet.CheckApprovers is the pure
// check the code that applies a rule set calls first, against a Directory:
// cycles in the manager relation reachable from any rep, reps without the
// manager (or manager's manager) a relation step needs, managers who are not
// users, user steps naming no user, and role steps naming a role nobody
// holds. All problems come back at once, as for Parse.
package rules
