package importer

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
)

// FuzzDateParser: parsing never panics, and a parsed date formatted the
// canonical way parses back to the same instant.
func FuzzDateParser(f *testing.F) {
	for _, s := range []string{"2024-03-01", "2024-02-30", "2024-03-01T10:00:00.000+0000", "03/01/2024", "2023-07-28 03:00:00", ""} {
		f.Add(s, "")
		f.Add(s, "DD/MM/YYYY")
	}
	f.Fuzz(func(t *testing.T, s, format string) {
		p, err := NewDateParser(format)
		if err != nil {
			return
		}
		got, err := p.Parse(s)
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("Parse(%q) not in UTC: %v", s, got)
		}
		back, err := p.Parse(tandem.FormatValue(got))
		if err != nil || !back.Equal(got) {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", s, got, tandem.FormatValue(got), back, err)
		}
	})
}

// FuzzMapper: converting any cell for any column never panics, and a
// converted value formatted canonically converts back to the same text.
func FuzzMapper(f *testing.F) {
	for _, s := range []string{"12.5", "-1", "$1,200", "won", "Closed Won", "a;b;;c", "2024-01-31", "yes", "1e400", "NaN"} {
		f.Add(s)
	}
	cat := tandem.NewCatalog()
	dates, _ := NewDateParser("")
	f.Fuzz(func(t *testing.T, s string) {
		for _, e := range cat.Entities() {
			for i := range e.Columns {
				c := &e.Columns[i]
				v, err := convert(c, s, dates)
				if err != nil {
					continue
				}
				text := tandem.FormatValue(v)
				if c.Kind == tandem.KindList && text == "" {
					continue
				}
				again, err := convert(c, text, dates)
				if err != nil || tandem.FormatValue(again) != text {
					t.Fatalf("%s.%s: %q -> %q -> %v, %v", e.Name, c.Name, s, text, again, err)
				}
			}
		}
		DetectFormat(cat.Entities()[5], strings.Split(s, ","))
		hubspotStage(s)
	})
}

// FuzzCSVImport feeds arbitrary bytes to a dry-run deals import on a real
// SQLite store: it must never panic, must fail only with an invalid-input
// error that lists its problems, and must never write.
func FuzzCSVImport(f *testing.F) {
	for _, s := range []string{
		"id,stage,amount\nD1,Won,10\n",
		"\xEF\xBB\xBFid,stage\r\nD1,Lost\r\n",
		"id,stage\nD1,\"Won\nD2,Lost\n",
		"id,stage,amount\nD1,Won\n",
		"Record ID,Deal Stage,hs_date_entered_closedwon\n1,closedwon,2024-01-01\n",
		"ID,STAGENAME,ISWON,ISCLOSED\n1,Closed Won,true,true\n",
		"id,stage,features,account_id\nD1,Won,SSO;Audit,A1\n",
	} {
		f.Add([]byte(s))
	}
	cat := tandem.NewCatalog()
	db := sqldbtest.Open(f, "sqlite", cat)
	im := &Importer{Store: db, Catalog: cat}
	deals, _ := cat.Entity("deals")
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := im.run(context.Background(), deals, bytes.NewReader(data), int64(len(data)), "fuzz.csv", Options{DryRun: true})
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("error code %s: %v", tandem.ErrorCode(err), err)
			}
			if sum == nil || len(sum.Errors) == 0 {
				t.Fatalf("error without listed problems: %v", err)
			}
		}
		if n, _ := db.Count(context.Background(), "deals"); n != 0 {
			t.Fatalf("dry run wrote %d deals", n)
		}
	})
}
