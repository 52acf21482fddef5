// Package openai is hypobench's streaming client for OpenAI-compatible
// inference servers (vLLM, SGLang, TGI, llama.cpp, Ollama): it sends one
// request to /v1/completions or /v1/chat/completions with stream: true and
// measures, on the monotonic clock, when each server-sent event arrives.
//
// # Client
//
// New builds a Client once and shares it. Requests to a plain http:// server
// go over the client's own kept-alive HTTP/1.1 connections (raw.go): the
// request head is written by hand in one write, the response head is read
// with net/http's http.ReadResponse, and a chunked body is decoded in place
// into the SSE parser's buffer (chunked.go), all on the requesting
// goroutine, with no Transport goroutines and one copy per event. The pool
// is hand-written because net/http has no client connection pool without
// its Transport's two goroutines per connection; the chunked decoder
// because net/http's reader copies every event through its own buffer. It
// accepts and refuses what net/http's does, with the same limits
// (FuzzChunkedBody compares the two on arbitrary bodies in arbitrary
// pieces). The pool keeps at most MaxConns connections open (a request
// waits for a free one, and its deadline counts while it waits),
// reuses a connection only after its response was read to the end, closes
// connections idle for 90 s, and sends a request once more on a new
// connection when a reused one turns out closed by the server before any
// response byte (a keep-alive timeout; uvicorn's is 5 s). https:// servers,
// Config.NetHTTP, and a user agent or key that is not a valid header value
// use one net/http Transport instead, tuned the same way. Either way:
// HTTP/1.1 only (one TCP connection per stream, as vLLM's own benchmark
// clients use; HTTP/2 would multiplex streams under one flow control
// window), keep-alive on, no gzip (compression would buffer events), no
// proxy, and redirects never followed (a 3xx is the error class
// "redirect"). The API key (Config.APIKey, KeyFromEnv reads
// HYPOBENCH_API_KEY then OPENAI_API_KEY) is a Secret: it prints as
// [REDACTED] under every fmt verb and in JSON, and is replaced by [REDACTED]
// in every error message and error-body snippet a Result carries.
//
// # Timing
//
// Do returns a Result whose offsets are durations from t0 on the monotonic
// clock (time.Time values from time.Now carry a monotonic reading; all
// arithmetic uses it):
//
//   - t0 is the instant the connection (fresh or from the pool) has been
//     obtained and the request is about to be written (on the net/http path,
//     the httptrace GotConn hook). Nothing of the request has been written.
//     Dialling, the TLS handshake and waiting for a pooled connection happen
//     before t0 and are reported as Result.Connect (the runner's queue time
//     includes them). When a request is sent again (the net/http Transport
//     replays one nothing of which was written; the raw path resends one
//     whose reused connection was found closed), t0 is the resend's.
//   - An event's arrival is the instant the read that delivered its
//     dispatching blank line returned (Parser), so events that arrive in one
//     read share one arrival.
//   - c_1 (FirstChoice, TTFT) is the first event with at least one choice,
//     including vLLM's opening chat delta {"role":"assistant","content":""}
//     and Ollama's finish_reason-only chunk.
//   - A content event is an event with at least one choice whose text, delta
//     content or delta reasoning content is non-empty. Only content events
//     count as output chunks, give the ITL gaps, the first non-empty text
//     (TTFTText) and E2E (the last content event). A chunk carrying only a
//     finish_reason (Ollama sends one, with empty text, after the last token)
//     is not content: counting it would add a gap that is not a token and
//     move E2E past the last token. The usage-only event and [DONE] are never
//     content.
//   - Usage: the last usage object with a non-zero count is kept (Ollama sends
//     zeroed usage on every completions chunk and the real counts on a final
//     chunk with choices: []).
//   - End is the instant the body's read returned EOF, or the instant the
//     request failed (a stream error or malformed event ends reading there).
//
// Result.Fill maps these onto record.Record exactly as record's package doc
// defines TTFT, TTFTText, E2E, Total, TPOT and ITL.
//
// # Tokens per chunk
//
// A content event may carry several tokens (vLLM's stream interval,
// speculative decoding, SGLang sending all text generated since its last
// event). When every content event carries the server's cumulative count of
// generated tokens, Result.ChunkTokens holds each event's share: llama.cpp's
// timings.predicted_n (the request sets "timings_per_token": true; pass it
// in Request.Extra) or usage.completion_tokens on the event itself (vLLM
// and SGLang with stream_options.continuous_usage_stats). Otherwise
// ChunkTokens is nil and Fill records the chunking as unknown. TokenITL
// divides each ITL gap by the tokens of the event that ends it. The scan of
// these dialect fields lives in scan_dialect.go; fixtures/sse/README.md
// cites each server's source for them.
//
// # Errors
//
// Do never returns nil and never panics; every failure is an ErrorClass from
// package record: connect (no connection: refused, DNS, TLS verification),
// http_status (non-2xx; ErrorBody keeps the first 512 bytes, RetryAfter the
// header), redirect, content_type (not text/event-stream), timeout
// (Config.Timeout or the caller's deadline), canceled (the caller's context),
// reset (the connection broke after it was obtained), malformed (an event that
// is not JSON), stream_error (an "error" object in the stream), line_too_long,
// invalid_utf8, no_done (a clean end without [DONE]) and empty_output ([DONE]
// with no content event). The first failure is the one recorded; what was
// measured before it stays in the Result.
//
// # SSE parsing
//
// The parser (sse.go) is hand-written: Go's standard library has no SSE
// reader, and the maintained third-party ones (r3labs/sse, tmaxmax/go-sse)
// are event-source clients that own the HTTP request, reconnect, and do not
// expose the read instant of each event or bound line length. It follows the
// WHATWG "interpreting an event stream" algorithm (LF, CR, CRLF line ends,
// a leading BOM, comments, multi-line data joined with "\n", the incomplete
// event at end of stream discarded) and reports over-long lines and invalid
// UTF-8 as *ParseError with the byte offset. FuzzSSE checks that cutting the
// stream into arbitrary reads never changes the events.
//
// # Simulated-time stamps
//
// The embedded engine stamps every streamed token's event with
// "hb_sim_ns": the modelled GPU's nanoseconds from the request's arrival
// at the engine to the step that sampled the token (package engine). The
// client keeps them per content event (Result.Sim, SimFirst for c_1), only
// when every event carried one, and Fill writes them as the record's
// sim_ttft_s, sim_ttft_text_s, sim_e2e_s and sim_itl_s, beside the
// wall-clock figures it measured; record.SimTime combines the two.
// Other servers send no stamp and the fields stay absent.
//
// # Hot path
//
// Per event the client reads a handful of fields (id, object, choices[].text,
// delta content/reasoning, finish_reason, usage counts, error, hb_sent_ns,
// hb_sim_ns).
// scanChunk (scan.go) reads them in one pass over the event's bytes without
// allocating, validating the JSON it skips; anything where a simple reading
// could differ from encoding/json (invalid JSON, duplicate or case-folded
// keys, escapes in a string whose value is needed, a wrong type, an error
// object) goes to encoding/json instead, so every figure is the one
// encoding/json gives. FuzzScanChunk checks on arbitrary input that an
// accepted event decodes to the same fields, and FuzzStream that a whole
// stream gives the same Result either way. It is hand-written: the fast JSON
// libraries (valyala/fastjson, goccy/go-json, json-iterator) each differ
// from encoding/json in corners that decide figures here (case-insensitive
// keys, duplicate keys, invalid UTF-8, lone surrogates), so one of them
// would still need this fallback and this equivalence check, and the scan
// of a few fields is short. Parsers and their buffers are recycled between
// requests (sync.Pool), and a request's arrival slices are sized from
// max_tokens once.
//
// What remains per event is mostly not the client's code: the kernel's
// read that returns the event, one more that finds the socket empty before
// the goroutine parks (Go's poller re-arms by reading; BenchmarkStepped
// reports reads/event), and the runtime's wake-up of the goroutine.
// BenchmarkSteppedFloor measures that floor on the same stream with no
// HTTP client, parser or JSON at all, and what net/http's Transport adds on
// top; BenchmarkLoopbackSyscalls what the kernel charges for the reads.
// Measured on a shared 2-core virtual machine (load 8–13), per streamed
// event at 128 streams in step: the kernel alone ~5 µs of CPU for the read
// that returns an event and ~1 µs for the one that finds the socket empty;
// a bare goroutine-per-connection reader ~18–23 µs (13–16 µs of it system
// time; a single-goroutine epoll loop is no cheaper); net/http's Transport
// reading the same bodies ~26–28 µs; this client 23–29 µs (medians 27.9
// and 24.8 in two sets of back-to-back pairs; 27–35, medians 29.9 and
// 29.7, through the Transport before the raw path).
//
// Each parsed event adds one clock reading: its read→parse delay, from the
// read that delivered it returning (Event.Arrival) to its JSON being
// parsed, summed and maxed in Result (Parsed, ParseDelay, ParseMax,
// ParseMean). It is how long the client let read events wait; the run's
// self-check judges it. Events' arrival times are read instants, so the
// delay does not enter them.
package openai
