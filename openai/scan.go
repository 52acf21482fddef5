package openai

import (
	"bytes"
	"encoding/json"
	"math"
	"unicode/utf16"
	"unicode/utf8"
)

// fields is what the client reads from one streamed chunk, whichever way it
// was decoded: scanChunk's allocation-free scan or decodeChunk's
// encoding/json fallback. Byte slices alias the event's data and are valid
// until the parser's next event.
type fields struct {
	id           []byte  // "id"; nil when absent, null or ""
	choices      int     // len("choices")
	contentBytes int     // decoded bytes of every choice's text, delta content and reasoning
	finish       []byte  // the last non-empty "finish_reason" among the choices
	usage        bool    // "usage" is an object (not absent or null)
	timings      timings // llama.cpp's "timings" (scan_dialect.go)
	prompt       int     // usage.prompt_tokens
	completion   int     // usage.completion_tokens
	sentNs       int64   // "hb_sent_ns"
	simNs        int64   // "hb_sim_ns"
	simStamped   bool    // "hb_sim_ns" is a number (not absent or null)
	errMsg       string  // the stream error's message (decodeChunk only)
	isError      bool    // the chunk is an error object (decodeChunk only)
}

// decodeChunk decodes data with encoding/json: the reference behaviour
// scanChunk must reproduce, and the fallback for anything it declines.
func decodeChunk(data []byte) (fields, error) {
	var ch chunk
	if err := json.Unmarshal(data, &ch); err != nil {
		return fields{}, err
	}
	var f fields
	if msg, ok := streamError(&ch); ok {
		f.isError, f.errMsg = true, msg
		return f, nil
	}
	if ch.ID != "" {
		f.id = []byte(ch.ID)
	}
	if ch.Usage != nil {
		f.usage = true
		f.prompt, f.completion = ch.Usage.PromptTokens, ch.Usage.CompletionTokens
	}
	f.timings = decodeTimings(ch.Timings)
	f.choices = len(ch.Choices)
	for i := range ch.Choices {
		x := &ch.Choices[i]
		f.contentBytes += len(x.Text) + len(x.Delta.Content) + len(x.Delta.ReasoningContent) + len(x.Delta.Reasoning)
		if x.FinishReason != "" {
			f.finish = []byte(x.FinishReason)
		}
	}
	f.sentNs = ch.SentNs
	if ch.SimNs != nil {
		f.simNs, f.simStamped = *ch.SimNs, true
	}
	return f, nil
}

// scanChunk reads the fields of a chunk in one pass over data without
// allocating. It returns ok = false, and the caller decodes with
// decodeChunk, for anything where a simple reading could differ from
// encoding/json's: invalid JSON anywhere, a top level that is not an object,
// a duplicate known key, a key that matches a known one only
// case-insensitively or through escapes, a known field of the wrong type, an
// integer that is not plain digits within int64, a string whose value (not
// just its length) is needed that holds escapes or invalid UTF-8, an
// "error" field that is not null, or "object": "error". For every input it
// accepts, the fields equal decodeChunk's (FuzzScanChunk checks this).
func scanChunk(data []byte) (f fields, ok bool) {
	s := scanner{b: data}
	s.ws()
	if !s.peek('{') {
		return f, false
	}
	var seen uint8
	var dseen dialectSeen
	ok = s.object(func(key []byte) bool {
		if handled, ok := s.dialectField(key, &f, &dseen); handled {
			return ok
		}
		var bit uint8
		switch string(key) {
		case "id":
			bit = 1
			v, null, ok := s.plainString()
			if !ok {
				return false
			}
			if !null && len(v) > 0 {
				f.id = v
			} else {
				f.id = nil
			}
		case "object":
			bit = 2
			v, _, ok := s.plainString()
			if !ok || string(v) == "error" {
				return false
			}
		case "message":
			bit = 4
			if _, _, ok := s.stringLen(); !ok {
				return false
			}
		case "choices":
			bit = 8
			if !s.choices(&f) {
				return false
			}
		case "usage":
			bit = 16
			if !s.usage(&f) {
				return false
			}
		case "error":
			bit = 32
			if !s.literal("null") {
				return false
			}
		case "hb_sent_ns":
			bit = 64
			n, null, ok := s.int64()
			if !ok {
				return false
			}
			if !null {
				f.sentNs = n
			}
		case "hb_sim_ns":
			bit = 128
			n, null, ok := s.int64()
			if !ok {
				return false
			}
			f.simNs, f.simStamped = n, !null
		default:
			if foldsTo(key, "id", "object", "message", "choices", "usage", "error", "hb_sent_ns", "hb_sim_ns") {
				return false
			}
			return s.skip(0)
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
	if !ok {
		return fields{}, false
	}
	s.ws()
	if s.i != len(s.b) {
		return fields{}, false
	}
	return f, true
}

// foldsTo reports whether key could name one of the known keys under
// encoding/json's case-insensitive matching: it equals one ignoring ASCII
// case, or holds an escape or a non-ASCII byte (which the Kelvin sign and
// the long s fold through). Exact matches were handled by the caller.
func foldsTo(key []byte, known ...string) bool {
	for _, c := range key {
		if c == '\\' || c >= utf8.RuneSelf {
			return true
		}
	}
	for _, k := range known {
		// key and k are ASCII here, so only equal lengths can fold.
		if len(key) == len(k) && bytes.EqualFold(key, []byte(k)) {
			return true
		}
	}
	return false
}

// choices reads the "choices" value: null or an array of choice objects
// (null elements count as empty choices, as encoding/json decodes them).
func (s *scanner) choices(f *fields) bool {
	f.choices, f.contentBytes, f.finish = 0, 0, nil
	if s.literal("null") {
		return true
	}
	if !s.peek('[') {
		return false
	}
	return s.array(func() bool {
		f.choices++
		if s.literal("null") {
			return true
		}
		if !s.peek('{') {
			return false
		}
		var seen uint8
		var finish []byte
		ok := s.object(func(key []byte) bool {
			var bit uint8
			switch string(key) {
			case "text":
				bit = 1
				n, _, ok := s.stringLen()
				if !ok {
					return false
				}
				f.contentBytes += n
			case "delta":
				bit = 2
				if !s.delta(f) {
					return false
				}
			case "finish_reason":
				bit = 4
				v, _, ok := s.plainString()
				if !ok {
					return false
				}
				finish = v
			default:
				if foldsTo(key, "text", "delta", "finish_reason") {
					return false
				}
				return s.skip(0)
			}
			if seen&bit != 0 {
				return false
			}
			seen |= bit
			return true
		})
		if len(finish) > 0 {
			f.finish = finish
		}
		return ok
	})
}

// delta reads a choice's "delta": null or an object.
func (s *scanner) delta(f *fields) bool {
	if s.literal("null") {
		return true
	}
	if !s.peek('{') {
		return false
	}
	var seen uint8
	return s.object(func(key []byte) bool {
		var bit uint8
		switch string(key) {
		case "content":
			bit = 1
		case "reasoning_content":
			bit = 2
		case "reasoning":
			bit = 4
		default:
			if foldsTo(key, "content", "reasoning_content", "reasoning") {
				return false
			}
			return s.skip(0)
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		n, _, ok := s.stringLen()
		f.contentBytes += n
		return ok
	})
}

// usage reads "usage": null or an object.
func (s *scanner) usage(f *fields) bool {
	f.usage, f.prompt, f.completion = false, 0, 0
	if s.literal("null") {
		return true
	}
	if !s.peek('{') {
		return false
	}
	f.usage = true
	var seen uint8
	return s.object(func(key []byte) bool {
		var dst *int
		var bit uint8
		switch string(key) {
		case "prompt_tokens":
			dst, bit = &f.prompt, 1
		case "completion_tokens":
			dst, bit = &f.completion, 2
		default:
			if foldsTo(key, "prompt_tokens", "completion_tokens") {
				return false
			}
			return s.skip(0)
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		n, null, ok := s.int64()
		if ok && !null {
			*dst = int(n)
		}
		return ok
	})
}

// scanner walks JSON text; every method returns false on anything it does
// not accept, leaving the decision to encoding/json.
type scanner struct {
	b []byte
	i int
}

// maxDepth bounds the nesting skip follows (encoding/json's own limit is
// 10000; deeper input goes to it).
const maxDepth = 512

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek skips whitespace and reports whether the next byte is c.
func (s *scanner) peek(c byte) bool {
	s.ws()
	return s.i < len(s.b) && s.b[s.i] == c
}

// literal consumes lit (after whitespace) when it is next.
func (s *scanner) literal(lit string) bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		s.i += len(lit)
		return true
	}
	return false
}

// object consumes an object whose '{' is next, calling member with each
// key (raw, between the quotes) positioned before the member's value.
func (s *scanner) object(member func(key []byte) bool) bool {
	s.i++ // '{'
	if s.peek('}') {
		s.i++
		return true
	}
	for {
		if !s.peek('"') {
			return false
		}
		start := s.i + 1
		if _, _, ok := s.stringLen(); !ok {
			return false
		}
		key := s.b[start : s.i-1]
		if !s.peek(':') {
			return false
		}
		s.i++
		if !member(key) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// array consumes an array whose '[' is next, calling elem before each
// element.
func (s *scanner) array(elem func() bool) bool {
	s.i++ // '['
	if s.peek(']') {
		s.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// skip consumes any one JSON value, checking its syntax.
func (s *scanner) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(func([]byte) bool { return s.skip(depth + 1) })
	case c == '[':
		return s.array(func() bool { return s.skip(depth + 1) })
	case c == '"':
		_, _, ok := s.stringLen()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number()
	}
	return false
}

// number consumes a number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	s.i = i
	return true
}

// int64 reads an integer field: null, or -?[0-9]+ that fits an int64 and
// is a valid JSON number (no leading zeros). Fractions and exponents are
// declined: encoding/json rejects them for an integer field.
func (s *scanner) int64() (n int64, null, ok bool) {
	if s.literal("null") {
		return 0, true, true
	}
	start := s.i
	if !s.number() {
		return 0, false, false
	}
	lit := s.b[start:s.i]
	neg := lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) > 19 { // 19 digits cannot overflow a uint64
		return 0, false, false
	}
	var u uint64
	for _, c := range lit {
		if c < '0' || c > '9' {
			return 0, false, false
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case !neg && u <= math.MaxInt64:
		n = int64(u)
	case neg && u <= 1<<63:
		n = int64(-u) // -(1<<63) wraps to math.MinInt64
	default:
		return 0, false, false
	}
	return n, false, true
}

// plainString reads a string field whose value is needed: null, or a string
// without escapes and with valid UTF-8, so that its raw bytes are its value.
func (s *scanner) plainString() (v []byte, null, ok bool) {
	if s.literal("null") {
		return nil, true, true
	}
	if !s.peek('"') {
		return nil, false, false
	}
	start := s.i + 1
	_, plain, ok := s.stringLen()
	if !ok || !plain {
		return nil, false, false
	}
	return s.b[start : s.i-1], false, true
}

// plainASCII marks the bytes a JSON string holds as themselves: printable
// ASCII other than '"' and '\\'.
var plainASCII = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// stringLen consumes a string (or null, of length 0) and returns the length
// in bytes of its value as encoding/json decodes it: escapes decoded,
// surrogate pairs combined, lone surrogates and invalid UTF-8 bytes each
// replaced by U+FFFD. plain reports that the raw bytes are the value (no
// escapes, valid UTF-8).
func (s *scanner) stringLen() (n int, plain, ok bool) {
	if s.literal("null") {
		return 0, true, true
	}
	if !s.peek('"') {
		return 0, false, false
	}
	b := s.b
	i := s.i + 1
	plain = true
	for i < len(b) {
		// A run of plain ASCII characters in one tight loop.
		run := i
		for i < len(b) && plainASCII[b[i]] {
			i++
		}
		n += i - run
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			s.i = i + 1
			return n, plain, true
		case c < ' ':
			return 0, false, false
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				return 0, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				n++
				i += 2
			case 'u':
				rr := getu4(b[i:])
				if rr < 0 {
					return 0, false, false
				}
				i += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(b[i:])); dec != utf8.RuneError {
						n += utf8.RuneLen(dec)
						i += 6
						continue
					}
					rr = utf8.RuneError
				}
				n += utf8.RuneLen(rr)
			default:
				return 0, false, false
			}
		case c < utf8.RuneSelf:
			n++
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				plain = false
				n += 3 // encoding/json writes U+FFFD for each bad byte
			} else {
				n += size
			}
			i += size
		}
	}
	return 0, false, false
}

// getu4 decodes \uXXXX at the start of b, or returns -1.
func getu4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
