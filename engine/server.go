package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// ErrClosed is returned for requests reaching a server that has closed.
var ErrClosed = errors.New("engine closed")

// Server is a running embedded engine with its OpenAI-compatible HTTP API.
type Server struct {
	cfg     Config
	info    Info
	loop    *loop
	prof    *profiler
	metrics *metrics
	ln      net.Listener
	http    *http.Server
	cancel  context.CancelFunc // ends the request contexts
	stop    context.CancelFunc // ends the step loop
	once    sync.Once
	created int64
	nonce   uint64 // makes response ids unique across servers
}

// Timeouts of the HTTP server, against clients that hold a connection
// without sending (slowloris): a request's headers must arrive within
// headerTimeout of its first byte (or of the connection), its body within
// bodyTimeout of its headers, and a kept-alive connection may idle for
// idleTimeout. Once the body is read no deadline applies: a stream may
// last as long as its generation. Variables so tests can shorten them.
var (
	headerTimeout = 10 * time.Second
	bodyTimeout   = 30 * time.Second
	idleTimeout   = 120 * time.Second
)

// Start builds the engine of cfg, listens on cfg.Addr (127.0.0.1 on a free
// port by default) and serves until Close, Shutdown, or until ctx ends.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg, info, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("starting engine: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("starting engine: %w", err)
	}
	s := newServer(cfg, info, systemClock{})
	s.ln = ln
	lctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	loopCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.http = &http.Server{Handler: bodyDeadline(s.Handler()), ReadHeaderTimeout: headerTimeout, IdleTimeout: idleTimeout,
		BaseContext: func(net.Listener) context.Context { return lctx }}
	go s.loop.run(loopCtx)
	go s.http.Serve(ln)
	go func() {
		<-lctx.Done()
		s.Close()
	}()
	return s, nil
}

func newServer(cfg Config, info Info, clock Clock) *Server {
	m := newMetrics(info.ServedModelName, cfg.Speed)
	cost := CostModel{GPU: info.GPU, Model: info.Model, Knobs: cfg.Knobs}
	p := &profiler{dir: cfg.ProfileDir, gzip: cfg.TraceGzip, cost: cost, uniform: cfg.UniformKernels, speed: cfg.Speed}
	l := &loop{core: newCoreFrom(cfg, info), speed: cfg.Speed, clock: clock, origin: clock.Now(),
		inbox: make(chan loopMsg, 4096), done: make(chan struct{}), metrics: m, prof: p}
	return &Server{cfg: cfg, info: info, loop: l, prof: p, metrics: m, created: time.Now().Unix(),
		nonce: hashKey(fmt.Sprint(time.Now().UnixNano(), cfg.Seed))}
}

// URL returns the server's base URL, e.g. http://127.0.0.1:38211 (no /v1).
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// ModelName returns the served model name clients must send.
func (s *Server) ModelName() string { return s.info.ServedModelName }

// Info returns the resolved configuration.
func (s *Server) Info() Info { return s.info }

// Describe returns the resolved configuration as a value to embed in a
// run's config.json; it is Info.
func (s *Server) Describe() Info { return s.info }

// HostStalls returns how much virtual time the engine has lost to its host
// so far: the time by which steps started late beyond what the loop
// absorbs (a starved CPU, a suspended process). Timings of a live run are
// the model's only while this stays a small share of the run.
func (s *Server) HostStalls() time.Duration { return time.Duration(s.loop.stalled.Load()) }

// Close stops serving and the step loop; in-flight streams end at once,
// each with an error event in place of [DONE].
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.stop()
		<-s.loop.done // handlers see it, write their error event and return
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if e := s.http.Shutdown(ctx); e != nil {
			err = s.http.Close()
		}
		s.cancel()
	})
	return err
}

// Shutdown drains the server: it stops accepting connections, lets
// in-flight requests finish until ctx ends, then closes it as Close does
// (the streams still running end with an error event). It returns
// ctx.Err() when requests were still in flight at the end of the drain.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// bodyDeadline bounds the time a request's body may take to arrive
// (bodyTimeout) and lifts the bound once it has: http.Server.ReadTimeout
// would instead cut every stream that outlives it.
func bodyDeadline(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			rc := http.NewResponseController(w)
			if rc.SetReadDeadline(time.Now().Add(bodyTimeout)) == nil {
				r.Body = &liftAtEOF{ReadCloser: r.Body, rc: rc}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// liftAtEOF clears the connection's read deadline when the body ends.
type liftAtEOF struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *liftAtEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// endStream ends a stream the engine can no longer serve (it is closing)
// with an OpenAI-style error event, so the client sees why instead of a
// stream that stops without [DONE].
func endStream(w http.ResponseWriter, fl http.Flusher) {
	io.WriteString(w, `data: {"error":{"object":"error","message":"the server is shutting down; the request was not completed","type":"ServiceUnavailable","param":null,"code":503}}`+"\n\n")
	if fl != nil {
		fl.Flush()
	}
}

// Handler returns the HTTP API: /v1/completions, /v1/chat/completions,
// /v1/models, /tokenize, /health, /version, /metrics, /start_profile and
// /stop_profile.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/completions", s.generate(false))
	mux.HandleFunc("/v1/chat/completions", s.generate(true))
	mux.HandleFunc("/v1/models", s.models)
	mux.HandleFunc("/tokenize", s.tokenize)
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": "hypobench-engine"})
	})
	mux.Handle("/metrics", s.metrics.handler())
	mux.HandleFunc("/start_profile", s.startProfile)
	mux.HandleFunc("/stop_profile", s.stopProfile)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "NotFoundError", Message: "Not Found: " + r.URL.Path})
	})
	return mux
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{map[string]any{
		"id": s.info.ServedModelName, "object": "model", "created": s.created, "owned_by": "vllm",
		"root": s.info.ServedModelName, "parent": nil, "max_model_len": s.info.MaxModelLen,
	}}})
}

// tokenize answers vLLM's /tokenize for a prompt or chat messages, with
// the same counts the generation endpoints report as prompt_tokens.
func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	var req genRequest
	if !s.decodePost(w, r, &req) {
		return
	}
	if req.Model != "" && req.Model != s.info.ServedModelName {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "NotFoundError", Param: "model",
			Message: fmt.Sprintf("The model `%s` does not exist.", req.Model)})
		return
	}
	_, ids, aerr := s.promptIDs(&req, req.Messages != nil)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(ids), "max_model_len": s.info.MaxModelLen,
		"tokens": ids, "token_strs": nil})
}

func (s *Server) startProfile(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Type: "MethodNotAllowed", Message: "use POST"})
		return
	}
	if err := s.prof.start(time.Now()); err != nil {
		writeError(w, profileError(err))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// stopProfile writes the trace and answers {"trace": path}; vLLM answers
// an empty 200, so clients must not rely on the body.
func (s *Server) stopProfile(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Type: "MethodNotAllowed", Message: "use POST"})
		return
	}
	path, err := s.prof.stop()
	if err != nil {
		writeError(w, profileError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"trace": path})
}

func profileError(err error) *apiError {
	if errors.Is(err, ErrProfilerDisabled) || errors.Is(err, ErrProfilerState) {
		return badRequest("%v", err)
	}
	return &apiError{Status: http.StatusInternalServerError, Type: "InternalServerError", Message: err.Error()}
}
