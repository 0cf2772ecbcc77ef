package service

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
)

// ReportPerms lists the permissions running a report with these parameters
// needs: the report's own (auth.ReportPerm), and people:read when a field
// it groups, filters or adjusts by is a rep's (rep_id, rep.*), since a
// report by rep is rep performance whatever its name.
func ReportPerms(name string, params url.Values) []auth.Perm {
	perms := []auth.Perm{auth.ReportPerm(name)}
	var fields []string
	for _, k := range []string{"by", "adjust"} {
		for _, v := range params[k] {
			fields = append(fields, strings.Split(v, ",")...)
		}
	}
	for _, w := range params["where"] {
		f, _, _ := strings.Cut(strings.Replace(w, "!=", "=", 1), "=")
		fields = append(fields, f)
	}
	for _, f := range fields {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "rep_id" || f == "rep" || strings.HasPrefix(f, "rep.") {
			return append(perms, auth.PermPeopleRead)
		}
	}
	return perms
}

// customerMetric reports whether a halo metric is drawn from customers'
// subscriptions (renewal, churn, expansion).
func customerMetric(name string) bool {
	for _, p := range []string{"renewal", "churn", "expansion"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ReportAs runs a report for a viewer whose role holds the permissions can
// reports: EFORBIDDEN when the report or a field in its parameters needs a
// permission the viewer lacks. Viewers who may not read customer data get
// the halo report without its renewal, churn and expansion figures.
func (s *Service) ReportAs(ctx context.Context, can func(auth.Perm) bool, name string, params url.Values) (*tandem.Report, error) {
	for _, p := range ReportPerms(name, params) {
		if !can(p) {
			return nil, tandem.Errorf(tandem.EFORBIDDEN, "this report with these parameters needs %s, which your role does not have", p)
		}
	}
	rep, err := s.Report(ctx, name, params)
	if err != nil || name != "halo" || can(auth.PermCustomersRead) {
		return rep, err
	}
	return withoutCustomerMetrics(rep), nil
}

// withoutCustomerMetrics returns a copy of a halo report without the
// metrics drawn from subscriptions (the cached report stays whole).
func withoutCustomerMetrics(rep *tandem.Report) *tandem.Report {
	out := *rep
	out.Metrics = slices.DeleteFunc(slices.Clone(rep.Metrics), func(m tandem.MetricInfo) bool { return customerMetric(m.Name) })
	out.Definitions = maps.Clone(rep.Definitions)
	maps.DeleteFunc(out.Definitions, func(k, _ string) bool { return customerMetric(k) })
	strip := func(gs []tandem.Group) []tandem.Group {
		if gs == nil {
			return nil
		}
		res := make([]tandem.Group, len(gs))
		for i, g := range gs {
			g.Metrics = maps.Clone(g.Metrics)
			maps.DeleteFunc(g.Metrics, func(k string, _ tandem.Estimate) bool { return customerMetric(k) })
			res[i] = g
		}
		return res
	}
	out.Groups, out.Apart = strip(rep.Groups), strip(rep.Apart)
	out.Notes = append(slices.Clone(rep.Notes), "renewal, churn and expansion figures are left out: your role does not read customer data")
	return &out
}
