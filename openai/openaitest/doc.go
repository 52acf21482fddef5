// Package openaitest is a fake OpenAI-compatible streaming server for tests,
// benchmarks and `hypobench serve --faults`: controllable time to first token
// and per-token delays, server dialects (Dialect: vLLM completions and chat
// deltas with reasoning and continuous usage stats, SGLang, TGI's chat
// route, llama.cpp's server with its timings object, Ollama's quirks, usage
// last or absent; fixtures/sse/README.md cites each server's source),
// several tokens per event (Config.ChunkTokens), a record of when each event was
// sent, optional send-time stamps inside the events ("hb_sent_ns"), and
// fault injection selectable per request.
//
// Timing: event k (from 0) of a request is due at its arrival + TTFT +
// k·TokenDelay; the server sleeps until then, so a late event is sent at once
// and the schedule does not drift. Trace.Events records each event's send
// instant on the monotonic clock, taken just before the write and flush; the
// same instant, on the wall clock, is what Config.Stamp writes into the event.
// A client on the same machine measures its own overhead as arrival minus
// send.
//
// Faults (see Fault) are picked per request: the X-Hypobench-Fault header
// first, then a prompt marker "hb-fault:<name>" (Marker), then the first
// matching FaultRule ("every k-th request from offset o"; ParseFaults reads
// "http500:10,reset:7+3"). Connection refused is not a per-request fault:
// RefusedURL gives an address nothing listens on. A TLS server with a
// self-signed certificate is NewTLSServer.
//
// Replay serves a recorded SSE body (fixtures/sse) whole, per event or cut
// into arbitrary pieces.
//
// Everything here is hand-written on net/http/httptest: no fake OpenAI server
// exists as a maintained Go library with per-event timing records and fault
// injection.
package openaitest
