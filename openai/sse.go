package openai

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultMaxLine is the longest SSE line, in bytes without its terminator,
// that a Parser accepts when it is given no limit.
const DefaultMaxLine = 1 << 20

var bom = []byte("\xEF\xBB\xBF")

// Sentinel parse errors, wrapped in a *ParseError.
var (
	// ErrLineTooLong means one line exceeded the parser's limit.
	ErrLineTooLong = errors.New("SSE line too long")
	// ErrInvalidUTF8 means a line was not valid UTF-8.
	ErrInvalidUTF8 = errors.New("SSE line is not valid UTF-8")
)

// ParseError is a malformed-stream error at a byte offset of the stream
// (counted from 0, including any byte-order mark) on a 1-based line.
type ParseError struct {
	Offset int64
	Line   int
	Err    error
}

// Error formats the error with its offset and line.
func (e *ParseError) Error() string {
	return fmt.Sprintf("sse: byte %d (line %d): %v", e.Offset, e.Line, e.Err)
}

// Unwrap returns the sentinel (ErrLineTooLong, ErrInvalidUTF8).
func (e *ParseError) Unwrap() error { return e.Err }

// Event is one dispatched server-sent event.
type Event struct {
	// Type is the event field, "message" when the stream gave none.
	Type string
	// Data is the data fields joined with "\n". It aliases the parser's
	// buffer and is valid only until the next call to Next.
	Data []byte
	// ID is the last event ID seen so far, as the spec defines it.
	ID string
	// Offset is the stream offset of the first byte of the event's first line.
	Offset int64
	// Arrival is when the read that delivered the dispatching blank line
	// returned (monotonic clock).
	Arrival time.Time
}

// Parser reads server-sent events from a stream following the WHATWG
// "Interpreting an event stream" algorithm: LF, CR and CRLF line endings, an
// optional leading BOM, comment lines (starting with ':'), field/value split on
// the first ':' with one optional leading space removed, data lines joined
// with "\n", dispatch on a blank line, and an incomplete event at end of
// stream discarded. Unlike a browser it reports invalid UTF-8 instead of
// replacing it, and it bounds line length.
type Parser struct {
	r       io.Reader
	maxLine int
	now     func() time.Time

	buf      []byte // unread stream bytes are buf[start:end]
	start    int
	end      int
	base     int64 // stream offset of buf[0]
	readAt   time.Time
	err      error // sticky read error, returned once buffered lines are used up
	skipLF   bool  // the previous line ended with CR: a following LF belongs to it
	line     int   // lines completed so far
	bomDone  bool
	data     []byte
	hasData  bool
	evType   []byte
	lastID   string
	evOffset int64
	inEvent  bool
	comments int
}

// NewParser returns a Parser reading r. A maxLine ≤ 0 means DefaultMaxLine.
func NewParser(r io.Reader, maxLine int) *Parser {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &Parser{r: r, maxLine: maxLine, now: time.Now, buf: make([]byte, 4096)}
}

// parsers recycles Parsers (and their buffers) between requests.
var parsers sync.Pool

// maxPooledBuf is the largest buffer a recycled Parser keeps; one grown for
// a long line is dropped instead.
const maxPooledBuf = 64 << 10

// getParser returns a Parser reading r, recycled when one is free; it
// behaves as NewParser(r, maxLine).
func getParser(r io.Reader, maxLine int) *Parser {
	p, _ := parsers.Get().(*Parser)
	if p == nil {
		return NewParser(r, maxLine)
	}
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	*p = Parser{r: r, maxLine: maxLine, now: time.Now, buf: p.buf[:cap(p.buf)], data: p.data[:0], evType: p.evType[:0]}
	return p
}

// putParser recycles p; nothing it returned may be used afterwards.
func putParser(p *Parser) {
	if cap(p.buf) > maxPooledBuf || cap(p.data) > maxPooledBuf {
		return
	}
	p.r = nil
	parsers.Put(p)
}

// Comments returns how many comment lines (keep-alives) were read so far.
func (p *Parser) Comments() int { return p.comments }

// Offset returns the stream offset of the next unparsed byte.
func (p *Parser) Offset() int64 { return p.base + int64(p.start) }

// Next returns the next event. At a clean end of stream it returns io.EOF;
// a read error is returned wrapped (with its offset); a malformed line gives
// a *ParseError. After an error, Next keeps returning an error.
func (p *Parser) Next() (Event, error) {
	for {
		line, ok, perr := p.nextLine()
		if perr != nil {
			p.err = perr
			return Event{}, perr
		}
		if !ok {
			if p.err != nil {
				return Event{}, p.err
			}
			if err := p.fill(); err != nil {
				if err == io.EOF {
					p.err = io.EOF
				} else {
					p.err = fmt.Errorf("reading SSE stream at byte %d: %w", p.Offset(), err)
				}
			}
			continue
		}
		if ev, dispatch := p.processLine(line); dispatch {
			return ev, nil
		}
	}
}

// fill reads more bytes into the buffer, compacting or growing it first.
func (p *Parser) fill() error {
	if p.start > 0 {
		n := copy(p.buf, p.buf[p.start:p.end])
		p.base += int64(p.start)
		p.end = n
		p.start = 0
	}
	if p.end == len(p.buf) {
		size := 2 * len(p.buf)
		if limit := p.maxLine + 2; size > limit && len(p.buf) < limit {
			size = limit
		}
		nb := make([]byte, size)
		copy(nb, p.buf[:p.end])
		p.buf = nb
	}
	for empty := 0; ; empty++ {
		n, err := p.r.Read(p.buf[p.end:])
		if n > 0 {
			p.readAt = p.now()
			p.end += n
			return nil
		}
		if err != nil {
			return err
		}
		if empty > 100 {
			return io.ErrNoProgress
		}
	}
}

// nextLine returns the next complete line from the buffer without its
// terminator. ok is false when the buffer holds no complete line; at end of
// stream a final unterminated line is discarded, as the spec requires.
func (p *Parser) nextLine() (line []byte, ok bool, err error) {
	if p.skipLF && p.start < p.end {
		if p.buf[p.start] == '\n' {
			p.start++
		}
		p.skipLF = false
	}
	if !p.bomDone {
		rest := p.buf[p.start:p.end]
		if len(rest) < len(bom) && bytes.HasPrefix(bom, rest) && p.err == nil {
			return nil, false, nil // could still be a split BOM
		}
		if bytes.HasPrefix(rest, bom) {
			p.start += len(bom)
		}
		p.bomDone = true
	}
	rest := p.buf[p.start:p.end]
	// The first CR or LF: two vectorised byte searches beat IndexAny's
	// per-byte set test on event-sized lines.
	i := bytes.IndexByte(rest, '\n')
	end := len(rest)
	if i >= 0 {
		end = i
	}
	if j := bytes.IndexByte(rest[:end], '\r'); j >= 0 {
		i = j
	}
	if i < 0 {
		if len(rest) > p.maxLine {
			return nil, false, &ParseError{Offset: p.Offset(), Line: p.line + 1, Err: ErrLineTooLong}
		}
		return nil, false, nil
	}
	if i > p.maxLine {
		return nil, false, &ParseError{Offset: p.Offset(), Line: p.line + 1, Err: ErrLineTooLong}
	}
	line = rest[:i]
	if !utf8.Valid(line) {
		bad := 0
		for bad < len(line) {
			r, size := utf8.DecodeRune(line[bad:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			bad += size
		}
		return nil, false, &ParseError{Offset: p.Offset() + int64(bad), Line: p.line + 1, Err: ErrInvalidUTF8}
	}
	if !p.inEvent {
		p.evOffset = p.Offset()
	}
	p.start += i + 1
	if rest[i] == '\r' {
		p.skipLF = true
	}
	p.line++
	return line, true, nil
}

// processLine applies one line to the pending event and reports whether it
// dispatched one.
func (p *Parser) processLine(line []byte) (Event, bool) {
	if len(line) == 0 {
		p.inEvent = false
		if !p.hasData {
			p.evType = p.evType[:0]
			return Event{}, false
		}
		ev := Event{Type: "message", ID: p.lastID, Offset: p.evOffset, Arrival: p.readAt}
		if len(p.evType) > 0 {
			ev.Type = string(p.evType)
		}
		ev.Data = p.data
		p.data = p.data[:0]
		p.hasData = false
		p.evType = p.evType[:0]
		return ev, true
	}
	if line[0] == ':' {
		p.comments++
		return Event{}, false
	}
	p.inEvent = true // the event starts at its first field line
	field, value := line, []byte(nil)
	if c := bytes.IndexByte(line, ':'); c >= 0 {
		field, value = line[:c], line[c+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(field) {
	case "data":
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		p.data = append(p.data, value...)
		p.hasData = true
	case "event":
		p.evType = append(p.evType[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.lastID = string(value)
		}
	}
	// "retry" and unknown fields are ignored: the client never reconnects.
	return Event{}, false
}
