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
	buf          []byte
	created      int64
}

// run sends the events of a response, injecting fault midway.
func (s *stream) run(r *http.Request, received time.Time, fault Fault) {
	cfg := &s.h.cfg
	s.created = received.Unix()
	ollama := cfg.Dialect == Ollama
	faultAt := max(1, s.n/2) // token index at which a mid-stream fault strikes
	for k := 0; k < s.n; k++ {
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
		if s.chat && k == 0 && !ollama {
			s.event(s.chunk(`"delta":{"role":"assistant","content":""}`, "", true), true, false)
		}
		finish := ""
		if k == s.n-1 && !ollama {
			finish = "length"
		}
		if !s.event(s.tokenChunk(k, finish), true, true) {
			return
		}
	}
	if s.n < 2 && fault != None && faultAt >= s.n {
		if !s.inject(r, fault) {
			return
		}
	}
	if ollama {
		delta := `"text":""`
		if s.chat {
			delta = `"delta":{"role":"assistant","content":""}`
		}
		s.event(s.chunk(delta, "length", !s.chat), true, false)
	}
	if s.usage {
		s.event(s.usageChunk(), false, false)
	}
	if fault == NoDone {
		return
	}
	s.line("data: [DONE]")
	s.end(false, false)
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
// (without the surrounding braces), plus finish_reason.
func (s *stream) chunk(choice, finish string, zeroUsage bool) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"id":"`...)
	b = append(b, s.id...)
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
		b = append(b, `,"finish_reason":null}]`...)
	} else {
		b = append(b, `,"finish_reason":"`...)
		b = append(b, finish...)
		b = append(b, `"}]`...)
	}
	if zeroUsage && s.usage && s.h.cfg.Dialect == Ollama {
		b = append(b, `,"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}`...)
	}
	return b
}

// tokenChunk returns token k's event JSON, without the closing brace.
func (s *stream) tokenChunk(k int, finish string) []byte {
	tok := " w" + strconv.Itoa(k)
	var choice string
	switch {
	case !s.chat:
		choice = `"text":"` + tok + `","logprobs":null`
	case s.h.cfg.Dialect == Ollama:
		choice = `"delta":{"role":"assistant","content":"` + tok + `"}`
	default:
		choice = `"delta":{"content":"` + tok + `"},"logprobs":null`
	}
	return s.chunk(choice, finish, !s.chat)
}

// usageChunk returns the final usage event's JSON, without the closing brace.
func (s *stream) usageChunk() []byte {
	b := make([]byte, 0, 192)
	b = append(b, `{"id":"`...)
	b = append(b, s.id...)
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
	b = append(b, `","choices":[],"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(s.promptTokens), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(s.n), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(s.promptTokens+s.n), 10)
	b = append(b, '}')
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
