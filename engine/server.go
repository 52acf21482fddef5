package engine

import (
	"context"
	"errors"
	"fmt"
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
	cancel  context.CancelFunc
	once    sync.Once
	created int64
	nonce   uint64 // makes response ids unique across servers
}

// Start builds the engine of cfg, listens on cfg.Addr (127.0.0.1 on a free
// port by default) and serves until Close or until ctx ends.
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
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return lctx }}
	go s.loop.run(lctx)
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

// Close stops serving and the step loop; in-flight requests are cut.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if e := s.http.Shutdown(ctx); e != nil {
			err = s.http.Close()
		}
		<-s.loop.done
	})
	return err
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
	if r.Method != http.MethodPost {
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Type: "MethodNotAllowed", Message: "use POST"})
		return
	}
	var req genRequest
	if err := decodeBody(w, r, s.cfg.MaxRequestBytes, &req); err != nil {
		writeError(w, err)
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
