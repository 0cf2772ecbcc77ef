package httpapi

import (
	"encoding/json"
	"math"
	"reflect"
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
