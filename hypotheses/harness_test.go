package hypotheses

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/workload"
)

// defaultSpeed compresses the embedded engine's time in tests: fast enough
// for CI, slow enough that a step (≈ 19 ms / speed for a decode on the
// default rtx4090:qwen2.5-7b) stays far above scheduling noise.
const defaultSpeed = 5

var sess struct {
	env  run.Env
	size Size
	// promptLadder and outputLadder override the H1 and H2 levels
	// (HYPOBENCH_PROMPT_LADDER, HYPOBENCH_OUTPUT_LADDER).
	promptLadder, outputLadder []int
	root                       string // module root
	dirOnce                    sync.Once
	dir                        string
	dirErr                     error
	mu                         sync.Mutex
	runs                       map[string]designRun
}

func TestMain(m *testing.M) {
	env, err := run.LoadEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hypotheses:", err)
		os.Exit(2)
	}
	sess.env = env
	if os.Getenv("HYPOBENCH_DESIGN") == "full" {
		sess.size = Full
	}
	for v, dst := range map[string]*[]int{"HYPOBENCH_PROMPT_LADDER": &sess.promptLadder, "HYPOBENCH_OUTPUT_LADDER": &sess.outputLadder} {
		if s := os.Getenv(v); s != "" {
			if *dst, err = run.ParseInts(s); err != nil {
				fmt.Fprintf(os.Stderr, "hypotheses: %s=%q: %v\n", v, s, err)
				os.Exit(2)
			}
		}
	}
	sess.root = moduleRoot()
	sess.runs = map[string]designRun{}
	os.Exit(m.Run())
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

func abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(sess.root, p)
}

// sessionDir is the run directory that collects this process's verdicts:
// HYPOBENCH_RUN_DIR when set, else a new reports/<id>-hypotheses, created
// on first use.
func sessionDir(t testing.TB) string {
	sess.dirOnce.Do(func() {
		if d := os.Getenv("HYPOBENCH_RUN_DIR"); d != "" {
			sess.dir = abs(d)
			sess.dirErr = os.MkdirAll(sess.dir, 0o755)
			return
		}
		sess.dir, _, sess.dirErr = run.NewDir(abs(sess.env.Out), "hypotheses")
	})
	if sess.dirErr != nil {
		t.Fatalf("session directory: %v", sess.dirErr)
	}
	return sess.dir
}

// control returns an embedded-engine configuration with knobs, for
// negative controls; they always run on the embedded engine. speed 0 means
// the tests' default compression.
func control(k engine.Knobs, seed uint64, speed float64) *engine.Config {
	c := engine.DefaultConfig
	c.Knobs = k
	c.Seed = seed
	c.Speed = speed
	return &c
}

// opts are the statistical options: HYPOBENCH_SEED or 1.
func opts() Options {
	o := DefaultOptions
	if sess.env.SeedSet {
		o.Seed = sess.env.Seed
	}
	return o
}

// designRun is one executed design: its records and where they came from.
type designRun struct {
	recs   []record.Record // in the run's time (record.TimeBase): simulated for the embedded engine
	wall   []record.Record // as measured
	target string          // "embedded <spec> knobs" or the URL
	dir    string
	time   string // the time base's banner, empty for a URL
}

// runDesign executes a design once per test process (memoised by name) and
// returns its records as read back from requests.jsonl. ec nil means the
// configured target: HYPOBENCH_TARGET, or the default embedded engine.
//
// extra builds additional hooks for the run once the target is known (the
// profiler calls around H4's run).
func runDesign(t testing.TB, name string, s *workload.Suite, ec *engine.Config, extra ...func(*run.Target) run.Hook) designRun {
	t.Helper()
	sess.mu.Lock()
	defer sess.mu.Unlock()
	// Runs with extra hooks (a profiler) are never memoised: what the
	// hooks capture belongs to that run. Their directory gets a suffix when
	// the name was used before (go test -count N).
	if r, ok := sess.runs[name]; ok && len(extra) == 0 {
		return r
	}
	for i := 2; len(extra) > 0; i++ {
		if _, used := sess.runs[name]; !used {
			break
		}
		if _, used := sess.runs[fmt.Sprintf("%s-%d", name, i)]; !used {
			name = fmt.Sprintf("%s-%d", name, i)
			break
		}
	}
	env := sess.env
	if ec != nil {
		env.Target = "" // controls always run on the embedded engine
	} else if env.Target == "" {
		ec = new(engine.Config)
		*ec = engine.DefaultConfig
		ec.Speed = 0
		if env.Engine != "" {
			ec.Spec = env.Engine
		}
		if env.SeedSet {
			ec.Seed = env.Seed
		}
	}
	if ec != nil {
		cfg := *ec
		if cfg.Speed == 0 {
			cfg.Speed = defaultSpeed
			if env.Speed > 0 {
				cfg.Speed = env.Speed
			}
		}
		ec = &cfg
	}
	ctx := context.Background()
	tgt, err := run.OpenTarget(ctx, env, ec)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer tgt.Close()
	dir := filepath.Join(sessionDir(t), name)
	hooks := []run.Hook{run.NewMetricsHook(run.MetricsConfig{BaseURL: tgt.URL, APIKey: env.APIKey, SendKey: env.MetricsAuth,
		Dir: dir, Interval: time.Second, Settle: 50 * time.Millisecond, Notices: testLog{t}})}
	for _, h := range extra {
		hooks = append(hooks, h(tgt))
	}
	res, err := run.Execute(ctx, run.Config{
		Client: tgt.Client, Model: tgt.Model, Suite: s, Dir: dir, Seed: s.Seed, Meta: tgt.Meta, Hooks: hooks,
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	recs, bad, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil || len(bad) > 0 {
		t.Fatalf("%s: reading records back: %v %v", name, err, bad)
	}
	if res.Errors > 0 {
		t.Logf("%s: %d of %d requests failed (kept as records)", name, res.Errors, res.Records)
	}
	cfg, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		t.Fatalf("%s: reading config back: %v", name, err)
	}
	tb := record.TimeBaseOf(cfg, false)
	r := designRun{recs: tb.View(recs), wall: recs, target: describe(tgt, ec), dir: dir}
	if tb.Embedded {
		r.time = tb.Banner()
	}
	sess.runs[name] = r
	return r
}

func describe(tgt *run.Target, ec *engine.Config) string {
	if ec == nil {
		return tgt.URL + " model " + tgt.Model
	}
	s := fmt.Sprintf("embedded engine %s, speed %g", tgt.Model, ec.Speed)
	if ec.Knobs != (engine.Knobs{}) {
		s += fmt.Sprintf(", knobs %+v", ec.Knobs)
	}
	return s
}

// finish stamps where a verdict's data came from and reports it.
func finish(t *testing.T, v verdict.Verdict, design string, runs ...designRun) verdict.Verdict {
	t.Helper()
	v.Design = design
	if len(runs) > 0 {
		v.Target, v.Time = runs[0].target, runs[0].time
		rel, err := filepath.Rel(sessionDir(t), runs[0].dir)
		if err != nil {
			rel = runs[0].dir
		}
		v.RunDir = rel
	}
	return v
}

// testLog sends scraper notices to the test log.
type testLog struct{ t testing.TB }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
