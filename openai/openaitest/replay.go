package openaitest

import (
	"bytes"
	"net/http"
	"time"
)

// Replay returns a handler that answers every request with body, a recorded
// SSE stream, as text/event-stream. With split > 0 the body is written in
// pieces of split bytes, each flushed (events cut across reads); otherwise it
// is written one event (up to and including its blank line) at a time. gap
// is slept before each piece after the first.
func Replay(body []byte, split int, gap time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		_ = rc.Flush()
		for i, piece := range pieces(body, split) {
			if i > 0 && gap > 0 {
				select {
				case <-time.After(gap):
				case <-r.Context().Done():
					return
				}
			}
			if _, err := w.Write(piece); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	})
}

// pieces cuts body into split-byte pieces, or after each blank line
// ("\n\n", "\r\n\r\n" or "\r\r") when split ≤ 0.
func pieces(body []byte, split int) [][]byte {
	var out [][]byte
	if split > 0 {
		for len(body) > 0 {
			n := min(split, len(body))
			out = append(out, body[:n])
			body = body[n:]
		}
		return out
	}
	for len(body) > 0 {
		n := len(body)
		for _, sep := range [][]byte{[]byte("\r\n\r\n"), []byte("\n\n"), []byte("\r\r")} {
			if i := bytes.Index(body, sep); i >= 0 && i+len(sep) < n {
				n = i + len(sep)
			}
		}
		out = append(out, body[:n])
		body = body[n:]
	}
	return out
}
