package importer

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestDateParser(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		format, in string
		want       time.Time
		errHas     string
	}{
		{"", "2024-03-01", day(2024, 3, 1), ""},
		{"", "2024-03-01T10:00:00Z", time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), ""},
		{"", "2024-03-01T10:00:00.000+0000", time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), ""},
		{"", "2024-03-01T12:00:00+02:00", time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), ""},
		{"", "2023-07-28 03:00:00", time.Date(2023, 7, 28, 3, 0, 0, 0, time.UTC), ""},
		{"", "2023-02-30", time.Time{}, "impossible date"},
		{"", "2023-13-01", time.Time{}, "impossible date"},
		{"", "03/01/2024", time.Time{}, "--date-format"},
		{"", "yesterday", time.Time{}, "cannot read"},
		{"DD/MM/YYYY", "03/01/2024", day(2024, 1, 3), ""},
		{"MM/DD/YYYY", "03/01/2024", day(2024, 3, 1), ""},
		{"M/D/YYYY", "3/1/2024", day(2024, 3, 1), ""},
		{"02.01.2006", "03.01.2024", day(2024, 1, 3), ""},
		{"DD/MM/YYYY", "2024-05-06", day(2024, 5, 6), ""}, // ISO always accepted
		{"DD/MM/YYYY", "31/02/2024", time.Time{}, "impossible date"},
	}
	for _, tt := range tests {
		t.Run(tt.format+" "+tt.in, func(t *testing.T) {
			p, err := NewDateParser(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Parse(tt.in)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tt.in, err, tt.errHas)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	if _, err := NewDateParser("DD/MM"); err == nil {
		t.Error("a date format without a year was accepted")
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1054", 1054, true}, {"-3.5", -3.5, true}, {"$1,200.50", 1200.5, true}, {"USD 1,234,567", 1234567, true},
		{"1,2", 0, false}, {"12,34,567", 0, false}, {"abc", 0, false}, {"", 0, false}, {"NaN", 0, false},
		{"Inf", 0, false}, {"0x10", 0, false}, {"1_000", 0, false}, {"1e3", 1000, true}, {"€7", 7, true},
	}
	for _, tt := range tests {
		got, err := parseNumber(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseNumber(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestConvert(t *testing.T) {
	cat := tandem.NewCatalog()
	deals, _ := cat.Entity("deals")
	dp, _ := NewDateParser("")
	col := func(name string) *tandem.Column { c, _ := deals.Column(name); return c }
	tests := []struct {
		col    string
		in     string
		want   any
		errHas string
	}{
		{"amount", "12.5", 12.5, ""},
		{"amount", "-1", nil, "must not be negative"},
		{"amount", "ten", nil, "as a number"},
		{"outcome", "WON", "won", ""},
		{"outcome", "maybe", nil, "--value outcome:maybe="},
		{"features", "SSO; ; Audit Log;", []string{"SSO", "Audit Log"}, ""},
		{"created", "2024-01-31", time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), ""},
	}
	for _, tt := range tests {
		got, err := convert(col(tt.col), tt.in, dp)
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("convert(%s, %q) error = %v, want %q", tt.col, tt.in, err, tt.errHas)
			}
			continue
		}
		if err != nil || tandem.FormatValue(got) != tandem.FormatValue(tt.want) {
			t.Errorf("convert(%s, %q) = %#v, %v; want %#v", tt.col, tt.in, got, err, tt.want)
		}
	}
	accounts, _ := cat.Entity("accounts")
	emp, _ := accounts.Column("employees")
	if _, err := convert(emp, "12.5", dp); err == nil {
		t.Error("a fractional employee count was accepted")
	}
}

func TestDetectFormat(t *testing.T) {
	cat := tandem.NewCatalog()
	deals, _ := cat.Entity("deals")
	tests := []struct {
		header []string
		want   string
	}{
		{[]string{"id", "stage", "amount", "attr.region"}, FormatTandem},
		{[]string{"Id", "AccountId", "Name", "StageName", "Amount", "CloseDate", "IsWon", "IsClosed"}, FormatSalesforce},
		{[]string{"ID", "ACCOUNTID", "STAGENAME", "AMOUNT", "CLOSEDATE", "CREATEDDATE"}, FormatSalesforce},
		{[]string{"Opportunity Name", "Stage", "Close Date", "Account Name", "Opportunity Owner", "Amount"}, FormatSalesforce},
		{[]string{"Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Create Date", "Pipeline"}, FormatHubSpot},
		{[]string{"hs_object_id", "dealname", "dealstage", "amount", "hs_date_entered_closedwon"}, FormatHubSpot},
		{[]string{"opportunity_id", "sales_agent", "deal_stage", "close_value"}, FormatCSV},
	}
	for _, tt := range tests {
		if got := DetectFormat(deals, tt.header); got != tt.want {
			t.Errorf("DetectFormat(%v) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

func TestHubspotStage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hs_date_entered_closedwon", "closedwon"},
		{`Date entered "Closed Won (Sales Pipeline)"`, "Closed Won"},
		{`Date entered "Demo"`, "Demo"},
		{"hs_date_entered_", ""},
		{"Amount", ""},
	}
	for _, tt := range tests {
		got, ok := hubspotStage(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("hubspotStage(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}
