package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/hypobench/hypobench/record"
)

// chunk is the part of a streamed completions or chat chunk the client
// reads. Unknown fields are ignored.
type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Message string `json:"message"` // older vLLM error events: {"object":"error","message":...}
	Choices []struct {
		Text  string `json:"text"`
		Delta struct {
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"`
			Reasoning        string `json:"reasoning"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error  json.RawMessage `json:"error"`
	SentNs int64           `json:"hb_sent_ns"`
}

var doneData = []byte("[DONE]")

// readStream parses the SSE body into res until the end of the body or the
// first failure.
func (c *Client) readStream(ctx context.Context, res *Result, body io.Reader) {
	p := NewParser(body, c.maxLine)
	sent := make([]int64, 0, 16)
	stamped, idSeen := false, false
	defer func() {
		if stamped {
			res.SentNs = sent
		}
	}()
	for {
		ev, err := p.Next()
		if err != nil {
			res.End = time.Since(res.T0)
			c.streamEnd(ctx, res, err)
			return
		}
		at := ev.Arrival.Sub(res.T0)
		res.Events = append(res.Events, at)
		if res.Done {
			continue // anything after [DONE] is not part of the response
		}
		if bytes.Equal(ev.Data, doneData) {
			res.Done = true
			continue
		}
		var ch chunk
		if err := json.Unmarshal(ev.Data, &ch); err != nil {
			res.End = at
			res.fail(record.ClassMalformed, c.redact(fmt.Sprintf("decoding event at byte %d: %v (data %q)", ev.Offset, err, oneLine(string(ev.Data), 80))))
			return
		}
		if msg, ok := streamError(&ch); ok {
			res.End = at
			res.fail(record.ClassStreamError, c.redact(fmt.Sprintf("server sent an error in the stream at byte %d: %s", ev.Offset, oneLine(msg, 200))))
			return
		}
		if ch.ID != "" && !idSeen {
			res.RequestID, idSeen = ch.ID, true // the event id wins over X-Request-Id
		}
		if ch.Usage != nil && ch.Usage.PromptTokens+ch.Usage.CompletionTokens > 0 {
			res.HasUsage = true
			res.PromptTokens = ch.Usage.PromptTokens
			res.CompletionTokens = ch.Usage.CompletionTokens
		}
		if len(ch.Choices) == 0 {
			continue
		}
		if res.ChoiceEvents == 0 {
			res.FirstChoice = at
		}
		res.ChoiceEvents++
		content := false
		for i := range ch.Choices {
			x := &ch.Choices[i]
			n := len(x.Text) + len(x.Delta.Content) + len(x.Delta.ReasoningContent) + len(x.Delta.Reasoning)
			if n > 0 {
				content = true
				res.OutputBytes += n
			}
			if x.FinishReason != "" {
				res.FinishReason = x.FinishReason
			}
		}
		if content {
			res.Content = append(res.Content, at)
			sent = append(sent, ch.SentNs)
			stamped = stamped || ch.SentNs != 0
		}
	}
}

// streamError reports whether the chunk is an error object, and its message.
func streamError(ch *chunk) (string, bool) {
	if len(ch.Error) > 0 && !bytes.Equal(ch.Error, []byte("null")) {
		var e struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		}
		if json.Unmarshal(ch.Error, &e) == nil && e.Message != "" {
			if e.Type != "" {
				return e.Type + ": " + e.Message, true
			}
			return e.Message, true
		}
		return string(ch.Error), true
	}
	if ch.Object == "error" {
		return ch.Message, true
	}
	return "", false
}

// streamEnd classifies the end of the body: a clean end, a parse error or a
// read error.
func (c *Client) streamEnd(ctx context.Context, res *Result, err error) {
	var pe *ParseError
	switch {
	case err == io.EOF:
		if !res.Done {
			res.fail(record.ClassNoDone, "stream ended without data: [DONE]")
		} else if len(res.Content) == 0 {
			res.fail(record.ClassEmptyOutput, "stream ended with [DONE] but no event carried text")
		}
	case errors.As(err, &pe) && errors.Is(err, ErrLineTooLong):
		res.fail(record.ClassLineTooLong, fmt.Sprintf("%v (limit %d bytes)", pe, p0(c.maxLine)))
	case errors.As(err, &pe) && errors.Is(err, ErrInvalidUTF8):
		res.fail(record.ClassInvalidUTF8, pe.Error())
	case errors.As(err, &pe):
		res.fail(record.ClassMalformed, pe.Error())
	default:
		res.fail(classify(ctx, err, false, true), c.redact(fmt.Sprintf("reading stream: %v", err)))
	}
}

func p0(maxLine int) int {
	if maxLine <= 0 {
		return DefaultMaxLine
	}
	return maxLine
}

// classify maps a transport error to an error class. noConn says no
// connection was obtained; midStream says the response had started.
func classify(ctx context.Context, err error, noConn, midStream bool) record.ErrorClass {
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), errRequestTimeout) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return record.ClassTimeout
		}
		return record.ClassCanceled
	}
	if noConn {
		return record.ClassConnect // a dial or TLS handshake timeout included
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return record.ClassTimeout
	}
	if midStream || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return record.ClassReset
	}
	return record.ClassRequest
}
