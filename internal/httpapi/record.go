package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"time"

	"github.com/tandemhq/tandem"
)

// RecordObject is a record rendered as a JSON object whose keys keep the
// catalog's column order: every canonical column by name, then "attrs" when
// the record has custom attributes and "dup" when Dup > 0. Values are typed:
// text and enums as strings, integers and numbers as numbers, booleans as
// booleans, lists as arrays of strings (an empty or nil list is []), dates as
// the string from tandem.FormatValue and any other nil as null. Non-finite numbers, which JSON cannot
// hold, are written as null.
type RecordObject struct {
	entity *tandem.Entity
	record tandem.Record
}

// RecordJSON returns r, a record of entity e, ready to be encoded with
// encoding/json; the API and the CLI's --json output share this shape.
func RecordJSON(e *tandem.Entity, r tandem.Record) RecordObject {
	return RecordObject{entity: e, record: r}
}

// MarshalJSON writes the object with its keys in catalog order.
func (o RecordObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// put encodes v without the newline that Encoder.Encode appends.
	put := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1)
		return nil
	}
	buf.WriteByte('{')
	for i, c := range o.entity.Columns {
		if i > 0 {
			buf.WriteByte(',')
		}
		var v any
		if i < len(o.record.Values) {
			v = o.record.Values[i]
		}
		if err := put(c.Name); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := put(jsonValue(c.Kind, v)); err != nil {
			return nil, err
		}
	}
	if len(o.record.Attrs) > 0 {
		buf.WriteString(`,"attrs":`)
		if err := put(o.record.Attrs); err != nil { // map keys come out sorted
			return nil, err
		}
	}
	if o.record.Dup > 0 {
		buf.WriteString(`,"dup":`)
		if err := put(o.record.Dup); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// jsonValue maps a record value of a column of kind k to the value
// encoding/json should write.
func jsonValue(k tandem.Kind, v any) any {
	switch x := v.(type) {
	case nil, tandem.Absent:
		if k == tandem.KindList {
			return []string{}
		}
		return nil
	case string, bool, int64, int:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case time.Time:
		return tandem.FormatValue(x)
	case []string:
		if x == nil {
			return []string{}
		}
		return x
	default:
		return tandem.FormatValue(x)
	}
}
