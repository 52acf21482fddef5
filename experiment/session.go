package experiment

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/workload"
)

// DefaultSpeed is the embedded engine's time compression when neither the
// design's target nor HYPOBENCH_SPEED sets one: fast enough for a test
// suite, slow enough that a decode step (≈ 19 ms / speed on the default
// rtx4090:qwen2.5-7b) stays far above scheduling noise.
const DefaultSpeed = 5

// DefaultClientRetries is Session.ClientRetries when zero: a flagged run
// says nothing about the server, and on a busy machine a second attempt
// usually is not flagged. The choice depends on the client's check only,
// never on the data, so it cannot bias a verdict.
const DefaultClientRetries = 2

// RunDirEnv names the variable that, when set, is the run directory that
// collects a session's verdicts (as `make bench` sets it to reports/latest);
// otherwise a session creates reports/<id>-<name>.
const RunDirEnv = "HYPOBENCH_RUN_DIR"

// TB is the part of testing.TB a session uses, so that this package never
// imports testing: *testing.T and *testing.B satisfy it.
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Sizer fits a design run to a budget. A session calls it once per run of
// a suite, after the target is open and before the first request; it may
// change s (its Requests, Rounds or levels), may run a pilot against t,
// and returns a sentence saying what it did ("" when nothing), which goes
// into the verdict's Info. An error refuses the run (say the budget it
// would need).
type Sizer func(ctx context.Context, t *run.Target, name string, s *workload.Suite) (note string, err error)

// Session is one process's experiments against one configured target:
// it opens targets, executes designs (each once per session, memoised by
// name), and owns the run directory that collects their verdicts.
// A Session is safe for concurrent use; runs are executed one at a time
// (a design that loads a server runs alone).
type Session struct {
	// Env is the HYPOBENCH_* configuration: the target (empty: the
	// embedded engine), model, API key, seed, speed, engine profile,
	// reports root.
	Env run.Env
	// Name names the session's run directory, reports/<id>-<Name>
	// ("experiments" when empty).
	Name string
	// Root is the directory relative reports roots are resolved against
	// (the module root when empty: the nearest directory above the
	// working directory holding go.mod).
	Root string
	// Progress, when set, receives the runner's live progress lines
	// (requests done/total per phase, elapsed).
	Progress io.Writer
	// Sizer, when set, may resize every suite before it runs (a time
	// budget; see Sizer).
	Sizer Sizer
	// ClientRetries is how many times a run whose client limited its own
	// measurement (config.json's client_check: a starved scheduler, send
	// lag) is measured again before its data are used; each such attempt
	// is kept beside the run as <dir>.client-limited-<k> and named in the
	// verdict's Info. 0 means DefaultClientRetries, negative none. When
	// the last attempt is still limited, its verdicts are inconclusive.
	ClientRetries int
	// SelfCheck holds the thresholds of the client's check on itself (nil:
	// run.DefaultSelfCheck).
	SelfCheck *run.SelfCheck

	mu       sync.Mutex
	saltOnce sync.Once
	seed     uint64
	dirOnce  sync.Once
	dir      string
	dirErr   error
	runs     map[string]*Run
	results  map[string]*Result
}

// NewSession returns a session for env.
func NewSession(env run.Env) *Session {
	return &Session{Env: env}
}

var shared struct {
	once sync.Once
	s    *Session
	err  error
}

// Shared returns the process's session, built once from the environment
// (run.LoadEnv): every test of a package shares its target, its memoised
// runs and its run directory.
func Shared() (*Session, error) {
	shared.once.Do(func() {
		env, err := run.LoadEnv()
		if err != nil {
			shared.err = fmt.Errorf("experiment: %w", err)
			return
		}
		shared.s = NewSession(env)
	})
	return shared.s, shared.err
}

// Open is Shared for a test: it stops t (Fatalf) when the environment is
// malformed.
func Open(t TB) *Session {
	t.Helper()
	s, err := Shared()
	if err != nil {
		t.Fatalf("%v", err)
	}
	return s
}

// Dir returns the run directory that collects the session's verdicts:
// HYPOBENCH_RUN_DIR when set, else a new <reports>/<id>-<Name>, created
// on first use.
func (s *Session) Dir() (string, error) {
	s.dirOnce.Do(func() {
		if d := os.Getenv(RunDirEnv); d != "" {
			s.dir = s.abs(d)
			s.dirErr = os.MkdirAll(s.dir, 0o755)
			return
		}
		name := s.Name
		if name == "" {
			name = "experiments"
		}
		out := s.Env.Out
		if out == "" {
			out = "reports"
		}
		s.dir, _, s.dirErr = run.NewDir(s.abs(out), name)
	})
	if s.dirErr != nil {
		return "", fmt.Errorf("session directory: %w", s.dirErr)
	}
	return s.dir, nil
}

// MustDir is Dir for a test: it stops t when the directory cannot be made.
func (s *Session) MustDir(t TB) string {
	t.Helper()
	d, err := s.Dir()
	if err != nil {
		t.Fatalf("%v", err)
	}
	return d
}

func (s *Session) abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	root := s.Root
	if root == "" {
		root = moduleRoot()
	}
	return filepath.Join(root, p)
}

func moduleRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// Target says where a design's requests go. The zero Target is the
// session's: HYPOBENCH_TARGET, or the embedded engine (HYPOBENCH_ENGINE,
// HYPOBENCH_SPEED, HYPOBENCH_SEED applied; DefaultSpeed when no speed is
// set). Engine, when set, is an embedded engine of that configuration
// whatever HYPOBENCH_TARGET says (a negative control, or one side of an
// A/B of two engines); a zero Engine.Speed takes the session's speed.
// URL, when set (and Engine not), is a server of its own — the other side
// of an A/B of two builds — with the session's model and API key
// (HYPOBENCH_MODEL, else its first /v1/models entry).
type Target struct {
	URL    string
	Engine *engine.Config
}

// Server returns a Target that is the server at url.
func Server(url string) Target { return Target{URL: url} }

// Embedded returns a Target that is an embedded engine of cfg. Start cfg
// from DefaultEngine, not engine.DefaultConfig, whose Speed of 1 runs in
// real time.
func Embedded(cfg engine.Config) Target { return Target{Engine: &cfg} }

// DefaultEngine is the embedded engine's default configuration with Speed
// 0, so that a Target built from it runs at the session's speed
// (HYPOBENCH_SPEED, else DefaultSpeed).
func DefaultEngine() engine.Config {
	c := engine.DefaultConfig
	c.Speed = 0
	return c
}

// engineConfig resolves t against env: nil for an external target, else
// the embedded engine's configuration with its speed filled in.
func (t Target) engineConfig(env run.Env) *engine.Config {
	ec := t.Engine
	if ec == nil {
		if t.URL != "" || env.Target != "" {
			return nil
		}
		c := engine.DefaultConfig
		c.Speed = 0
		if env.Engine != "" {
			c.Spec = env.Engine
		}
		if env.SeedSet {
			c.Seed = env.Seed
		}
		ec = &c
	}
	cfg := *ec
	if cfg.Speed == 0 {
		cfg.Speed = DefaultSpeed
		if env.Speed > 0 {
			cfg.Speed = env.Speed
		}
	}
	return &cfg
}

// key identifies a resolved target, so that a design opens each once.
func (t Target) key(env run.Env) string {
	if ec := t.engineConfig(env); ec != nil {
		return fmt.Sprintf("embedded %+v", *ec)
	}
	if t.URL != "" {
		return t.URL
	}
	return env.Target
}

// Run is one executed suite: its records as read back from the run
// directory, and where they came from.
type Run struct {
	// Records are in the run's time (record.TimeBase.View): the modelled
	// GPU's simulated time for the embedded engine, as measured otherwise.
	Records []record.Record
	// Wall are the records as measured (wall clock).
	Wall []record.Record
	// Target describes the server ("embedded engine … speed 5" or the URL
	// and model).
	Target string
	// Dir is the run directory (absolute).
	Dir string
	// Time is the time base's banner for an embedded run, empty otherwise.
	Time string
	// Config is the run's config.json as written (its client check
	// included).
	Config *record.RunConfig
	// Notes are what the session's Sizer said about this run.
	Notes []string
}

// openTargets opens each distinct target once for one design.
type openTargets struct {
	s    *Session
	open map[string]*run.Target
}

func (o *openTargets) get(ctx context.Context, t Target) (*run.Target, *engine.Config, error) {
	ec := t.engineConfig(o.s.Env)
	k := t.key(o.s.Env)
	if tg, ok := o.open[k]; ok {
		return tg, ec, nil
	}
	env := o.s.Env
	switch {
	case ec != nil:
		env.Target = ""
	case t.URL != "":
		env.Target = t.URL
	}
	tg, err := run.OpenTarget(ctx, env, ec)
	if err != nil {
		return nil, nil, err
	}
	if o.open == nil {
		o.open = map[string]*run.Target{}
	}
	o.open[k] = tg
	return tg, ec, nil
}

func (o *openTargets) close() {
	for _, t := range o.open {
		t.Close()
	}
}

// RunSuite executes suite s against target t into <session dir>/<name>
// and reads its records back. It is memoised by name: a second call with
// the same name returns the first run (designs shared by several tests
// run once per process). hooks build extra run hooks once the target is
// open (a profiler around the run); a run with hooks is never memoised,
// and its directory gets a suffix when the name was used before.
func (s *Session) RunSuite(ctx context.Context, name string, suite *workload.Suite, t Target, hooks ...func(*run.Target) run.Hook) (*Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := openTargets{s: s}
	defer o.close()
	return s.runSuite(ctx, &o, name, suite, t, hooks...)
}

func (s *Session) runSuite(ctx context.Context, o *openTargets, name string, suite *workload.Suite, t Target, hooks ...func(*run.Target) run.Hook) (*Run, error) {
	if s.runs == nil {
		s.runs = map[string]*Run{}
	}
	if r, ok := s.runs[name]; ok && len(hooks) == 0 {
		return r, nil
	}
	for i := 2; len(hooks) > 0; i++ {
		if _, used := s.runs[name]; !used {
			break
		}
		if _, used := s.runs[fmt.Sprintf("%s-%d", name, i)]; !used {
			name = fmt.Sprintf("%s-%d", name, i)
			break
		}
	}
	sessDir, err := s.Dir()
	if err != nil {
		return nil, err
	}
	dir, err := joinName(sessDir, name)
	if err != nil {
		return nil, err
	}
	tg, ec, err := o.get(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	suite = cloneSuite(suite)
	// Nonces derive from the suite's seed: salt it with the session's,
	// so no two sessions (or designs, or attempts) send one nonce'd
	// prompt twice to a server whose prefix cache outlives them.
	suite.Seed = mix(suite.Seed, s.salt(), name)
	var notes []string
	if sizer := s.sizer(); sizer != nil {
		note, err := sizer(ctx, tg, name, suite)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	if err := run.ValidateSuite(suite); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	retries := s.ClientRetries
	if retries == 0 {
		retries = DefaultClientRetries
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			suite.Seed = mix(suite.Seed, uint64(attempt), "attempt")
		}
		r, err := s.execute(ctx, name, dir, tg, ec, suite, hooks)
		if err != nil {
			return nil, err
		}
		r.Notes = slices.Clone(notes)
		reasons := r.Config.ClientLimited()
		if len(reasons) == 0 || attempt >= retries {
			s.runs[name] = r
			return r, nil
		}
		// The client limited this attempt: its data cannot decide any
		// claim (verdict.ForRun). Keep it beside the run, and measure
		// again.
		kept := fmt.Sprintf("%s.client-limited-%d", dir, attempt+1)
		if err := os.Rename(dir, kept); err != nil {
			return nil, fmt.Errorf("%s: setting aside a client-limited attempt: %w", name, err)
		}
		var why []string
		for _, rs := range reasons {
			why = append(why, fmt.Sprintf("%s: %s", rs.Code, rs.Detail))
		}
		notes = append(notes, fmt.Sprintf("%s: attempt %d was limited by the client (%s) and measured again; its data are in %s",
			name, attempt+1, strings.Join(why, "; "), filepath.Base(kept)))
		if s.Progress != nil {
			fmt.Fprintln(s.Progress, notes[len(notes)-1])
		}
	}
}

// execute makes one attempt at a run into dir.
func (s *Session) execute(ctx context.Context, name, dir string, tg *run.Target, ec *engine.Config, suite *workload.Suite, hooks []func(*run.Target) run.Hook) (*Run, error) {
	hs := []run.Hook{run.NewMetricsHook(run.MetricsConfig{BaseURL: tg.URL, APIKey: s.Env.APIKey, SendKey: s.Env.MetricsAuth,
		Dir: dir, Interval: time.Second, Settle: 50 * time.Millisecond, Notices: s.notices()})}
	for _, h := range hooks {
		hs = append(hs, h(tg))
	}
	res, err := run.Execute(ctx, run.Config{
		Client: tg.Client, Model: tg.Model, Suite: suite, Dir: dir, Seed: suite.Seed, Meta: tg.Meta, Hooks: hs,
		Progress: s.Progress, DesignProgress: s.Progress, ExternalTarget: tg.Embedded == nil, SelfCheck: s.SelfCheck,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	recs, bad, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil || len(bad) > 0 {
		return nil, fmt.Errorf("%s: reading records back: %v %v", name, err, bad)
	}
	cfg, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		return nil, fmt.Errorf("%s: reading config back: %w", name, err)
	}
	if res.Errors > 0 && s.Progress != nil {
		fmt.Fprintf(s.Progress, "%s: %d of %d requests failed (kept as records)\n", name, res.Errors, res.Records)
	}
	tb := record.TimeBaseOf(cfg, false)
	r := &Run{Records: tb.View(recs), Wall: recs, Target: describe(tg, ec), Dir: dir, Config: cfg}
	if tb.Embedded {
		r.Time = tb.Banner()
	}
	return r, nil
}

// salt is the session's seed for nonces: HYPOBENCH_SEED when set (runs
// repeat exactly), else drawn once per session. Each run's seed is in
// its config.json.
func (s *Session) salt() uint64 {
	s.saltOnce.Do(func() {
		if s.Env.SeedSet {
			s.seed = s.Env.Seed
			return
		}
		s.seed = rand.Uint64()
	})
	return s.seed
}

// mix derives a seed from seed, salt and a name (FNV-1a over the name,
// multiplied through the golden ratio).
func mix(seed, salt uint64, name string) uint64 {
	h := (seed ^ salt*0x9e3779b97f4a7c15) + 0xcbf29ce484222325
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 0x100000001b3
	}
	return h
}

// joinName is root/name for a name of one or more '/'-separated
// elements, each a plain path element (record.CheckName), so a run's
// directory is always inside the session's.
func joinName(root, name string) (string, error) {
	dir := root
	for _, el := range strings.Split(name, "/") {
		var err error
		if dir, err = record.Join(dir, "design name", el); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// notices is where the metrics scraper's notices go: the progress writer,
// or nowhere.
func (s *Session) notices() io.Writer {
	if s.Progress != nil {
		return s.Progress
	}
	return io.Discard
}

func describe(tg *run.Target, ec *engine.Config) string {
	if ec == nil {
		return tg.URL + " model " + tg.Model
	}
	d := fmt.Sprintf("embedded engine %s, speed %g", tg.Model, ec.Speed)
	if ec.Spec != "" {
		d = fmt.Sprintf("embedded engine %s (%s), speed %g", tg.Model, ec.Spec, ec.Speed)
	}
	if ec.Knobs != (engine.Knobs{}) {
		d += fmt.Sprintf(", knobs %+v", ec.Knobs)
	}
	if ec.NoPrefixCaching {
		d += ", prefix caching off"
	}
	return d
}

// cloneSuite copies s deeply enough that a Sizer or a design may change
// its slices without touching the caller's.
func cloneSuite(s *workload.Suite) *workload.Suite {
	c := *s
	c.Profiles = append([]workload.Profile(nil), s.Profiles...)
	c.Concurrency = append([]int(nil), s.Concurrency...)
	c.Rates = append([]float64(nil), s.Rates...)
	if len(c.Rates) == 0 {
		c.Rates = nil
	}
	if len(c.Concurrency) == 0 {
		c.Concurrency = nil
	}
	return &c
}
