package tandem

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestErrorCodesMapToOneStatusTable(t *testing.T) {
	tests := []struct {
		err    error
		code   string
		status int
		exit   int
	}{
		{nil, "", http.StatusOK, 0},
		{Errorf(EINVALID, "bad"), EINVALID, http.StatusBadRequest, 2},
		{fmt.Errorf("wrapped: %w", Errorf(ENOTFOUND, "gone")), ENOTFOUND, http.StatusNotFound, 3},
		{Errorf(ECONFLICT, "clash"), ECONFLICT, http.StatusConflict, 4},
		{errors.New("disk on fire"), EINTERNAL, http.StatusInternalServerError, 1},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.code)
		}
		if got := HTTPStatus(tt.err); got != tt.status {
			t.Errorf("HTTPStatus(%v) = %d, want %d", tt.err, got, tt.status)
		}
		if got := ExitCode(tt.err); got != tt.exit {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.exit)
		}
	}
	if got := ErrorMessage(errors.New("password=hunter2")); got != "internal error" {
		t.Errorf("internal error message leaks its cause: %q", got)
	}
	e := &Error{Code: EINVALID, Op: "import deals", Message: "bad row", Err: errors.New("cause")}
	if got := ErrorMessage(e); got != "import deals: bad row: cause" {
		t.Errorf("ErrorMessage = %q", got)
	}
}

func TestNormalizeName(t *testing.T) {
	same := [][2]string{{"GTXPro", "GTX Pro"}, {"gtx-pro", "GTX_PRO"}, {" Workflow  Automation ", "workflow.automation"}}
	for _, p := range same {
		if NormalizeName(p[0]) != NormalizeName(p[1]) {
			t.Errorf("%q and %q should match", p[0], p[1])
		}
	}
	if NormalizeName("GTX Pro") == NormalizeName("GTX Plus Pro") {
		t.Error("different products matched")
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, ""}, {Absent{}, ""}, {"x", "x"}, {int64(-3), "-3"}, {1054.0, "1054"}, {0.1, "0.1"}, {true, "true"},
		{time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), "2024-03-01"},
		{time.Date(2024, 3, 1, 10, 0, 0, 500, time.FixedZone("x", 3600)), "2024-03-01T09:00:00.0000005Z"},
		{[]string{"a", "b"}, "a;b"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v); got != tt.want {
			t.Errorf("FormatValue(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestParseBool(t *testing.T) {
	for _, s := range []string{"true", "TRUE", "Yes", "y", "1", " t "} {
		if v, ok := ParseBool(s); !v || !ok {
			t.Errorf("ParseBool(%q) = %v, %v", s, v, ok)
		}
	}
	for _, s := range []string{"false", "No", "n", "0", "F"} {
		if v, ok := ParseBool(s); v || !ok {
			t.Errorf("ParseBool(%q) = %v, %v", s, v, ok)
		}
	}
	if _, ok := ParseBool("maybe"); ok {
		t.Error("maybe parsed as a boolean")
	}
}

// TestCatalogOrder checks that every reference points to an entity listed
// earlier (or to itself), which is what makes the catalog order an import
// order, and that ids come first.
func TestCatalogOrder(t *testing.T) {
	cat := NewCatalog()
	seen := map[string]bool{}
	for _, e := range cat.Entities() {
		if e.Columns[0].Name != "id" {
			t.Errorf("%s: first column is %s, not id", e.Name, e.Columns[0].Name)
		}
		for _, c := range e.Columns {
			if c.Ref != "" && c.Ref != e.Name && !seen[c.Ref] {
				t.Errorf("%s.%s refers to %s, which comes later", e.Name, c.Name, c.Ref)
			}
			if c.Kind == KindEnum && len(c.Enum) == 0 {
				t.Errorf("%s.%s is an enum without values", e.Name, c.Name)
			}
		}
		for _, k := range e.IDFrom {
			if _, i := e.Column(k); i < 0 {
				t.Errorf("%s derives its id from unknown column %s", e.Name, k)
			}
		}
		seen[e.Name] = true
	}
	if _, err := cat.Entity("nope"); ErrorCode(err) != EINVALID {
		t.Errorf("unknown entity: %v", err)
	}
}
