package openaitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Handler. Zero fields get the defaults named on each.
type Config struct {
	Dialect Dialect // default VLLM
	// TTFT is the delay from the request's arrival to the first token event.
	TTFT time.Duration
	// TokenDelay is the delay between token events. Event k (from 0) is due
	// at arrival + TTFT + k·TokenDelay; late events are sent at once.
	TokenDelay time.Duration
	// Tokens is the output length when the request has no max_tokens; 16
	// when 0.
	Tokens int
	// Stamp adds "hb_sent_ns" (wall clock, unix ns, taken just before the
	// write) to every event.
	Stamp bool
	// NoLog turns off per-request traces (for long benchmarks).
	NoLog bool
	// Faults select faulty requests by arrival number; see also FaultHeader
	// and Marker.
	Faults []FaultRule
	// StallFor is how long the Stall fault stalls; 10 minutes when 0. It
	// ends early when the client goes away.
	StallFor time.Duration
	// LongLine is the length of the LongLine fault's line; 1 MiB + 1 KiB when 0.
	LongLine int
	// APIKey, when set, must be presented as "Bearer <APIKey>" (else 401).
	APIKey string
	// LineEnding terminates SSE lines: "\n" (default), "\r\n" or "\r".
	LineEnding string
	// Comments sends a ": keep-alive" comment line before every event.
	Comments bool
	// ChunkTokens is how many tokens each event carries (a server that
	// batches its output, or decodes speculatively); 1 when 0. Event k
	// (from 0) carries tokens k·ChunkTokens onwards and is due at arrival +
	// TTFT + k·TokenDelay.
	ChunkTokens int
	// Reasoning is how many of a chat response's first tokens are sent as
	// reasoning (the dialect's reasoning field) rather than content.
	Reasoning int
}

// Sent is one event as the server wrote it.
type Sent struct {
	At      time.Time // just before the write (monotonic clock)
	Choice  bool      // the event carried at least one choice
	Content bool      // the event carried non-empty text
}

// Trace is what the server recorded about one request.
type Trace struct {
	ID       string    // the id field of its events
	Seq      int64     // arrival number, from 1
	Fault    Fault     // the fault injected, None for a healthy request
	Received time.Time // handler entry (monotonic clock)
	Body     []byte    // the request body
	Events   []Sent    // every event written, [DONE] included
}

// FirstChoice returns the send time of the first event with choices.
func (t *Trace) FirstChoice() (time.Time, bool) {
	for _, e := range t.Events {
		if e.Choice {
			return e.At, true
		}
	}
	return time.Time{}, false
}

// Content returns the send times of the content events.
func (t *Trace) Content() []time.Time {
	var out []time.Time
	for _, e := range t.Events {
		if e.Content {
			out = append(out, e.At)
		}
	}
	return out
}

// Handler is the fake OpenAI-compatible API: POST /v1/completions,
// POST /v1/chat/completions, GET /v1/models, GET /health.
type Handler struct {
	cfg    Config
	seq    atomic.Int64
	mu     sync.Mutex
	traces map[string]*Trace
	ids    []string
}

// NewHandler returns a Handler for cfg.
func NewHandler(cfg Config) *Handler {
	if cfg.Dialect == "" {
		cfg.Dialect = VLLM
	}
	if cfg.Tokens <= 0 {
		cfg.Tokens = 16
	}
	if cfg.StallFor <= 0 {
		cfg.StallFor = 10 * time.Minute
	}
	if cfg.LongLine <= 0 {
		cfg.LongLine = 1<<20 + 1<<10
	}
	if cfg.ChunkTokens <= 0 {
		cfg.ChunkTokens = 1
	}
	if cfg.LineEnding == "" {
		cfg.LineEnding = "\n"
	}
	return &Handler{cfg: cfg, traces: map[string]*Trace{}}
}

// Requests returns how many requests arrived.
func (h *Handler) Requests() int64 { return h.seq.Load() }

// Trace returns the trace of the request whose events carried id. It is
// complete once the response has ended.
func (h *Handler) Trace(id string) (Trace, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.traces[id]
	if !ok {
		return Trace{}, false
	}
	return *t, true
}

// Traces returns every finished request's trace, in order of completion.
func (h *Handler) Traces() []Trace {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Trace, 0, len(h.ids))
	for _, id := range h.ids {
		out = append(out, *h.traces[id])
	}
	return out
}

// Server is a Handler on an httptest server.
type Server struct {
	*httptest.Server
	*Handler
}

// NewServer starts a plain-HTTP fake server on 127.0.0.1.
func NewServer(cfg Config) *Server {
	h := NewHandler(cfg)
	return &Server{Server: httptest.NewServer(h), Handler: h}
}

// NewTLSServer starts an HTTPS fake server with httptest's self-signed
// certificate (Server.Certificate returns it).
// Failed handshakes (the point of a self-signed server) are not logged.
func NewTLSServer(cfg Config) *Server {
	h := NewHandler(cfg)
	s := httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = log.New(dropHandshakeErrors{}, "", log.LstdFlags)
	s.StartTLS()
	return &Server{Server: s, Handler: h}
}

// dropHandshakeErrors passes server log lines to the standard logger except
// TLS handshake failures.
type dropHandshakeErrors struct{}

func (dropHandshakeErrors) Write(p []byte) (int, error) {
	if !bytes.Contains(p, []byte("TLS handshake error")) {
		log.Writer().Write(p)
	}
	return len(p), nil
}

// request is the part of a request body the server reads.
type request struct {
	Model         string                     `json:"model"`
	Prompt        json.RawMessage            `json:"prompt"`
	Messages      []struct{ Content string } `json:"messages"`
	MaxTokens     int                        `json:"max_tokens"`
	Stream        bool                       `json:"stream"`
	StreamOptions struct {
		IncludeUsage         bool `json:"include_usage"`
		ContinuousUsageStats bool `json:"continuous_usage_stats"`
	} `json:"stream_options"`
	TimingsPerToken bool `json:"timings_per_token"` // llama.cpp
}

// ServeHTTP answers one request, streaming or injecting its fault.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	switch {
	case r.URL.Path == "/health":
		w.WriteHeader(http.StatusOK)
		return
	case r.URL.Path == "/v1/models":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object":"list","data":[{"id":"fake","object":"model","owned_by":"openaitest"}]}`)
		return
	case r.Method != http.MethodPost || (r.URL.Path != "/v1/completions" && r.URL.Path != "/v1/chat/completions"):
		writeError(w, http.StatusNotFound, "NotFoundError", "no route "+r.Method+" "+r.URL.Path)
		return
	}
	chat := r.URL.Path == "/v1/chat/completions"
	seq := h.seq.Add(1)
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "reading body: "+err.Error())
		return
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "decoding body: "+err.Error())
		return
	}
	prompt := string(req.Prompt)
	if chat {
		var b strings.Builder
		for _, m := range req.Messages {
			b.WriteString(m.Content)
			b.WriteByte(' ')
		}
		prompt = b.String()
	} else if s, err := strconv.Unquote(prompt); err == nil {
		prompt = s
	}
	fault := pick(h.cfg.Faults, seq, r.Header.Get(FaultHeader), prompt)
	if fault != EchoAuth && h.cfg.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+h.cfg.APIKey {
		writeError(w, http.StatusUnauthorized, "AuthenticationError", "invalid API key")
		return
	}
	id := "cmpl-" + strconv.FormatInt(seq, 10)
	if chat {
		id = "chat" + id
	}
	tr := &Trace{ID: id, Seq: seq, Fault: fault, Received: received, Body: body}
	if !h.cfg.NoLog {
		defer func() {
			h.mu.Lock()
			h.traces[id] = tr
			h.ids = append(h.ids, id)
			h.mu.Unlock()
		}()
	}
	if fault.preStream() {
		h.answerFault(w, r, fault, id)
		return
	}
	n := req.MaxTokens
	if n <= 0 {
		n = h.cfg.Tokens
	}
	s := &stream{
		h: h, w: w, rc: http.NewResponseController(w), tr: tr, chat: chat, id: id,
		model: req.Model, n: n, promptTokens: len(strings.Fields(prompt)) + 1,
		usage: req.StreamOptions.IncludeUsage && h.cfg.Dialect != NoUsage,
		continuous: req.StreamOptions.ContinuousUsageStats && h.cfg.Dialect.continuousUsage() &&
			(req.StreamOptions.IncludeUsage || h.cfg.Dialect == SGLang), // vLLM needs both
		timings: req.TimingsPerToken && h.cfg.Dialect == LlamaCpp,
	}
	if s.model == "" {
		s.model = "fake"
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Request-Id", id)
	w.WriteHeader(http.StatusOK)
	_ = s.rc.Flush()
	s.run(r, received, fault)
}

// answerFault writes a pre-stream fault's response.
func (h *Handler) answerFault(w http.ResponseWriter, r *http.Request, f Fault, id string) {
	switch f {
	case HTTP500:
		writeError(w, http.StatusInternalServerError, "InternalServerError", "injected fault "+string(f))
	case HTTP503:
		writeError(w, http.StatusServiceUnavailable, "ServiceUnavailableError", "injected fault "+string(f))
	case HTTP429:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "RateLimitError", "injected fault "+string(f))
	case Redirect:
		w.Header().Set("Location", "/v1/moved")
		w.WriteHeader(http.StatusTemporaryRedirect)
	case ContentType:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"object":"text_completion","choices":[{"index":0,"text":"not a stream","finish_reason":"length"}]}`, id)
	case EchoAuth:
		writeError(w, http.StatusUnauthorized, "AuthenticationError", "bad credentials: "+r.Header.Get("Authorization"))
	}
}

// writeError writes an OpenAI-style error body.
func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": status}})
	w.Write(b)
}

// hijackReset closes the connection under w with an RST.
func hijackReset(rc *http.ResponseController) {
	conn, _, err := rc.Hijack()
	if err != nil {
		return
	}
	raw := conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = nc.NetConn()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
