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
	// Timings is llama.cpp's per-chunk "timings" object (see scan_dialect.go),
	// decoded on its own so that another server's differently shaped
	// "timings" is ignored rather than failing the event.
	Timings json.RawMessage `json:"timings"`
	Error   json.RawMessage `json:"error"`
	SentNs  int64           `json:"hb_sent_ns"`
	SimNs   *int64          `json:"hb_sim_ns"`
}

var doneData = []byte("[DONE]")

// readStream parses the SSE body into res until the end of the body or the
// first failure, and reports whether it read the body to its clean end.
// hint, when > 0, is the expected number of content events (the request's
// max_tokens), used to size res's slices once.
//
// Each event's JSON is read by scanChunk, an allocation-free scan of the few
// fields the client uses; anything it declines goes through encoding/json
// (decodeChunk), so every figure is what encoding/json would give.
func (c *Client) readStream(ctx context.Context, res *Result, body io.Reader, hint int) (clean bool) {
	p := getParser(body, c.maxLine)
	defer putParser(p)
	if c.readClock != nil {
		p.now = c.readClock
	}
	if hint > 0 && hint <= maxHint {
		res.Events = make([]time.Duration, 0, hint+2) // + usage and [DONE]
		res.Content = make([]time.Duration, 0, hint)
	}
	var sent []int64
	var sim []time.Duration
	stamped, idSeen := false, false
	lastCount, chunkUnknown := 0, false       // per-chunk token counts (countChunk)
	simFirst, simOK := time.Duration(0), true // every content event so far carried hb_sim_ns
	defer func() {
		if stamped {
			res.SentNs = sent
		}
		if simOK && len(sim) > 0 && len(sim) == len(res.Content) {
			res.SimFirst, res.Sim = simFirst, sim
		}
	}()
	for {
		ev, err := p.Next()
		if err != nil {
			res.End = time.Since(res.T0)
			c.streamEnd(ctx, res, err)
			return err == io.EOF
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
		var f fields
		ok := false
		if !c.noScan {
			f, ok = scanChunk(ev.Data)
		}
		if !ok {
			if f, err = decodeChunk(ev.Data); err != nil {
				res.End = at
				res.fail(record.ClassMalformed, c.redact(fmt.Sprintf("decoding event at byte %d: %v (data %q)", ev.Offset, err, oneLine(string(ev.Data), 80))))
				return false
			}
		}
		parse := time.Since(ev.Arrival) // read→parse: the one clock reading per event
		res.Parsed++
		res.ParseDelay += parse
		res.ParseMax = max(res.ParseMax, parse)
		if f.isError {
			res.End = at
			res.fail(record.ClassStreamError, c.redact(fmt.Sprintf("server sent an error in the stream at byte %d: %s", ev.Offset, oneLine(f.errMsg, 200))))
			return false
		}
		if f.id != nil && !idSeen {
			res.RequestID, idSeen = string(f.id), true // the event id wins over X-Request-Id
		}
		if f.usage && f.prompt+f.completion > 0 {
			res.HasUsage = true
			res.PromptTokens = f.prompt
			res.CompletionTokens = f.completion
		}
		if f.choices == 0 {
			continue
		}
		if res.ChoiceEvents == 0 {
			res.FirstChoice = at
			simFirst, simOK = time.Duration(f.simNs), f.simStamped
		}
		res.ChoiceEvents++
		res.OutputBytes += f.contentBytes
		if f.finish != nil && string(f.finish) != res.FinishReason {
			res.FinishReason = string(f.finish)
		}
		if f.contentBytes > 0 {
			res.Content = append(res.Content, at)
			res.countChunk(f, &lastCount, &chunkUnknown)
			if sent == nil && f.sentNs != 0 {
				// First stamp: back-fill the unstamped content events so far.
				sent = make([]int64, len(res.Content)-1, max(cap(res.Content), len(res.Content)))
			}
			if sent != nil {
				sent = append(sent, f.sentNs)
			}
			stamped = stamped || f.sentNs != 0
			if simOK = simOK && f.simStamped; simOK {
				if sim == nil {
					sim = make([]time.Duration, 0, cap(res.Content))
				}
				sim = append(sim, time.Duration(f.simNs))
			}
		}
	}
}

// maxHint bounds the slice capacity readStream reserves from a request's
// max_tokens (a huge max_tokens must not reserve memory it will not use).
const maxHint = 1 << 14

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
