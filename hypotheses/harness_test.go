package hypotheses

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/workload"
)

// The tests run H1–H4's designs through the public experiment API — the
// session a user's own hypothesis gets (experiment.Session): the target
// from the environment, one run directory per design in the session's
// directory, memoised by name, progress lines on stderr, and budget
// sizing under HYPOBENCH_BUDGET. What is left here is the glue between
// the session's runs and the analyses H1…H4(records, options).
var sess struct {
	x    *experiment.Session
	env  run.Env
	size Size
	// promptLadder and outputLadder override the H1 and H2 levels
	// (HYPOBENCH_PROMPT_LADDER, HYPOBENCH_OUTPUT_LADDER).
	promptLadder, outputLadder []int
}

func TestMain(m *testing.M) {
	env, err := run.LoadEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hypotheses:", err)
		os.Exit(2)
	}
	sess.env = env
	sess.x = experiment.NewSession(env)
	sess.x.Name = "hypotheses"
	// Progress goes to stderr: `go test -v` streams it while a design runs.
	sess.x.Progress = os.Stderr
	if env.Budget > 0 {
		sess.x.Sizer = budgetSizer(env.Budget)
	}
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
	os.Exit(m.Run())
}

// sizedRuns are the runs a budget sizes: H1–H4's designs on the
// configured target. Negative controls keep their designs (their fail is
// what they assert), the regression gate keeps its rounds (HYPOBENCH_ROUNDS
// sizes it, and its two sides must stay alike), and the e2e test's suite
// and cache runs are small.
var sizedRuns = []string{"H1", "H2", "concurrency", "h3", "H4"}

// budgetSizer sizes H1–H4's runs to total (experiment.Session.BudgetSizer)
// and keeps what their checks read besides the ladders' extremes: H2's
// settle check compares the two longest outputs, so the second longest
// stays; H4's analysis cuts each phase into time windows and is priced,
// never cut.
func budgetSizer(total time.Duration) experiment.Sizer {
	return func(ctx context.Context, t *run.Target, name string, s *workload.Suite) (string, error) {
		if !slices.Contains(sizedRuns, name) {
			return "", nil
		}
		b := run.Budget{Total: total, MinRounds: MinRounds}
		switch name {
		case "H2":
			ps := slices.Clone(s.Profiles)
			slices.SortFunc(ps, func(a, b workload.Profile) int { return a.MaxTokens - b.MaxTokens })
			if len(ps) >= 2 {
				b.KeepProfiles = []string{ps[len(ps)-2].Name}
			}
		case "H4":
			b.NoCut = true
		}
		return sess.x.BudgetSizer(b)(ctx, t, name, s)
	}
}

// sessionDir is the run directory that collects this process's verdicts
// (experiment.Session.Dir): HYPOBENCH_RUN_DIR when set, else a new
// reports/<id>-hypotheses.
func sessionDir(t testing.TB) string {
	t.Helper()
	return sess.x.MustDir(t)
}

// abs resolves a path given in the environment against the module root,
// as the session resolves its reports root.
func abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, p)
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, p)
		}
	}
}

// control returns an embedded-engine configuration with knobs, for
// negative controls; they always run on the embedded engine. speed 0 means
// the session's (experiment.DefaultSpeed unless HYPOBENCH_SPEED).
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

// designRun is one executed design as the analyses read it: an
// experiment.Run's records and provenance.
type designRun struct {
	recs   []record.Record // in the run's time (record.TimeBase): simulated for the embedded engine
	wall   []record.Record // as measured
	target string          // "embedded <spec> knobs" or the URL
	dir    string
	time   string // the time base's banner, empty for a URL
	run    *experiment.Run
}

// runDesign executes a design once per test process (the session memoises
// it by name; a run with extra hooks is never memoised) and returns its
// records as read back from requests.jsonl. ec nil means the configured
// target: HYPOBENCH_TARGET, or the default embedded engine; otherwise an
// embedded engine of ec (a zero speed is the session's).
//
// extra builds additional hooks for the run once the target is known (the
// profiler calls around H4's run).
func runDesign(t testing.TB, name string, s *workload.Suite, ec *engine.Config, extra ...func(*run.Target) run.Hook) designRun {
	t.Helper()
	var tg experiment.Target
	if ec != nil {
		tg = experiment.Embedded(*ec)
	}
	r, err := sess.x.RunSuite(context.Background(), name, s, tg, extra...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return designRun{recs: r.Records, wall: r.Wall, target: r.Target, dir: r.Dir, time: r.Time, run: r}
}

// finish stamps where a verdict's data came from (experiment.Session.Finish):
// the design, the runs' target and time base, the first run's directory
// relative to the session's, what a budget or a re-measurement made of the
// runs (Info), and inconclusive when a run's client limited its own
// measurement.
func finish(t *testing.T, v verdict.Verdict, design string, runs ...designRun) verdict.Verdict {
	t.Helper()
	rs := make([]*experiment.Run, len(runs))
	for i, r := range runs {
		rs[i] = r.run
	}
	return sess.x.Finish(v, design, rs...)
}
