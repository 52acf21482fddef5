package openai

import (
	"bytes"
	"encoding/json"
)

// This file holds the scanner's reading of fields that only some servers'
// dialects send (fixtures/sse/README.md cites the source of each). They are
// kept apart from scan.go's core fields so that each can grow on its own.

// timings is what the client reads from llama.cpp's "timings" object:
// predicted_n, the number of tokens generated so far (llama.cpp sends the
// object on every chunk when the request sets "timings_per_token": true,
// and on the last chunk always).
type timings struct {
	present   bool // "timings" is an object (not absent or null)
	predicted int  // timings.predicted_n
}

// decodeTimings is encoding/json's reading of "timings": absent or null
// gives no timings, and so does a value that is not an object with an
// integer predicted_n (another server's "timings" must not fail the event).
// scanChunk declines every such value, so the two agree.
func decodeTimings(raw json.RawMessage) timings {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return timings{}
	}
	var t struct {
		PredictedN int `json:"predicted_n"`
	}
	if json.Unmarshal(raw, &t) != nil {
		return timings{}
	}
	return timings{present: true, predicted: t.PredictedN}
}

// dialectSeen records which dialect fields an object already had (a
// duplicate goes to encoding/json).
type dialectSeen struct {
	timings bool
}

// dialectField reads a top-level dialect field. handled is false when key
// is none of them (the caller goes on); otherwise ok says whether the value
// was accepted. A key that matches one only case-insensitively is declined,
// as scanChunk declines for its own keys.
func (s *scanner) dialectField(key []byte, f *fields, seen *dialectSeen) (handled, ok bool) {
	switch {
	case string(key) == "timings":
		if seen.timings {
			return true, false
		}
		seen.timings = true
		return true, s.timings(f)
	case bytes.EqualFold(key, []byte("timings")):
		return true, false
	}
	return false, false
}

// timings reads "timings": null or an object whose predicted_n is an
// integer; its other members are skipped.
func (s *scanner) timings(f *fields) bool {
	f.timings = timings{}
	if s.literal("null") {
		return true
	}
	if !s.peek('{') {
		return false
	}
	f.timings.present = true
	seen := false
	return s.object(func(key []byte) bool {
		switch {
		case string(key) == "predicted_n":
			if seen {
				return false
			}
			seen = true
			n, null, ok := s.int64()
			if ok && !null {
				if int64(int(n)) != n {
					return false
				}
				f.timings.predicted = int(n)
			}
			return ok
		case foldsTo(key, "predicted_n"):
			return false
		}
		return s.skip(0)
	})
}
