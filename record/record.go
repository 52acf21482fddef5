package record

import "fmt"

// ErrorClass says why a request failed; the empty class means it
// succeeded. It is written as the record's error_class.
type ErrorClass string

// The error classes the client assigns.
const (
	ClassConnect     ErrorClass = "connect"       // dial, DNS or TLS handshake failed
	ClassHTTPStatus  ErrorClass = "http_status"   // non-2xx status before any event
	ClassTimeout     ErrorClass = "timeout"       // the per-request deadline passed
	ClassReset       ErrorClass = "reset"         // the connection broke mid-stream
	ClassMalformed   ErrorClass = "malformed"     // an event could not be parsed
	ClassNoDone      ErrorClass = "no_done"       // the stream ended without [DONE]
	ClassStreamError ErrorClass = "stream_error"  // the server sent an error object in the stream
	ClassContentType ErrorClass = "content_type"  // the response was not text/event-stream
	ClassCanceled    ErrorClass = "canceled"      // the run was interrupted while the request was in flight
	ClassRequest     ErrorClass = "request"       // the request could not be built or sent
	ClassLineTooLong ErrorClass = "line_too_long" // one SSE line exceeded the client's limit
	ClassRedirect    ErrorClass = "redirect"      // the server answered with a redirect
	ClassInvalidUTF8 ErrorClass = "invalid_utf8"  // event data was not valid UTF-8
	ClassEmptyOutput ErrorClass = "empty_output"  // [DONE] arrived but no content event did
	ClassRetry       ErrorClass = "retry"         // reserved for recorded retries
)

// Token count sources carried by Record.TokenSource.
const (
	TokensFromUsage  = "usage"  // the server's usage.completion_tokens
	TokensFromChunks = "chunks" // counted content events (no usage reported)
)

// Record is one request's outcome: one JSON object, one line of
// requests.jsonl. The first five fields keep the seed's names verbatim.
//
// Durations are seconds measured on the client's monotonic clock from t0,
// the instant just before the request was written (see the package doc for
// each definition). A nil pointer encodes as JSON null: the quantity is
// undefined for this request (TPOT with fewer than 2 tokens, TTFT of a
// request that failed before its first event).
type Record struct {
	ID          string   `json:"id"`          // req_000001, unique within a run
	Profile     string   `json:"profile"`     // short_short, short_long, long_short, long_long, ...
	TTFT        *float64 `json:"ttft_s"`      // c_1 − t0: first event carrying choices
	Total       float64  `json:"total_s"`     // end of response body − t0
	Concurrency int      `json:"concurrency"` // closed-loop workers in this phase

	RunID string `json:"run_id"`
	Suite string `json:"suite"`
	Phase int    `json:"phase"` // index into phases.jsonl
	Seq   int    `json:"seq"`   // order of issue within the phase, from 0
	// Round is the round of a design run in rounds (workload.Suite.Rounds),
	// from 1; 0 (omitted) when the design has none.
	Round int `json:"round,omitempty"`

	PromptRep int    `json:"prompt_rep"`
	MaxTokens int    `json:"max_tokens"`
	Endpoint  string `json:"endpoint"` // completions or chat
	Model     string `json:"model,omitempty"`

	PromptTokens *int   `json:"prompt_tokens"` // usage.prompt_tokens, null when not reported
	OutputTokens *int   `json:"output_tokens"` // usage.completion_tokens, null when not reported
	OutputChunks int    `json:"output_chunks"` // content events counted by the client
	TokenSource  string `json:"token_source,omitempty"`
	// TokenMismatch is set when usage and counted chunks disagree.
	TokenMismatch bool `json:"token_mismatch,omitempty"`

	Queue       float64   `json:"queue_s"`       // t0 − due
	StartUnixNs int64     `json:"start_unix_ns"` // wall clock at t0
	EndUnixNs   int64     `json:"end_unix_ns"`   // wall clock at end of body
	TTFTText    *float64  `json:"ttft_text_s"`   // first non-empty text − t0
	E2E         *float64  `json:"e2e_s"`         // last content event − t0
	TPOT        *float64  `json:"tpot_s"`        // (E2E − TTFT)/(N − 1), N ≥ 2
	ITL         []float64 `json:"itl_s"`         // gaps between content events

	FinishReason    string     `json:"finish_reason,omitempty"`
	HTTPStatus      int        `json:"http_status"`
	ErrorClass      ErrorClass `json:"error_class,omitempty"`
	Error           string     `json:"error,omitempty"`
	ServerRequestID string     `json:"server_request_id,omitempty"`
	Retries         int        `json:"retries,omitempty"`
}

// OK reports whether the request completed without an error class.
func (r *Record) OK() bool { return r.ErrorClass == "" }

// N returns the output token count used for TPOT: usage when reported,
// counted chunks otherwise.
func (r *Record) N() int {
	if r.OutputTokens != nil {
		return *r.OutputTokens
	}
	return r.OutputChunks
}

// RequestID formats the seed's request id, req_000001 for n = 1.
func RequestID(n int) string { return fmt.Sprintf("req_%06d", n) }

// Phase is one line of phases.jsonl: a window of wall-clock time during which
// one profile ran at one concurrency. Phases are written in the order they
// ran. Warm-up requests run before StartUnixNs.
type Phase struct {
	Index       int    `json:"index"`
	Suite       string `json:"suite"`
	Profile     string `json:"profile"`
	Concurrency int    `json:"concurrency"`
	Requests    int    `json:"requests"`
	// Round is the phase's round (workload.Suite.Rounds), from 1; 0
	// (omitted) without rounds.
	Round       int   `json:"round,omitempty"`
	StartUnixNs int64 `json:"start_unix_ns"`
	EndUnixNs   int64 `json:"end_unix_ns"`
	// Status is StatusComplete or StatusInterrupted.
	Status Status `json:"status"`
}

// F returns a pointer to v, for the nullable fields.
func F(v float64) *float64 { return &v }

// I returns a pointer to v, for the nullable fields.
func I(v int) *int { return &v }
