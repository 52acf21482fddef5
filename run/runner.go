package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// Hook is called at the edges of a phase ("start", "end") and of the run
// ("run-start" with phase index -1 before warm-up ends, "run-end"). Hooks
// scrape server metrics or drive a profiler; an error from a hook is
// reported as a warning and does not stop the run.
type Hook func(ctx context.Context, p record.Phase, edge string) error

// Config describes one run. Zero fields get defaults.
type Config struct {
	Client *openai.Client
	Model  string
	Suite  *workload.Suite
	Dir    string // the run directory; created if missing
	RunID  string
	Seed   uint64
	Grace  time.Duration // how long in-flight requests may finish after cancel (default 5s)
	// Abort, when it closes after ctx is cancelled, ends the grace at once
	// (a second Ctrl-C): requests still in flight become canceled records.
	Abort <-chan struct{}
	// StallAfter is how long an in-flight request may go without a byte of
	// response before the progress line counts it as stalled (default 10s).
	StallAfter time.Duration
	Progress   io.Writer // live progress lines, one per phase; nil for none
	// DesignProgress, when set, receives the run's design-level progress
	// lines: requests done of the plan's total, phases ended, elapsed and
	// an estimate of the time remaining, at each phase end and every
	// ProgressEvery between them (default DefaultProgressEvery). Plain
	// lines, never redrawn: fit for a log or a test's output.
	DesignProgress io.Writer
	ProgressEvery  time.Duration
	Hooks          []Hook
	// Meta is merged into config.json (target identity, engine, env).
	Meta map[string]any
	// ExternalTarget says the server runs in another process, so the
	// process's CPU time is the client's own and the self-check uses it.
	ExternalTarget bool
	// SelfCheck holds the client self-check's thresholds; nil means
	// DefaultSelfCheck.
	SelfCheck *SelfCheck
	// Engine is the in-process server (the embedded engine, Target
	// Embedded) when the run measures one: the self-check then records the
	// share of the run's virtual time it lost to host stalls
	// (record.ClientCheck.EngineStallShare) and flags the run above
	// SelfCheck.EngineStall. Nil for an external target.
	Engine EngineClock
	// Continue, when set, is called after each phase ends; false stops the
	// plan there and the run still ends complete (a rate sweep stops at
	// saturation).
	Continue func(ph record.Phase) bool
	// Sharding, when set, makes the run one shard of a sharded run (see
	// Sharding).
	Sharding *Sharding
}

// Result summarises a finished run.
type Result struct {
	Dir         string
	RunID       string
	Records     int
	Errors      int
	Phases      []record.Phase
	Interrupted bool
	Warnings    []error
	// ClientCheck is the client's check on itself, also in config.json.
	ClientCheck *record.ClientCheck
	// ClientLimited says why the client, not the server, limited the run
	// (records of class record.ClassClientLimit); empty when it did not.
	ClientLimited []string
	// WriteErrors names run files that could not be written whole.
	WriteErrors []string
}

// warn adds err to Warnings and, when it is a *record.WriteError, the
// file to WriteErrors.
func (res *Result) warn(err error) {
	var we *record.WriteError
	if errors.As(err, &we) {
		name := filepath.Base(we.File)
		if !slices.Contains(res.WriteErrors, name) {
			res.WriteErrors = append(res.WriteErrors, name)
		}
	}
	res.Warnings = append(res.Warnings, err)
}

// ErrNoTarget is returned when the target cannot be reached before any
// request was made.
var ErrNoTarget = errors.New("target unreachable")

// Execute runs the suite's plan and writes the run directory. It returns
// an error only when the run itself could not proceed; failed requests are
// records.
func Execute(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Client == nil || cfg.Suite == nil || cfg.Dir == "" {
		return nil, errors.New("run: Client, Suite and Dir are required")
	}
	if err := cfg.Sharding.Check(cfg.Suite); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if cfg.Grace == 0 {
		cfg.Grace = 5 * time.Second
	}
	if cfg.StallAfter <= 0 {
		cfg.StallAfter = 10 * time.Second
	}
	if cfg.RunID == "" {
		cfg.RunID = filepath.Base(cfg.Dir)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating run directory: %w", err)
	}
	res := &Result{Dir: cfg.Dir, RunID: cfg.RunID}
	started := time.Now()
	if err := writeConfig(cfg, record.StatusRunning, started, time.Time{}, res); err != nil {
		return nil, err
	}
	reqs, err := record.OpenAppend(filepath.Join(cfg.Dir, record.RequestsFile))
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", record.RequestsFile, err)
	}
	defer reqs.Close()
	phases, err := record.OpenAppend(filepath.Join(cfg.Dir, record.PhasesFile))
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", record.PhasesFile, err)
	}
	defer phases.Close()

	// reqCtx outlives ctx by the grace period so in-flight requests can end.
	reqCtx, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReqs()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.NewTimer(cfg.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelReqs()
		case <-cfg.Abort:
			cancelReqs()
		case <-reqCtx.Done():
		}
	})
	defer stopGrace()

	sc := DefaultSelfCheck
	if cfg.SelfCheck != nil {
		sc = *cfg.SelfCheck
	}
	if cfg.DesignProgress != nil {
		dp := newDesignProgress(&cfg, reqs.Lines)
		cfg.Hooks = append(slices.Clip(cfg.Hooks), dp.hook)
		defer dp.stop()
	}
	r := &runner{cfg: cfg, reqs: reqs, reqCtx: reqCtx, res: res, check: startMonitor(sc, cfg.ExternalTarget, cfg.Engine)}
	r.hook(ctx, record.Phase{Index: -1, Suite: cfg.Suite.Name}, "run-start", res)
	if err := r.warmup(ctx); err != nil {
		r.check.finish(nil)
		return nil, err
	}
	plan := cfg.plan() // closed loop (this shard's share when sharded)
	if cfg.Suite.OpenLoop() {
		plan = nil
		if err := r.openPhases(ctx, phases, res); err != nil {
			r.check.finish(nil)
			return nil, err
		}
	}
	for i, pp := range plan {
		if ctx.Err() != nil {
			break
		}
		pctx, endSlot := cfg.Sharding.slot(ctx, i)
		if ctx.Err() != nil {
			endSlot()
			break
		}
		ph := record.Phase{Index: i, Suite: cfg.Suite.Name, Profile: pp.Profile.Name, Concurrency: pp.Concurrency, Requests: pp.Requests, Round: pp.Round}
		r.hook(ctx, ph, "start", res)
		ph.StartUnixNs = time.Now().UnixNano()
		done := r.phase(pctx, ph, pp)
		endSlot()
		ph.EndUnixNs = time.Now().UnixNano()
		ph.Status = record.StatusComplete
		if done < pp.Requests {
			ph.Status = record.StatusInterrupted
		}
		r.hook(ctx, ph, "end", res)
		if err := phases.Write(ph); err != nil {
			res.warn(err)
		}
		res.Phases = append(res.Phases, ph)
		if cfg.Continue != nil && !cfg.Continue(ph) {
			break
		}
	}
	res.ClientCheck = r.check.finish(res.Phases)
	r.hook(context.WithoutCancel(ctx), record.Phase{Index: -1, Suite: cfg.Suite.Name}, "run-end", res)
	res.Records = reqs.Lines()
	res.Errors = int(r.errors.Load())
	if n := r.clientLimit.Load(); n > 0 {
		res.ClientLimited = append(res.ClientLimited, fmt.Sprintf(
			"%d requests failed with %s: the client ran out of file descriptors (EMFILE/ENFILE), so the load offered was not the load planned", n, record.ClassClientLimit))
	}
	if we := r.firstWriteErr.Load(); we != nil {
		res.warn(*we)
	}
	res.Interrupted = ctx.Err() != nil
	status := record.StatusComplete
	if res.Interrupted {
		status = record.StatusInterrupted
	}
	if err := writeConfig(cfg, status, started, time.Now(), res); err != nil {
		return res, err
	}
	if err := errors.Join(reqs.Close(), phases.Close()); err != nil {
		res.warn(err)
		_ = writeConfig(cfg, status, started, time.Now(), res)
		return res, fmt.Errorf("closing run files: %w", err)
	}
	return res, nil
}

type runner struct {
	cfg    Config
	reqs   *record.Writer
	reqCtx context.Context
	res    *Result
	seq    atomic.Int64 // request ordinal across the run, for ids and nonces
	errors atomic.Int64
	check  *monitor
	// clientLimit counts records of class record.ClassClientLimit.
	clientLimit   atomic.Int64
	firstWriteErr atomic.Pointer[error]
}

// keep counts rec's failure (in the phase's errs and the run's) and its
// client-limit class, and writes it; the first write error is reported on
// the progress writer and the run goes on.
func (r *runner) keep(rec *record.Record, errs *atomic.Int64) {
	if !rec.OK() {
		errs.Add(1)
		r.errors.Add(1)
	}
	if rec.ErrorClass == record.ClassClientLimit {
		r.clientLimit.Add(1)
	}
	if err := r.reqs.Write(rec); err != nil && r.firstWriteErr.CompareAndSwap(nil, &err) && r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "\nhypobench: %v (the run goes on; its records are incomplete)\n", err)
	}
}

func (r *runner) hook(ctx context.Context, p record.Phase, edge string, res *Result) {
	for _, h := range r.cfg.Hooks {
		if err := h(ctx, p, edge); err != nil {
			res.warn(fmt.Errorf("%s hook, phase %d: %w", edge, p.Index, err))
		}
	}
}

func (r *runner) request(p workload.Profile, n int) openai.Request {
	s := r.cfg.Suite
	return openai.Request{
		Endpoint:     s.Endpoint,
		Model:        r.cfg.Model,
		Prompt:       s.Prompt(p, workload.Nonce(r.cfg.Seed, n)),
		MaxTokens:    p.MaxTokens,
		IgnoreEOS:    s.IgnoreEOS,
		IncludeUsage: true,
	}
}

// warmup sends the suite's warm-up requests, cycling through its profiles
// at concurrency 1. They are not recorded. If the first one cannot even
// connect, the target is unreachable and the run stops with ErrNoTarget
// before any measured request (with no warm-up, unreachability shows as
// records of class "connect").
func (r *runner) warmup(ctx context.Context) error {
	s := r.cfg.Suite
	for i := range s.Warmup {
		if ctx.Err() != nil {
			return nil
		}
		res := r.cfg.Client.Do(ctx, r.request(r.warmProfile(i), -1-i))
		if i == 0 && res.ErrorClass == record.ClassConnect {
			return fmt.Errorf("%w: %s", ErrNoTarget, res.Error)
		}
	}
	return nil
}

// phase runs one closed-loop phase and returns how many requests ended.
func (r *runner) phase(ctx context.Context, ph record.Phase, pp workload.PhasePlan) int {
	var next, done atomic.Int64
	var errs atomic.Int64
	// active[w] is worker w's last sign of life (unix ns; 0 when idle).
	active := make([]atomic.Int64, pp.Concurrency)
	prog := newProgress(r.cfg.Progress, ph, pp.Requests, &done, &errs, active, r.cfg.StallAfter)
	defer prog.stop()
	var wg sync.WaitGroup
	for w := range pp.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			due := time.Now()
			for ctx.Err() == nil {
				k := int(next.Add(1)) - 1
				if k >= pp.Requests {
					return
				}
				n := int(r.seq.Add(1))
				prof := pp.ProfileOf(k)
				req := r.request(prof, n)
				req.Activity = &active[w]
				res := r.cfg.Client.Do(r.reqCtx, req)
				active[w].Store(0)
				rec := record.Record{
					ID:          record.RequestID(n),
					Profile:     prof.Name,
					Concurrency: pp.Concurrency,
					RunID:       r.cfg.RunID,
					Suite:       r.cfg.Suite.Name,
					Phase:       ph.Index,
					Seq:         k,
					Round:       pp.Round,
					PromptRep:   prof.PromptRep,
					MaxTokens:   prof.MaxTokens,
					Endpoint:    req.Endpoint,
					Model:       r.cfg.Model,
				}
				res.Fill(&rec)
				rec.Queue = res.T0.Sub(due).Seconds()
				r.check.turnaround(res.T0.Sub(due))
				r.check.parsed(res.ParseMean())
				r.check.observe(&rec)
				r.keep(&rec, &errs)
				done.Add(1)
				due = time.Now()
			}
		}()
	}
	wg.Wait()
	return int(done.Load())
}
