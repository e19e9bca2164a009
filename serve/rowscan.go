package serve

import (
	"unicode/utf8"

	"github.com/gotabular/gotabular/data"
)

// scanRows reads the rows of a JSON request in the usual shape, a list of
// flat objects of plain values with or without {"rows": ...} around it,
// three to four times faster than encoding/json, which spends most of its
// time in reflection and in copying each value. It reports false for
// anything out of the ordinary (an escape in a string, a value that is an
// object or a list, a bad value, a syntax error, too many rows): the caller
// then reads the body with encoding/json, whose errors say what is wrong
// and where. So the fast path needs to be right only on good input.
func (s *schema) scanRows(body []byte, maxRows int) (*data.Table, bool) {
	sc := rowScanner{b: body}
	wrapped := false
	sc.space()
	switch sc.peek() {
	case '[':
		sc.pos++
	case '{':
		sc.pos++
		sc.space()
		if key, ok := sc.str(); !ok || string(key) != "rows" {
			return nil, false
		}
		sc.space()
		if !sc.take(':') {
			return nil, false
		}
		sc.space()
		if !sc.take('[') {
			return nil, false
		}
		wrapped = true
	default:
		return nil, false
	}
	b := s.newBuilder()
	sc.space()
	if sc.take(']') {
		return nil, false // no rows: an error, worded by the slow path
	}
	for {
		if b.rows == maxRows || !sc.row(b) {
			return nil, false
		}
		sc.space()
		if sc.take(']') {
			break
		}
		if !sc.take(',') {
			return nil, false
		}
		sc.space()
	}
	if wrapped {
		sc.space()
		if !sc.take('}') {
			return nil, false
		}
	}
	sc.space()
	if sc.pos != len(sc.b) {
		return nil, false
	}
	return b.table(), true
}

type rowScanner struct {
	b   []byte
	pos int
}

func (sc *rowScanner) peek() byte {
	if sc.pos < len(sc.b) {
		return sc.b[sc.pos]
	}
	return 0
}

func (sc *rowScanner) take(c byte) bool {
	if sc.peek() == c {
		sc.pos++
		return true
	}
	return false
}

func (sc *rowScanner) space() {
	for sc.pos < len(sc.b) {
		switch sc.b[sc.pos] {
		case ' ', '\t', '\n', '\r':
			sc.pos++
		default:
			return
		}
	}
}

// str reads a string without escapes and returns its text.
func (sc *rowScanner) str() ([]byte, bool) {
	if !sc.take('"') {
		return nil, false
	}
	start := sc.pos
	for sc.pos < len(sc.b) {
		c := sc.b[sc.pos]
		switch {
		case c == '"':
			text := sc.b[start:sc.pos]
			sc.pos++
			return text, utf8.Valid(text)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		sc.pos++
	}
	return nil, false
}

// value reads a string, a number or null and returns its JSON text.
func (sc *rowScanner) value() ([]byte, bool) {
	start := sc.pos
	switch c := sc.peek(); {
	case c == '"':
		if _, ok := sc.str(); !ok {
			return nil, false
		}
	case c == '-' || c >= '0' && c <= '9':
		if !sc.number() {
			return nil, false
		}
	case c == 'n':
		if len(sc.b)-sc.pos < 4 || string(sc.b[sc.pos:sc.pos+4]) != "null" {
			return nil, false
		}
		sc.pos += 4
	default:
		return nil, false
	}
	return sc.b[start:sc.pos], true
}

// number reads a number of JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (sc *rowScanner) number() bool {
	sc.take('-')
	switch c := sc.peek(); {
	case c == '0':
		sc.pos++
	case c >= '1' && c <= '9':
		sc.digits()
	default:
		return false
	}
	if sc.take('.') && !sc.digits() {
		return false
	}
	if c := sc.peek(); c == 'e' || c == 'E' {
		sc.pos++
		if c := sc.peek(); c == '+' || c == '-' {
			sc.pos++
		}
		if !sc.digits() {
			return false
		}
	}
	return true
}

// digits reads one or more digits.
func (sc *rowScanner) digits() bool {
	start := sc.pos
	for sc.pos < len(sc.b) && sc.b[sc.pos] >= '0' && sc.b[sc.pos] <= '9' {
		sc.pos++
	}
	return sc.pos > start
}

// row reads one row object into b.
func (sc *rowScanner) row(b *tableBuilder) bool {
	if !sc.take('{') {
		return false
	}
	sc.space()
	if !sc.take('}') {
		for {
			name, ok := sc.str()
			if !ok {
				return false
			}
			sc.space()
			if !sc.take(':') {
				return false
			}
			sc.space()
			raw, ok := sc.value()
			if !ok {
				return false
			}
			// A column named twice in a row: the slow path keeps the last
			// value, as encoding/json does.
			if j, known := b.s.byName[string(name)]; known && b.seen[j] == b.rows+1 {
				return false
			}
			if b.field(name, raw) != nil {
				return false
			}
			sc.space()
			if sc.take('}') {
				break
			}
			if !sc.take(',') {
				return false
			}
			sc.space()
		}
	}
	b.endRow()
	return true
}
