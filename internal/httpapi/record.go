package httpapi

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

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

// MarshalJSON writes the object with its keys in catalog order. It
// appends the JSON text directly instead of encoding each value with
// encoding/json: list pages encode thousands of values per request, and
// the output is byte-for-byte what encoding/json (without HTML escaping)
// writes, which a test checks on random values.
func (o RecordObject) MarshalJSON() ([]byte, error) {
	return o.AppendJSON(make([]byte, 0, 64*len(o.entity.Columns))), nil
}

// AppendJSON appends the object's JSON text to b.
func (o RecordObject) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, c := range o.entity.Columns {
		if i > 0 {
			b = append(b, ',')
		}
		var v any
		if i < len(o.record.Values) {
			v = o.record.Values[i]
		}
		b = appendJSONString(b, c.Name)
		b = append(b, ':')
		b = appendJSONValue(b, jsonValue(c.Kind, v))
	}
	if len(o.record.Attrs) > 0 {
		b = append(b, `,"attrs":{`...)
		for i, k := range slices.Sorted(maps.Keys(o.record.Attrs)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, o.record.Attrs[k])
		}
		b = append(b, '}')
	}
	if o.record.Dup > 0 {
		b = append(b, `,"dup":`...)
		b = strconv.AppendInt(b, int64(o.record.Dup), 10)
	}
	return append(b, '}')
}

// appendJSONValue appends one value as jsonValue returns it.
func appendJSONValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return appendJSONFloat(b, x)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']')
	default:
		out, err := json.Marshal(x)
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, out...)
	}
}

// appendJSONFloat formats a finite float as encoding/json does: the
// shortest representation, in exponent form only for very large or small
// magnitudes, with a two-digit exponent cleaned of its leading zero.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString appends s as a JSON string the way encoding/json does
// with HTML escaping off: quotes, backslashes and control characters
// escaped, invalid UTF-8 replaced by U+FFFD, and U+2028 and U+2029
// escaped for JavaScript.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
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
