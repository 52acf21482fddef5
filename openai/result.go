package openai

import (
	"time"

	"github.com/hypobench/hypobench/record"
)

// Result is everything the client measured about one request. All offsets
// are monotonic-clock durations from T0, the instant just before the request
// was written (see the package doc). A Result is filled even when the request
// failed: what was measured before the failure is kept.
type Result struct {
	Endpoint string
	Model    string

	// T0 is the clock reading at t0; it carries both the wall clock and the
	// monotonic reading, so T0.Add(d) is the wall-clock instant of offset d.
	T0 time.Time
	// Connect is the time from the call to Do to t0: waiting for a pooled
	// connection, or dialling (and the TLS handshake) for a new one.
	Connect time.Duration
	// ConnReused reports whether t0's connection came from the idle pool.
	ConnReused bool

	// Status is the HTTP status code, 0 when no response arrived.
	Status int
	// RequestID is the server's request id: the first event's "id" field,
	// or the X-Request-Id header when events carry none.
	RequestID string
	// RetryAfter is the Retry-After header of an error response.
	RetryAfter string
	// Location is the Location header of a redirect.
	Location string

	// Events holds the arrival of every dispatched SSE event, including the
	// usage-only event and [DONE].
	Events []time.Duration
	// ChoiceEvents counts events carrying at least one choice; FirstChoice is
	// the arrival of the first (c_1), valid when ChoiceEvents > 0.
	ChoiceEvents int
	FirstChoice  time.Duration
	// Content holds the arrival of every content event: an event with at
	// least one choice whose text, delta content or delta reasoning content
	// is non-empty. Content[0] is the first non-empty text; the last is the
	// last content event (E2E).
	Content []time.Duration
	// SentNs holds the "hb_sent_ns" stamp of each content event, in the same
	// order as Content, when the server stamped its events (the calibration
	// server in openaitest does); nil otherwise.
	SentNs []int64
	// ChunkTokens holds, in the same order as Content, how many tokens each
	// content event carried, when the server reported per-chunk counts
	// (llama.cpp's timings.predicted_n with timings_per_token, or usage on
	// every chunk with continuous_usage_stats: see countChunk); nil when the
	// chunking is unknown.
	ChunkTokens []int
	// Sim holds the "hb_sim_ns" stamp of each content event, in the same
	// order as Content, and SimFirst that of the first event carrying
	// choices (c_1), when the server stamped every one of them: the
	// embedded engine's simulated (modelled GPU) time from the request's
	// arrival at the engine to the step that produced the event. Nil when
	// any was missing; Sim is never partial.
	Sim      []time.Duration
	SimFirst time.Duration
	// OutputBytes counts the bytes of generated text.
	OutputBytes int
	// Parsed counts the events whose JSON was parsed (every event but
	// [DONE] and what follows it); ParseDelay sums, and ParseMax is the
	// largest of, their read→parse delays: from the instant the read that
	// delivered the event returned (Event.Arrival, the instant its
	// timestamps in Events carry) to the instant its JSON was parsed. One
	// clock reading per event. A client too busy to parse what it has read
	// shows here; its event times are not delayed by it (they are read
	// instants), but what the client does next is.
	Parsed     int
	ParseDelay time.Duration
	ParseMax   time.Duration

	// HasUsage reports whether a usage object with a non-zero count arrived;
	// the counts are those of the last such object (Ollama sends zeroed usage
	// on every completions chunk and the real one at the end).
	HasUsage         bool
	PromptTokens     int
	CompletionTokens int

	FinishReason string
	// Done reports whether data: [DONE] arrived.
	Done bool
	// End is the end of the response body, or the instant the request failed.
	End time.Duration

	// ErrorClass is one of record's Class* values, empty on success.
	ErrorClass record.ErrorClass
	// Error is a one-line description of the failure; it never contains the
	// API key.
	Error string
	// ErrorBody is the start of an error response's body (at most 512 bytes),
	// with the API key redacted.
	ErrorBody string
}

// OK reports whether the request succeeded.
func (r *Result) OK() bool { return r.ErrorClass == "" }

// TTFT returns c_1 − t0, and false when no event carried choices.
func (r *Result) TTFT() (time.Duration, bool) { return r.FirstChoice, r.ChoiceEvents > 0 }

// ParseMean returns the mean read→parse delay of the parsed events, and
// false when none was parsed.
func (r *Result) ParseMean() (time.Duration, bool) {
	if r.Parsed == 0 {
		return 0, false
	}
	return r.ParseDelay / time.Duration(r.Parsed), true
}

// ITL returns the gaps between consecutive content events.
func (r *Result) ITL() []time.Duration {
	if len(r.Content) < 2 {
		return nil
	}
	g := make([]time.Duration, len(r.Content)-1)
	for i := 1; i < len(r.Content); i++ {
		g[i-1] = r.Content[i] - r.Content[i-1]
	}
	return g
}

func secs(d time.Duration) float64 { return d.Seconds() }

// Fill writes the measured fields into rec, following the definitions in
// record's package doc: TTFT, TTFTText, E2E, Total, TPOT, ITL, the tokens
// per chunk and the per-token ITL when the server reported them (Chunking
// says whether it did), token counts and their source, wall-clock start
// and end, the server's simulated timings when its events were stamped
// (SimTTFT, SimTTFTText, SimE2E, SimITL), HTTP status, finish reason,
// server request id and error. Endpoint and Model are set only when rec
// leaves them empty. Identity fields (ID, Profile, Concurrency, Queue, ...)
// are the caller's.
func (r *Result) Fill(rec *record.Record) {
	if rec.Endpoint == "" {
		rec.Endpoint = r.Endpoint
	}
	if rec.Model == "" {
		rec.Model = r.Model
	}
	rec.TTFT, rec.TTFTText, rec.E2E, rec.TPOT, rec.ITL = nil, nil, nil, nil, nil
	if r.ChoiceEvents > 0 {
		rec.TTFT = record.F(secs(r.FirstChoice))
	}
	if n := len(r.Content); n > 0 {
		rec.TTFTText = record.F(secs(r.Content[0]))
		rec.E2E = record.F(secs(r.Content[n-1]))
	}
	rec.Total = secs(r.End)
	if !r.T0.IsZero() {
		rec.StartUnixNs = r.T0.UnixNano()
		rec.EndUnixNs = r.T0.Add(r.End).UnixNano()
	}

	rec.OutputChunks = len(r.Content)
	rec.PromptTokens, rec.OutputTokens = nil, nil
	rec.TokenMismatch = false
	if r.HasUsage {
		rec.PromptTokens = record.I(r.PromptTokens)
		rec.OutputTokens = record.I(r.CompletionTokens)
		rec.TokenSource = record.TokensFromUsage
		rec.TokenMismatch = r.CompletionTokens != len(r.Content)
	} else {
		rec.TokenSource = record.TokensFromChunks
	}
	if n := rec.N(); n >= 2 && rec.TTFT != nil && rec.E2E != nil {
		rec.TPOT = record.F((*rec.E2E - *rec.TTFT) / float64(n-1))
	}
	if itl := r.ITL(); itl != nil {
		rec.ITL = make([]float64, len(itl))
		for i, g := range itl {
			rec.ITL[i] = secs(g)
		}
	}

	rec.ChunkTokens, rec.ITLToken = nil, nil
	rec.Chunking = record.ChunkingUnknown
	if len(r.Content) > 0 && len(r.ChunkTokens) == len(r.Content) {
		rec.Chunking = record.ChunkingReported
		rec.ChunkTokens = append([]int(nil), r.ChunkTokens...)
		rec.ITLToken = r.TokenITL()
	}
	rec.SimTTFT, rec.SimTTFTText, rec.SimE2E, rec.SimITL = nil, nil, nil, nil
	if n := len(r.Sim); n > 0 && n == len(r.Content) && r.ChoiceEvents > 0 {
		rec.SimTTFT = record.F(secs(r.SimFirst))
		rec.SimTTFTText = record.F(secs(r.Sim[0]))
		rec.SimE2E = record.F(secs(r.Sim[n-1]))
		if n > 1 {
			rec.SimITL = make([]float64, n-1)
			for i := 1; i < n; i++ {
				rec.SimITL[i-1] = secs(r.Sim[i] - r.Sim[i-1])
			}
		}
	}

	rec.HTTPStatus = r.Status
	rec.FinishReason = r.FinishReason
	rec.ServerRequestID = r.RequestID
	rec.ErrorClass = r.ErrorClass
	rec.Error = r.Error
}
