package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestRecordJSON(t *testing.T) {
	e := &tandem.Entity{Name: "things", Columns: []tandem.Column{
		{Name: "id", Kind: tandem.KindText},
		{Name: "n", Kind: tandem.KindInt},
		{Name: "x", Kind: tandem.KindFloat},
		{Name: "on", Kind: tandem.KindDate},
		{Name: "ok", Kind: tandem.KindBool},
		{Name: "tags", Kind: tandem.KindList},
		{Name: "class", Kind: tandem.KindEnum},
	}}
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		rec  tandem.Record
		want string
	}{
		{"every kind",
			tandem.Record{Values: []any{"t1", int64(-42), 2.5, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), true, []string{"a", "b"}, "core"}},
			`{"id":"t1","n":-42,"x":2.5,"on":"2024-02-29","ok":true,"tags":["a","b"],"class":"core"}`},
		{"nil values, empty list",
			tandem.Record{Values: []any{"t2", nil, nil, nil, false, []string{}, nil}},
			`{"id":"t2","n":null,"x":null,"on":null,"ok":false,"tags":[],"class":null}`},
		{"nil list and absent",
			tandem.Record{Values: []any{"t3", tandem.Absent{}, nil, nil, nil, []string(nil), tandem.Absent{}}},
			`{"id":"t3","n":null,"x":null,"on":null,"ok":null,"tags":[],"class":null}`},
		{"short values",
			tandem.Record{Values: []any{"t4", int64(1)}},
			`{"id":"t4","n":1,"x":null,"on":null,"ok":null,"tags":[],"class":null}`},
		{"non-finite numbers",
			tandem.Record{Values: []any{"t5", nil, math.NaN(), nil, nil, nil, nil}},
			`{"id":"t5","n":null,"x":null,"on":null,"ok":null,"tags":[],"class":null}`},
		{"infinity and large numbers",
			tandem.Record{Values: []any{"t6", int64(math.MaxInt64), math.Inf(1), nil, nil, nil, nil}},
			`{"id":"t6","n":9223372036854775807,"x":null,"on":null,"ok":null,"tags":[],"class":null}`},
		{"time of day in another zone",
			tandem.Record{Values: []any{"t7", nil, 1e21, time.Date(2024, 3, 1, 10, 30, 0, 0, berlin), nil, nil, nil}},
			`{"id":"t7","n":null,"x":1e+21,"on":"2024-03-01T09:30:00Z","ok":null,"tags":[],"class":null}`},
		{"escaping without HTML escapes",
			tandem.Record{Values: []any{"q\"<a&b>\n\u2028", nil, nil, nil, nil, []string{"x;y", `\`}, nil}},
			`{"id":"q\"<a&b>\n\u2028","n":null,"x":null,"on":null,"ok":null,"tags":["x;y","\\"],"class":null}`},
		{"attrs sorted and dup",
			tandem.Record{Values: []any{"t8"}, Attrs: map[string]string{"zone": "z", "area": "<a>"}, Dup: 2},
			`{"id":"t8","n":null,"x":null,"on":null,"ok":null,"tags":[],"class":null,"attrs":{"area":"<a>","zone":"z"},"dup":2}`},
		{"empty attrs left out",
			tandem.Record{Values: []any{"t9"}, Attrs: map[string]string{}},
			`{"id":"t9","n":null,"x":null,"on":null,"ok":null,"tags":[],"class":null}`},
		{"unexpected type as text",
			tandem.Record{Values: []any{"t10", int32(7)}},
			`{"id":"t10","n":"7","x":null,"on":null,"ok":null,"tags":[],"class":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RecordJSON(e, tt.rec).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			// Through encoding/json (which may escape <, > and &) the value
			// is the same.
			viaMarshal, err := json.Marshal(RecordJSON(e, tt.rec))
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			if err := json.Unmarshal(viaMarshal, &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(got, &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("json.Marshal gives %s, MarshalJSON %s", viaMarshal, got)
			}
		})
	}
}

// TestAppendJSONMatchesEncodingJSON checks the hand-written encoder against
// encoding/json (HTML escaping off) on awkward and random values.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	std := func(v any) string {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(buf.String(), "\n")
	}
	strs := []string{"", "plain", `quote " and \ backslash`, "<b>&amp;</b>", "tab\tnew\nline\r\x00\x1f\x7f", "\xff\xfe bad utf8 \xc3", "é ü 中文 😀",
		"line\u2028sep\u2029", "\b\f"}
	floats := []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, 1e-6, 9.99e-7, 1e-7, 123456789012345678, 1e20, 1e21, 1.5e300, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		strs = append(strs, string(b))
		floats = append(floats, math.Float64frombits(rng.Uint64()), rng.NormFloat64()*math.Pow(10, float64(rng.IntN(40)-20)))
	}
	for _, s := range strs {
		if got, want := string(appendJSONString(nil, s)), std(s); got != want {
			t.Errorf("string %q: %s, encoding/json %s", s, got, want)
		}
	}
	for _, f := range floats {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		if got, want := string(appendJSONFloat(nil, f)), std(f); got != want {
			t.Errorf("float %v: %s, encoding/json %s", f, got, want)
		}
	}
}
