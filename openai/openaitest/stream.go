package openaitest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// stream writes one streaming response.
type stream struct {
	h            *Handler
	w            http.ResponseWriter
	rc           *http.ResponseController
	tr           *Trace
	chat         bool
	id, model    string
	n            int
	promptTokens int
	usage        bool
	continuous   bool // usage on every event (continuous_usage_stats)
	timings      bool // llama.cpp timings on every token event (timings_per_token)
	sent         int  // tokens sent so far
	buf          []byte
	created      int64
}

// run sends the events of a response, injecting fault midway.
func (s *stream) run(r *http.Request, received time.Time, fault Fault) {
	cfg := &s.h.cfg
	s.created = received.Unix()
	d := cfg.Dialect
	per := cfg.ChunkTokens
	events := (s.n + per - 1) / per
	faultAt := max(1, events/2) // event index at which a mid-stream fault strikes
	for k := 0; k < events; k++ {
		if k == faultAt && fault != None {
			if !s.inject(r, fault) {
				return
			}
		}
		due := received.Add(cfg.TTFT + time.Duration(k)*cfg.TokenDelay)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if s.chat && k == 0 {
			if open := s.openDelta(); open != "" {
				s.event(s.chunk(open, "", false), true, false)
			}
		}
		lo, hi := k*per, min(s.n, (k+1)*per)
		s.sent = hi
		finish := ""
		if hi == s.n && s.finishOnToken() {
			finish = "length"
		}
		if !s.event(s.tokenChunk(lo, hi, finish), true, true) {
			return
		}
	}
	if events < 2 && fault != None && faultAt >= events {
		if !s.inject(r, fault) {
			return
		}
	}
	if !s.finishOnToken() {
		delta := `"text":""`
		switch {
		case s.chat && d == Ollama:
			delta = `"delta":{"role":"assistant","content":""}`
		case s.chat:
			delta = `"delta":{}`
		}
		s.event(s.finishChunk(delta), true, false)
	}
	if s.usage && !(d == LlamaCpp && !s.chat) { // llama.cpp's completions finish event carried it
		s.event(s.usageChunk(), false, false)
	}
	if fault == NoDone {
		return
	}
	s.line("data: [DONE]")
	s.end(false, false)
}

// openDelta returns the chat delta of the dialect's opening role event, ""
// when it sends none.
func (s *stream) openDelta() string {
	switch d := s.h.cfg.Dialect; {
	case d == Ollama || d == TGI:
		return ""
	case d == LlamaCpp:
		return `"delta":{"role":"assistant","content":null}`
	}
	return `"delta":{"role":"assistant","content":""}`
}

// finishOnToken reports whether finish_reason rides on the last token's
// event (vLLM, TGI) rather than on an event of its own.
func (s *stream) finishOnToken() bool {
	d := s.h.cfg.Dialect
	if !s.chat {
		return d != Ollama && d != LlamaCpp
	}
	return d.vllmLike() || d == TGI
}

// inject writes a mid-stream fault; it reports whether the normal stream
// should go on afterwards.
func (s *stream) inject(r *http.Request, f Fault) bool {
	switch f {
	case Reset:
		hijackReset(s.rc)
		return false
	case Malformed:
		s.line(`data: {"id":"` + s.id + `","choices":[{"index":0,"text":"trunc`)
		s.end(false, false)
	case StreamError:
		s.line(`data: {"error":{"message":"injected fault stream_error","type":"InternalServerError","code":500}}`)
		s.end(false, false)
		s.line("data: [DONE]")
		s.end(false, false)
		return false
	case Stall:
		select {
		case <-time.After(s.h.cfg.StallFor):
		case <-r.Context().Done():
			return false
		}
	case InvalidUTF8:
		s.line(`data: {"id":"` + s.id + `","choices":[{"index":0,"text":"bad ` + "\xff\xfe" + ` bytes"}]}`)
		s.end(false, false)
	case LongLine:
		s.buf = append(s.buf[:0], `data: {"pad":"`...)
		s.buf = append(s.buf, strings.Repeat("a", s.h.cfg.LongLine)...)
		s.buf = append(s.buf, `"}`...)
		s.buf = append(s.buf, s.h.cfg.LineEnding...)
		s.buf = append(s.buf, s.h.cfg.LineEnding...)
		s.write(false, false)
	case CommentOnly:
		for i := 0; i < 3; i++ {
			s.line(": keep-alive")
			s.flush()
		}
		return false
	}
	return true
}

// chunk returns the JSON of an event with one choice whose body is choice
// (without the surrounding braces), plus finish_reason, without the closing
// brace of the event.
func (s *stream) chunk(choice, finish string, tokenEvent bool) []byte {
	d := s.h.cfg.Dialect
	b := make([]byte, 0, 256)
	b = append(b, `{"id":"`...)
	if d != TGI || !s.chat {
		b = append(b, s.id...)
	}
	if s.chat {
		b = append(b, `","object":"chat.completion.chunk","created":`...)
	} else {
		b = append(b, `","object":"text_completion","created":`...)
	}
	b = strconv.AppendInt(b, s.created, 10)
	b = append(b, `,"model":"`...)
	b = append(b, s.model...)
	b = append(b, `","choices":[{"index":0,`...)
	b = append(b, choice...)
	if finish == "" {
		b = append(b, `,"finish_reason":null`...)
	} else {
		b = append(b, `,"finish_reason":"`...)
		b = append(b, finish...)
		b = append(b, '"')
	}
	if d == SGLang && s.chat {
		b = append(b, `,"matched_stop":null`...)
	}
	b = append(b, "}]"...)
	switch {
	case s.usage && d == Ollama && !s.chat:
		b = append(b, `,"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}`...)
	case s.continuous && (tokenEvent || d != SGLang): // SGLang's role and finish events carry none
		b = s.appendUsage(b, s.sent)
	case d == TGI && s.chat:
		b = append(b, `,"usage":null`...)
	}
	if s.timings && tokenEvent {
		b = s.appendTimings(b)
	}
	return b
}

// tokenChunk returns the event JSON for tokens lo..hi−1, without the
// closing brace.
func (s *stream) tokenChunk(lo, hi int, finish string) []byte {
	var text []byte
	for j := lo; j < hi; j++ {
		text = append(text, " w"...)
		text = strconv.AppendInt(text, int64(j), 10)
	}
	d := s.h.cfg.Dialect
	var choice string
	switch {
	case !s.chat:
		choice = `"text":"` + string(text) + `","logprobs":null`
	case d == Ollama:
		choice = `"delta":{"role":"assistant","content":"` + string(text) + `"}`
	case d == TGI:
		choice = `"delta":{"role":"assistant","content":"` + string(text) + `"},"logprobs":null`
	default:
		field := "content"
		if lo < s.h.cfg.Reasoning && d.reasoningField() != "" {
			field = d.reasoningField()
		}
		choice = `"delta":{"` + field + `":"` + string(text) + `"},"logprobs":null`
	}
	return s.chunk(choice, finish, true)
}

// finishChunk returns the event that carries only the finish_reason, for
// the dialects that send it on its own. llama.cpp's carries the timings
// when no usage event follows; on completions it always carries the usage
// too (its final completions event has both, include_usage or not).
func (s *stream) finishChunk(delta string) []byte {
	b := s.chunk(delta, "length", false)
	if s.h.cfg.Dialect != LlamaCpp {
		return b
	}
	if !s.chat {
		b = s.appendUsage(b, s.n)
		return s.appendTimings(b)
	}
	if !s.usage {
		b = s.appendTimings(b)
	}
	return b
}

// appendUsage appends a usage object with completion tokens c.
func (s *stream) appendUsage(b []byte, c int) []byte {
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(s.promptTokens), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(c), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(s.promptTokens+c), 10)
	return append(b, '}')
}

// appendTimings appends llama.cpp's timings object for the tokens sent so
// far (the durations are this server's schedule, not measured).
func (s *stream) appendTimings(b []byte) []byte {
	cfg := &s.h.cfg
	b = append(b, `,"timings":{"cache_n":0,"prompt_n":`...)
	b = strconv.AppendInt(b, int64(s.promptTokens), 10)
	b = append(b, `,"prompt_ms":`...)
	b = strconv.AppendFloat(b, float64(cfg.TTFT)/1e6, 'f', -1, 64)
	b = append(b, `,"predicted_n":`...)
	b = strconv.AppendInt(b, int64(s.sent), 10)
	b = append(b, `,"predicted_ms":`...)
	b = strconv.AppendFloat(b, float64(cfg.TokenDelay)*float64(s.sent)/1e6, 'f', -1, 64)
	return append(b, '}')
}

// usageChunk returns the final usage event's JSON, without the closing brace.
func (s *stream) usageChunk() []byte {
	d := s.h.cfg.Dialect
	b := make([]byte, 0, 192)
	b = append(b, `{"id":"`...)
	if d != TGI || !s.chat {
		b = append(b, s.id...)
	}
	b = append(b, `","object":"`...)
	if s.chat {
		b = append(b, "chat.completion.chunk"...)
	} else {
		b = append(b, "text_completion"...)
	}
	b = append(b, `","created":`...)
	b = strconv.AppendInt(b, s.created, 10)
	b = append(b, `,"model":"`...)
	b = append(b, s.model...)
	b = append(b, `","choices":[]`...)
	b = s.appendUsage(b, s.n)
	if d == LlamaCpp {
		b = s.appendTimings(b)
	}
	return b
}

// event writes "data: <json>" (closing the object, stamped when asked),
// flushes, and records the send. It reports whether the write succeeded.
func (s *stream) event(obj []byte, choice, content bool) bool {
	if s.h.cfg.Comments {
		s.line(": keep-alive")
	}
	at := time.Now()
	s.buf = append(s.buf, "data: "...)
	s.buf = append(s.buf, obj...)
	if s.h.cfg.Stamp {
		s.buf = append(s.buf, `,"hb_sent_ns":`...)
		s.buf = strconv.AppendInt(s.buf, at.UnixNano(), 10)
	}
	s.buf = append(s.buf, '}')
	s.buf = append(s.buf, s.h.cfg.LineEnding...)
	s.buf = append(s.buf, s.h.cfg.LineEnding...)
	return s.writeAt(at, choice, content)
}

// line buffers one SSE line.
func (s *stream) line(l string) {
	s.buf = append(s.buf, l...)
	s.buf = append(s.buf, s.h.cfg.LineEnding...)
}

// end terminates the buffered event with a blank line and sends it.
func (s *stream) end(choice, content bool) bool {
	s.buf = append(s.buf, s.h.cfg.LineEnding...)
	return s.write(choice, content)
}

func (s *stream) write(choice, content bool) bool {
	return s.writeAt(time.Now(), choice, content)
}

func (s *stream) writeAt(at time.Time, choice, content bool) bool {
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:0]
	if err == nil {
		err = s.rc.Flush()
	}
	s.tr.Events = append(s.tr.Events, Sent{At: at, Choice: choice, Content: content})
	return err == nil
}

// flush sends buffered lines that are not an event (comments).
func (s *stream) flush() {
	_, _ = s.w.Write(s.buf)
	s.buf = s.buf[:0]
	_ = s.rc.Flush()
}
