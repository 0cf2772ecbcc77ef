// Package winloss reads why deals are won and lost, and looks back at the
// losses that hurt (issue 8, DESIGN §2.5 and §2.6). It is pure: the reason
// taxonomy and its value map, the mapping of free-text CRM loss reasons to
// reason codes, and the reports (reasons by period, segment, competitor and
// product; the gap between what reps and buyers say; the roadmap check;
// post-mortem root causes over time and the post-mortems still missing)
// work on plain structs the service fills from the store.
//
// Every figure carries its n and a 95% interval (DESIGN §6): Wilson for
// shares, and for the paired rep-versus-buyer difference Newcombe's
// square-and-add method for paired proportions (see PairedDiff). Groups
// under the minimum sample are marked "insufficient data". Figures say
// which deals cite a reason; they describe association, not cause.
package winloss
