package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// recordReader splits CSV text into records. Most lines of a data file
// hold no quote, and for those it splits at the delimiter itself, several
// times faster than encoding/csv; a record with a quote anywhere goes to
// encoding/csv whole, so quoting, embedded line breaks and the errors of
// malformed quotes are exactly that package's. Like encoding/csv it drops
// the \r of a \r\n line ending and skips empty lines.
type recordReader struct {
	br     *bufio.Reader
	comma  rune
	fields []string
	line   int    // lines read so far
	start  int    // line on which the last record started
	long   []byte // a line longer than the buffer, assembled
	text   []byte // the text of the last quoted record, for errors
}

func newRecordReader(br *bufio.Reader, comma rune) *recordReader {
	return &recordReader{br: br, comma: comma}
}

// readLine returns the next line with its line break, or io.EOF. The
// slice is valid until the next call.
func (r *recordReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if len(line) > 0 {
		r.line++
		if err == io.EOF {
			err = nil
		}
	}
	return line, err
}

// read returns the next record, or io.EOF after the last. The fields are
// valid until the next call. Errors about the text are *csv.ParseError
// values with the line counted from the start of the file.
func (r *recordReader) read() ([]string, error) {
	for {
		raw, err := r.readLine()
		if err != nil {
			return nil, err
		}
		line := bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte("\n")), []byte("\r"))
		if len(line) == 0 {
			continue
		}
		r.start = r.line
		if bytes.IndexByte(line, '"') < 0 {
			return r.split(string(line)), nil
		}
		return r.quoted(raw)
	}
}

// split cuts an unquoted line at the delimiter.
func (r *recordReader) split(s string) []string {
	r.fields = r.fields[:0]
	if r.comma < utf8.RuneSelf {
		c := byte(r.comma)
		for {
			i := strings.IndexByte(s, c)
			if i < 0 {
				break
			}
			r.fields = append(r.fields, s[:i])
			s = s[i+1:]
		}
	} else {
		sep := string(r.comma)
		for {
			i := strings.Index(s, sep)
			if i < 0 {
				break
			}
			r.fields = append(r.fields, s[:i])
			s = s[i+len(sep):]
		}
	}
	return append(r.fields, s)
}

// quoted reads the record that starts with line first, which holds a
// quote: it gathers lines until the quotes balance (a quoted field may
// span lines) and parses them with encoding/csv.
func (r *recordReader) quoted(first []byte) ([]string, error) {
	text := append([]byte(nil), first...)
	for bytes.Count(text, []byte{'"'})%2 == 1 {
		more, err := r.readLine()
		if err == io.EOF {
			break // encoding/csv reports the open quote
		}
		if err != nil {
			return nil, err
		}
		text = append(text, more...)
	}
	r.text = text
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = r.comma
	cr.FieldsPerRecord = -1
	// Leading white space is trimmed from every field afterwards anyway;
	// letting encoding/csv trim it too allows a space before an opening
	// quote, but it would also swallow a delimiter that is white space
	// (the empty fields of a tab-separated line).
	cr.TrimLeadingSpace = r.comma != '\t' && r.comma != ' '
	rec, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			pe.StartLine += r.start - 1
			pe.Line += r.start - 1
			return nil, pe
		}
		return nil, err
	}
	if _, err := cr.Read(); err != io.EOF {
		// The balanced text held more than one record: only possible
		// with malformed quoting, which the strict parse reports.
		return nil, &csv.ParseError{StartLine: r.start, Line: r.start, Column: 1, Err: csv.ErrQuote}
	}
	r.fields = append(r.fields[:0], rec...)
	return r.fields, nil
}

// where finds the field in which a parse error of the last quoted record
// lies: its index in the record (counting delimiters outside quotes before
// the error) and its text, cut short if long, so that the error can name
// the column and quote the value.
func (r *recordReader) where(pe *csv.ParseError) (field int, value string) {
	lines := bytes.SplitAfter(r.text, []byte{'\n'})
	inQuote := false
	start := 0 // of the current field, in the line being scanned
	for n, line := range lines {
		last := n == pe.Line-r.start
		end := len(line)
		if last {
			end = min(max(pe.Column-1, 0), len(line))
		}
		start = 0 // a field begun on an earlier line is quoted from this one
		for i, c := range string(line[:end]) {
			switch {
			case c == '"':
				inQuote = !inQuote
			case c == r.comma && !inQuote:
				field++
				start = i + utf8.RuneLen(c)
			}
		}
		if last {
			v := line[min(start, len(line)):]
			if i := bytes.IndexRune(v, r.comma); i >= 0 && i >= end-start {
				v = v[:i]
			}
			v = bytes.TrimRight(v, "\r\n")
			if len(v) > 40 {
				v = append(v[:37:37], "..."...)
			}
			return field, string(v)
		}
	}
	return -1, ""
}
