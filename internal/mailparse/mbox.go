package mailparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/tandemhq/tandem"
)

// ParseMbox splits an mbox archive into messages and parses each one, calling
// fn with the message's 1-based position, the line number of its "From "
// separator, and either the message or the error that rejected it. A bad
// message does not stop the archive: fn decides, and parsing stops only when
// fn returns an error (which ParseMbox then returns) or reading fails.
//
// Separators are "From " lines at the start of the file or after an empty
// line; ">From " lines (mboxrd quoting) lose one '>'. Requiring the empty
// line keeps unquoted "From " lines in mboxo bodies from splitting a message.
func ParseMbox(r io.Reader, opt Options, fn func(pos, line int, m *Message, err error) error) error {
	opt = opt.withDefaults()
	br := bufio.NewReader(r)
	var (
		buf       bytes.Buffer
		pos       int
		fromLine  int
		lineNo    int
		prevBlank = true
		overflow  bool // the current message passed MaxRawBytes; skip its rest
	)
	flush := func() error {
		if pos == 0 {
			return nil
		}
		var m *Message
		var err error
		if overflow {
			err = tandem.Errorf(tandem.ETOOLARGE, "the message is over %d bytes", opt.MaxRawBytes)
		} else {
			// The empty line before the next separator belongs to the
			// separator, not to the message.
			b := buf.Bytes()
			b = bytes.TrimSuffix(b, []byte("\n"))
			b = bytes.TrimSuffix(b, []byte("\r"))
			m, err = ParseMessage(bytes.NewReader(b), opt)
		}
		if err != nil {
			err = &tandem.Error{Code: tandem.ErrorCode(err), Message: fmt.Sprintf("mbox message %d (line %d)", pos, fromLine), Err: err}
		}
		buf.Reset()
		overflow = false
		return fn(pos, fromLine, m, err)
	}
	for {
		line, long, err := readLine(br, opt.MaxRawBytes)
		if len(line) > 0 {
			lineNo++
			switch {
			case prevBlank && bytes.HasPrefix(line, []byte("From ")):
				if ferr := flush(); ferr != nil {
					return ferr
				}
				pos++
				fromLine = lineNo
			case pos == 0:
				if len(bytes.TrimSpace(line)) > 0 {
					return tandem.Errorf(tandem.EINVALID, "mbox line %d: expected a \"From \" separator line; is this an mbox file?", lineNo)
				}
			default:
				if long {
					overflow = true
				}
				if isQuotedFrom(line) {
					line = line[1:]
				}
				if !overflow {
					buf.Write(line)
					if int64(buf.Len()) > opt.MaxRawBytes {
						overflow = true
						buf.Reset()
					}
				}
			}
			prevBlank = len(bytes.TrimRight(line, "\r\n")) == 0
		}
		if errors.Is(err, io.EOF) {
			return flush()
		}
		if err != nil {
			return &tandem.Error{Code: tandem.EINVALID, Op: "read mbox", Message: fmt.Sprintf("line %d", lineNo), Err: err}
		}
	}
}

// readLine reads one line including its newline. A line longer than max is
// consumed but returned truncated, with long set, so that one enormous line
// cannot be buffered whole.
func readLine(br *bufio.Reader, max int64) (line []byte, long bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if int64(len(line)) <= max {
			line = append(line, chunk...)
		} else {
			long = true
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, long, err
	}
}

// isQuotedFrom reports whether line is ">From ", ">>From " and so on.
func isQuotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}
