package servermetrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/hypobench/hypobench/record"
)

// DefaultInterval is the steady scrape interval between phase edges.
const DefaultInterval = time.Second

// DefaultTimeout bounds one scrape.
const DefaultTimeout = 5 * time.Second

// Edge says why a scrape was taken.
type Edge string

// The edges written to server-metrics.jsonl.
const (
	EdgeStart Edge = "start" // just before a phase's first request
	EdgeEnd   Edge = "end"   // just after a phase's last response
	EdgeTick  Edge = "tick"  // the steady interval
)

// ScrapeLine is one line of server-metrics.jsonl: one scrape.
type ScrapeLine struct {
	UnixNs  int64    `json:"unix_ns"` // wall clock just before the request
	TookNs  int64    `json:"took_ns"` // request sent → body read
	Phase   int      `json:"phase"`   // phase index, −1 outside any phase
	Edge    Edge     `json:"edge"`
	Error   string   `json:"error,omitempty"` // set when the scrape failed
	Samples []Sample `json:"samples"`
}

// OK reports whether the scrape succeeded.
func (s *ScrapeLine) OK() bool { return s.Error == "" }

// Config configures a Scraper. Zero fields take the defaults noted.
type Config struct {
	// Target is the metrics endpoint (URL, bearer key, HTTP client).
	Target Target
	// Dir is the run directory; the log is Dir/server-metrics.jsonl.
	Dir string
	// Interval between tick scrapes; 0 means DefaultInterval, negative
	// disables ticks (only phase edges are scraped).
	Interval time.Duration
	// Timeout bounds each scrape; 0 means DefaultTimeout.
	Timeout time.Duration
	// Notices receives one line when the endpoint first fails; nil discards.
	Notices io.Writer
	// Secret is removed (record.Redact: case-insensitively) from every
	// metric name, label and error written to the log, so a server that
	// echoes a bearer key into a label does not leak it. Empty means
	// Target.APIKey. Set it even when no key is sent to /metrics: the
	// server saw the key on the generation requests.
	Secret string
}

// Scraper scrapes a target at phase edges and on a steady tick, appending
// every scrape to server-metrics.jsonl. Scrape failures never stop a run:
// the first is reported once on Config.Notices, and after a permanent one
// (no endpoint, not an exposition) the Scraper stops asking. Its methods are
// safe for concurrent use; scrapes are serialized so lines are in time order.
type Scraper struct {
	cfg Config
	w   *record.Writer

	mu       sync.Mutex // serializes scrapes and guards the fields below
	phase    int
	disabled bool
	noticed  bool
	ok, bad  int

	cancel context.CancelFunc
	done   chan struct{}
	stop   sync.Once
	err    error
}

// Start creates Dir/server-metrics.jsonl and starts the tick goroutine,
// which runs until ctx is cancelled or Stop is called.
func Start(ctx context.Context, cfg Config) (*Scraper, error) {
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Target.Client == nil {
		cfg.Target.Client = http.DefaultClient
	}
	if cfg.Secret == "" {
		cfg.Secret = cfg.Target.APIKey
	}
	path := filepath.Join(cfg.Dir, record.ServerMetricsFile)
	w, err := record.OpenAppend(path)
	if err != nil {
		return nil, fmt.Errorf("starting server-metrics scraper: %w", err)
	}
	tctx, cancel := context.WithCancel(ctx)
	s := &Scraper{cfg: cfg, w: w, phase: -1, cancel: cancel, done: make(chan struct{})}
	go s.loop(tctx)
	return s, nil
}

func (s *Scraper) loop(ctx context.Context) {
	defer close(s.done)
	if s.cfg.Interval < 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.mu.Lock()
			phase := s.phase
			s.mu.Unlock()
			if err := s.scrape(ctx, phase, EdgeTick); err != nil {
				s.mu.Lock()
				if s.err == nil {
					s.err = err
				}
				s.mu.Unlock()
				return
			}
		}
	}
}

// Mark scrapes at a phase edge and writes the line before returning, so a
// runner can call Mark(ctx, i, EdgeStart) just before phase i and
// Mark(ctx, i, EdgeEnd) just after it. Ticks between a start and an end carry
// the phase index. The error is non-nil only when the log cannot be written;
// an unreachable target is reported on the notice writer instead. A tick in
// flight delays Mark by at most Config.Timeout. After Stop, Mark does nothing.
func (s *Scraper) Mark(ctx context.Context, phase int, edge Edge) error {
	s.mu.Lock()
	switch edge {
	case EdgeStart:
		s.phase = phase
	case EdgeEnd:
		defer func() { s.mu.Lock(); s.phase = -1; s.mu.Unlock() }()
	}
	s.mu.Unlock()
	return s.scrape(ctx, phase, edge)
}

func (s *Scraper) scrape(ctx context.Context, phase int, edge Edge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.disabled || ctx.Err() != nil {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	before := time.Now()
	snap, err := s.cfg.Target.Scrape(sctx)
	line := ScrapeLine{Phase: phase, Edge: edge, Samples: snap.Samples}
	if err != nil {
		if ctx.Err() != nil {
			return nil // the run is being torn down; not the target's fault
		}
		line.UnixNs = before.UnixNano()
		line.TookNs = int64(time.Since(before))
		line.Error = err.Error()
		line.Samples = []Sample{}
		s.bad++
		s.notice(err)
		var se *ScrapeError
		if errors.As(err, &se) && se.Permanent() {
			s.disabled = true
		}
	} else {
		line.UnixNs = snap.UnixNs
		line.TookNs = int64(snap.Took)
		s.ok++
	}
	redactLine(&line, s.cfg.Secret)
	if werr := s.w.Write(line); werr != nil {
		return fmt.Errorf("writing %s scrape of phase %d: %w", edge, phase, werr)
	}
	return nil
}

// redactLine removes secret from everything in line that came from the
// server or the network.
func redactLine(line *ScrapeLine, secret string) {
	if len(secret) == 0 {
		return
	}
	line.Error = record.Redact(line.Error, secret)
	for i := range line.Samples {
		sm := &line.Samples[i]
		sm.Name = record.Redact(sm.Name, secret)
		if len(sm.Labels) == 0 {
			continue
		}
		labels := make(map[string]string, len(sm.Labels))
		for k, v := range sm.Labels {
			labels[record.Redact(k, secret)] = record.Redact(v, secret)
		}
		sm.Labels = labels
	}
}

func (s *Scraper) notice(err error) {
	if s.noticed {
		return
	}
	s.noticed = true
	if s.cfg.Notices == nil {
		return
	}
	what := "server metrics unavailable"
	var se *ScrapeError
	if errors.As(err, &se) && !se.Permanent() {
		what = "server metrics unavailable for now (will keep trying quietly)"
	}
	fmt.Fprintf(s.cfg.Notices, "notice: %s: %s; continuing without server-side evidence\n", what, record.Redact(err.Error(), s.cfg.Secret))
}

// Counts returns how many scrapes succeeded and failed so far.
func (s *Scraper) Counts() (ok, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ok, s.bad
}

// Available reports whether at least one scrape has succeeded.
func (s *Scraper) Available() bool {
	ok, _ := s.Counts()
	return ok > 0
}

// Stop ends the tick goroutine, waits for it, and closes the log. It returns
// the first write error, if any. Calling Stop again returns the same result.
func (s *Scraper) Stop() error {
	s.stop.Do(func() {
		s.cancel()
		<-s.done
		s.mu.Lock()
		defer s.mu.Unlock()
		s.disabled = true // later Marks are no-ops
		if cerr := s.w.Close(); cerr != nil && s.err == nil {
			s.err = fmt.Errorf("closing %s: %w", record.ServerMetricsFile, cerr)
		}
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// ReadFile reads a server-metrics.jsonl file. Lines that do not decode are
// returned in bad (as *record.LineError) and skipped.
func ReadFile(path string) (scrapes []ScrapeLine, bad []error, err error) {
	scrapes, bad, err = record.ReadFile[ScrapeLine](path)
	if err != nil {
		return nil, bad, fmt.Errorf("reading server metrics: %w", err)
	}
	return scrapes, bad, nil
}

// Decode reads server-metrics.jsonl lines from r; name labels errors.
func Decode(r io.Reader, name string) (scrapes []ScrapeLine, bad []error, err error) {
	bad, err = record.Decode(r, name, func(_ int, sc ScrapeLine) { scrapes = append(scrapes, sc) })
	return scrapes, bad, err
}
