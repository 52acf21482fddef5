package openaitest

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Fault is one way for a request to go wrong.
type Fault string

// Faults the Handler can inject. Those before the stream starts answer
// instead of streaming; the mid-stream ones strike after the first half of
// the tokens (at least one token is always sent first, so TTFT is measured).
const (
	None        Fault = ""
	HTTP500     Fault = "http500"      // 500 with an OpenAI error body
	HTTP503     Fault = "http503"      // 503 with an OpenAI error body
	HTTP429     Fault = "http429"      // 429 with Retry-After: 1
	Redirect    Fault = "redirect"     // 307 to /v1/moved
	ContentType Fault = "content_type" // 200 with a non-streaming application/json body
	EchoAuth    Fault = "echo_auth"    // 401 whose body echoes the Authorization header (secrets tests)
	Reset       Fault = "reset"        // mid-stream: the connection is closed with RST (SO_LINGER 0)
	NoDone      Fault = "no_done"      // the stream ends cleanly without data: [DONE]
	Malformed   Fault = "malformed"    // mid-stream: an event whose data is truncated JSON
	StreamError Fault = "stream_error" // mid-stream: an {"error": {...}} event, then [DONE]
	Stall       Fault = "stall"        // mid-stream: no byte for Config.StallFor or until the client leaves
	InvalidUTF8 Fault = "invalid_utf8" // mid-stream: an event with bytes that are not UTF-8
	LongLine    Fault = "long_line"    // mid-stream: one data line of Config.LongLine bytes
	CommentOnly Fault = "comment_only" // mid-stream: only ": keep-alive" comments, then a clean end without [DONE]
)

// AllFaults lists every per-request fault, in a stable order.
var AllFaults = []Fault{HTTP500, HTTP503, HTTP429, Redirect, ContentType, EchoAuth,
	Reset, NoDone, Malformed, StreamError, Stall, InvalidUTF8, LongLine, CommentOnly}

func (f Fault) valid() bool {
	for _, g := range AllFaults {
		if f == g {
			return true
		}
	}
	return false
}

// preStream reports whether the fault replaces the response before any event.
func (f Fault) preStream() bool {
	switch f {
	case HTTP500, HTTP503, HTTP429, Redirect, ContentType, EchoAuth:
		return true
	}
	return false
}

// FaultRule injects Fault into every Every-th request (counted from 1 in
// arrival order), starting with request number Offset+Every. Every ≤ 1
// means every request.
type FaultRule struct {
	Fault  Fault
	Every  int
	Offset int
}

// FaultHeader is the request header that selects a fault for one request,
// whatever the rules say.
const FaultHeader = "X-Hypobench-Fault"

// markerRE finds a fault marker in a prompt: "hb-fault:<name>".
var markerRE = regexp.MustCompile(`hb-fault:([a-z0-9_]+)`)

// Marker returns the text that, placed in a prompt, selects fault f for
// that request.
func Marker(f Fault) string { return "hb-fault:" + string(f) }

// ParseFaults parses a comma-separated fault list such as
// "http500:10,reset:7+3": each item is a fault name, optionally ":k" (every
// k-th request) and "+o" (offset o). An empty string gives no rules.
func ParseFaults(s string) ([]FaultRule, error) {
	var rules []FaultRule
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		r := FaultRule{Every: 1}
		name, rest, hasEvery := strings.Cut(item, ":")
		r.Fault = Fault(name)
		if !r.Fault.valid() {
			return nil, fmt.Errorf("fault list item %d %q: unknown fault %q (known: %v)", i+1, item, name, AllFaults)
		}
		if hasEvery {
			every, off, hasOff := strings.Cut(rest, "+")
			n, err := strconv.Atoi(every)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("fault list item %d %q: every %q is not a positive integer", i+1, item, every)
			}
			r.Every = n
			if hasOff {
				o, err := strconv.Atoi(off)
				if err != nil || o < 0 {
					return nil, fmt.Errorf("fault list item %d %q: offset %q is not a non-negative integer", i+1, item, off)
				}
				r.Offset = o
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// pick returns the fault for request number seq (from 1): the header, then
// a prompt marker, then the first matching rule.
func pick(rules []FaultRule, seq int64, header, prompt string) Fault {
	if f := Fault(header); f.valid() {
		return f
	}
	if m := markerRE.FindStringSubmatch(prompt); m != nil {
		if f := Fault(m[1]); f.valid() {
			return f
		}
	}
	for _, r := range rules {
		every := int64(max(r.Every, 1))
		n := seq - int64(r.Offset)
		if n > 0 && n%every == 0 {
			return r.Fault
		}
	}
	return None
}

// RefusedURL returns an http URL on 127.0.0.1 where nothing listens: a
// listener is opened and closed, so connecting is refused.
func RefusedURL() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("reserving a port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("closing listener %s: %w", addr, err)
	}
	return "http://" + addr, nil
}
