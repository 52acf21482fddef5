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
	// ClassClientLimit: the client ran out of file descriptors (EMFILE or
	// ENFILE) — a client-side failure that makes the run client-limited.
	ClassClientLimit ErrorClass = "client_limit"
)

// ClientSide reports whether the class is a failure of the client or of the
// run, not of the server: canceled and client_limit.
func (c ErrorClass) ClientSide() bool { return c == ClassCanceled || c == ClassClientLimit }

// Token count sources carried by Record.TokenSource.
const (
	TokensFromUsage  = "usage"  // the server's usage.completion_tokens
	TokensFromChunks = "chunks" // counted content events (no usage reported)
)

// Chunking values carried by Record.Chunking.
const (
	ChunkingReported = "reported" // the server reported each content event's token count
	ChunkingUnknown  = "unknown"  // it did not: an event may carry any number of tokens
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
	Concurrency int      `json:"concurrency"` // closed loop: the phase's workers; open loop: requests in flight when sent, this one included

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

	// Chunking is ChunkingReported when the server reported how many tokens
	// each content event carried (ChunkTokens, ITLToken are then set), and
	// ChunkingUnknown when it did not; empty in records written before the
	// field existed.
	Chunking string `json:"chunking,omitempty"`
	// ChunkTokens holds the tokens each content event carried, in order
	// (len = OutputChunks), when Chunking is ChunkingReported.
	ChunkTokens []int `json:"chunk_tokens,omitempty"`
	// ITLToken holds the per-token ITL: ITL[i] / ChunkTokens[i+1], when
	// Chunking is ChunkingReported. A gap that spans k tokens stands for k
	// inter-token intervals, so a per-token summary weights entry i by
	// ChunkTokens[i+1].
	ITLToken []float64 `json:"itl_token_s,omitempty"`
	// The server's own timings, in simulated time, when the target stamps
	// its events (the embedded engine's "hb_sim_ns"): seconds of the
	// modelled GPU's time from the request's arrival at the engine to the
	// event. Absent otherwise. See SimTime.
	SimTTFT     *float64  `json:"sim_ttft_s,omitempty"`      // to the first event carrying choices
	SimTTFTText *float64  `json:"sim_ttft_text_s,omitempty"` // to the first content event
	SimE2E      *float64  `json:"sim_e2e_s,omitempty"`       // to the last content event
	SimITL      []float64 `json:"sim_itl_s,omitempty"`       // gaps between content events

	FinishReason    string     `json:"finish_reason,omitempty"`
	HTTPStatus      int        `json:"http_status"`
	ErrorClass      ErrorClass `json:"error_class,omitempty"`
	Error           string     `json:"error,omitempty"`
	ServerRequestID string     `json:"server_request_id,omitempty"`
	Retries         int        `json:"retries,omitempty"`

	// Shard is the index (from 0) of the shard that made this request, set
	// only in a run directory written by merging the shards of a sharded
	// run (package merge); absent in a single machine's run.
	Shard *int `json:"shard,omitempty"`

	// The open-loop fields, omitted from closed-loop records. due is the
	// instant the schedule said to send the request; queue_s = t0 − due is
	// its send lag. The latencies from due are free of coordinated
	// omission: a request the client or a max_concurrency cap held back
	// counts its wait.
	IntendedUnixNs int64 `json:"intended_unix_ns,omitempty"` // wall clock at due
	// TargetRate is the target rate of the record's phase (requests/s),
	// so records group by rate without phases.jsonl.
	TargetRate    float64  `json:"target_rate,omitempty"`
	TTFTIntended  *float64 `json:"ttft_intended_s,omitempty"`  // c_1 − due = queue_s + ttft_s
	TotalIntended *float64 `json:"total_intended_s,omitempty"` // end of body − due = queue_s + total_s
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

	// The open-loop fields, omitted from closed-loop phases (whose
	// Concurrency is their worker count; an open-loop phase's is 0).
	Arrival string `json:"arrival,omitempty"` // constant, poisson, gamma or trace
	// TargetRate is the arrival process's mean rate in requests per
	// second (a ramp's mean over its duration; a trace's requests over its
	// span).
	TargetRate float64 `json:"target_rate,omitempty"`
	// OfferedRate is the drawn schedule's own rate: its requests over its
	// last due offset from the phase's start.
	OfferedRate float64 `json:"offered_rate,omitempty"`
	// AchievedRate is the requests actually sent over the last one's t0
	// offset from the phase's start; below OfferedRate when sends lagged.
	AchievedRate   float64 `json:"achieved_rate,omitempty"`
	MaxConcurrency int     `json:"max_concurrency,omitempty"`
	// SendLag summarises the phase's queue_s (t0 − due), in seconds.
	SendLag *Lag `json:"send_lag,omitempty"`
}

// Lag summarises a set of delays in seconds: their count, mean, and the
// median, 90th and 99th percentiles (stats.Quantile's definition) and
// maximum.
type Lag struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean_s"`
	P50  float64 `json:"p50_s"`
	P90  float64 `json:"p90_s"`
	P99  float64 `json:"p99_s"`
	Max  float64 `json:"max_s"`
}

// OpenLoop reports whether the phase was open-loop (ran on a schedule).
func (p *Phase) OpenLoop() bool { return p.Arrival != "" }

// F returns a pointer to v, for the nullable fields.
func F(v float64) *float64 { return &v }

// I returns a pointer to v, for the nullable fields.
func I(v int) *int { return &v }
