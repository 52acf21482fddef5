package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// budgetLadder is a prompt ladder like H1's: 5 prompt lengths at
// concurrency 1 with one output token, 4 repetitions × 4 rounds.
func budgetLadder() *workload.Suite {
	var ps []workload.Profile
	for _, r := range []int{40, 250, 500, 750, 1000} {
		ps = append(ps, workload.Profile{Name: fmt.Sprintf("p%d", r), PromptRep: r, MaxTokens: 1})
	}
	return &workload.Suite{Name: "budget-ladder", BaseText: "hi ", Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles: ps, Concurrency: []int{1}, Requests: 4, MinPerWorker: 1, Mix: true, Order: workload.Ordered, Seed: 11,
		Rounds: 4, Warmup: 1}
}

// linearCosts is a synthetic pilot: a request of r repetitions costs
// 10 ms + r × 0.1 ms at concurrency 1 and twice that at concurrency 16,
// no overheads, per-request log-sd 0.1.
func linearCosts(s *workload.Suite) *Costs {
	c := &Costs{Level: map[string]map[int]float64{}, LogSD: 0.1, SpreadDF: 8, Pilot: time.Second}
	for _, p := range PilotSuite(s).Profiles {
		t := 0.010 + float64(p.PromptRep)*0.0001
		c.Level[p.Name] = map[int]float64{1: t, 16: 2 * t}
	}
	return c
}

func TestPilotSuiteKeepsExtremes(t *testing.T) {
	s := budgetLadder()
	s.Concurrency = []int{4, 1, 16, 2}
	p := PilotSuite(s)
	if got := fmt.Sprint(p.Concurrency); got != "[1 16]" {
		t.Errorf("pilot concurrency %s, want [1 16]", got)
	}
	if len(p.Profiles) != 2 || p.Profiles[0].PromptRep != 40 || p.Profiles[1].PromptRep != 1000 {
		t.Errorf("pilot profiles %+v, want the ladder's ends p40 and p1000", p.Profiles)
	}
	if p.Seed == s.Seed {
		t.Error("the pilot shares the design's seed, so its nonces would prime a prefix cache for the design's first requests")
	}
	if p.Rounds != 0 || p.Requests != PilotRequests || !p.Mix || p.Warmup != s.Warmup {
		t.Errorf("pilot shape %+v", p)
	}
	// Profiles that vary in two parameters are not a ladder: all are piloted.
	s.Profiles = []workload.Profile{{Name: "a", PromptRep: 40, MaxTokens: 8}, {Name: "b", PromptRep: 1000, MaxTokens: 64}, {Name: "c", PromptRep: 40, MaxTokens: 64}}
	if n := len(PilotSuite(s).Profiles); n != 3 {
		t.Errorf("pilot of a profile set: %d profiles, want all 3", n)
	}
}

func TestEstimate(t *testing.T) {
	s := budgetLadder()
	c := linearCosts(s)
	// Interpolated along the ladder: p500 costs 10 + 50 ms = 60 ms at c=1.
	if got := c.requestCost(s, s.Profiles[2], 1); math.Abs(got-0.060) > 1e-12 {
		t.Errorf("p500 at c=1: %g, want 0.060", got)
	}
	// Linear in concurrency between the pilot's 1 and 16: c=4 is 1 + 3/15.
	if got, want := c.requestCost(s, s.Profiles[0], 4), 0.014*(1+3.0/15); math.Abs(got-want) > 1e-12 {
		t.Errorf("p40 at c=4: %g, want %g", got, want)
	}
	// The design: per round 4 × (14+35+60+85+110 ms) = 1.216 s; 4 rounds;
	// one warm-up request of p40.
	want := 4*4*(0.014+0.035+0.060+0.085+0.110) + 0.014
	if got := c.Estimate(s).Seconds(); math.Abs(got-want) > 1e-6 {
		t.Errorf("estimate %g s, want %g", got, want)
	}
	c.PhaseOverhead, c.RunOverhead = 0.5, 0.25
	if got := c.Estimate(s).Seconds(); math.Abs(got-(want+4*0.5+0.25)) > 1e-6 {
		t.Errorf("estimate with overheads %g s, want %g", got, want+4*0.5+0.25)
	}
}

func TestHalfWidthReference(t *testing.T) {
	// t(0.95, 2) = 2.919986 (R: qt(0.95, 2)); × √2 × √(π/2) × 0.1 / √12.
	want := 2.919986 * math.Sqrt2 * 1.2533141 * 0.1 / math.Sqrt(12)
	if got := halfWidth(0.1, 3, 4); math.Abs(got-want) > 1e-5 {
		t.Errorf("halfWidth(0.1, 3, 4) = %g, want %g", got, want)
	}
	if !math.IsNaN(halfWidth(0, 3, 4)) {
		t.Error("no spread must give NaN, not a width of 0")
	}
}

func TestSizeDesign(t *testing.T) {
	s := budgetLadder()
	c := linearCosts(s)
	full := c.Estimate(s) // ≈ 4.88 s
	run := func(name string, b Budget, check func(t *testing.T, z *Sizing, err error)) {
		t.Run(name, func(t *testing.T) {
			z, err := SizeDesign(s, c, b)
			check(t, z, err)
		})
	}
	run("fits", Budget{Total: 10 * time.Second}, func(t *testing.T, z *Sizing, err error) {
		if err != nil || z.Changed() || z.Suite != s || z.Planned != full {
			t.Fatalf("%v %v", z, err)
		}
		if !strings.Contains(z.String(), "fits: run as given") {
			t.Errorf("summary %q", z)
		}
	})
	run("fewer repetitions first", Budget{Total: 5 * time.Second}, func(t *testing.T, z *Sizing, err error) {
		// 0.8 × 5 − 1 s pilot = 3 s: 4 rounds × 2 repetitions (2.45 s) is
		// narrower than 3 rounds × 3 (2.75 s) or 4 × 1.
		if err != nil || z.Rounds != 4 || z.Requests != 2 || len(z.Dropped) > 0 {
			t.Fatalf("%v %v", z, err)
		}
		if z.Planned > 3*time.Second || !(z.HalfWidth > z.FullHalfWidth) {
			t.Errorf("planned %s, widths %g vs %g", z.Planned, z.HalfWidth, z.FullHalfWidth)
		}
		if s.Rounds != 4 || s.Requests != 4 {
			t.Error("SizeDesign changed the suite it was given")
		}
	})
	run("fewer rounds, never below MinRounds", Budget{Total: 2500 * time.Millisecond}, func(t *testing.T, z *Sizing, err error) {
		// 1 s available: 3 rounds × 1 repetition = 0.926 s.
		if err != nil || z.Rounds != 3 || z.Requests != 1 || len(z.Dropped) > 0 {
			t.Fatalf("%v %v", z, err)
		}
	})
	run("drops inner levels, keeps the extremes and what the checks need", Budget{Total: 2200 * time.Millisecond, KeepProfiles: []string{"p750"}},
		func(t *testing.T, z *Sizing, err error) {
			// 0.76 s available: 3 × 1 with all five levels (0.926 s) does not
			// fit; dropping p500 (the costliest level not kept) does.
			if err != nil || z.Rounds != 3 || z.Requests != 1 || fmt.Sprint(z.Dropped) != "[p500]" {
				t.Fatalf("%v %v", z, err)
			}
			var names []string
			for _, p := range z.Suite.Profiles {
				names = append(names, p.Name)
			}
			if fmt.Sprint(names) != "[p40 p250 p750 p1000]" {
				t.Errorf("levels %v", names)
			}
			if !strings.Contains(z.String(), "p500 dropped (extremes kept)") {
				t.Errorf("summary %q", z)
			}
		})
	run("NoCut refuses rather than cut", Budget{Total: 5 * time.Second, NoCut: true}, func(t *testing.T, z *Sizing, err error) {
		// (4.878 s + 1 s pilot) / 0.8 = 7.35 s → 8s.
		if !errors.Is(err, ErrOverBudget) || !strings.Contains(err.Error(), "at least 8s") {
			t.Fatalf("%v %v", z, err)
		}
	})
	run("refuses with the budget it needs", Budget{Total: 1500 * time.Millisecond}, func(t *testing.T, z *Sizing, err error) {
		// The extremes alone at 3 × 1: 3 × (14 + 110 ms) + 14 ms warm-up
		// = 0.386 s; with the 1 s pilot, over 0.8: 1.73 s → "2s".
		var be *BudgetError
		if !errors.As(err, &be) || !errors.Is(err, ErrOverBudget) || z != nil {
			t.Fatalf("%v %v, want a *BudgetError", z, err)
		}
		if be.Need != 2*time.Second || !strings.Contains(err.Error(), "needs a budget of at least 2s, got 1.5s") {
			t.Errorf("need %s, message %q", be.Need, err)
		}
	})
}

func TestSizeOpenLoop(t *testing.T) {
	s := &workload.Suite{Name: "open", BaseText: "hi ", Endpoint: "completions", Profiles: []workload.Profile{{Name: "a", PromptRep: 4, MaxTokens: 4}},
		Rates: []float64{10, 20}, Arrival: workload.Constant, DurationS: 30, Seed: 3, Order: workload.Ordered}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	z, err := SizeDesign(s, nil, Budget{Total: 2 * time.Minute})
	if err != nil || !z.Open || z.Planned < 59*time.Second || z.Planned > 60*time.Second {
		t.Fatalf("%v %v", z, err)
	}
	if _, err := SizeDesign(s, nil, Budget{Total: time.Minute}); !errors.Is(err, ErrOverBudget) || !strings.Contains(err.Error(), "at least 1m15s") {
		t.Errorf("open loop over budget: %v", err)
	}
}

// TestBudgetOnSlowedEngine sizes budgetLadder to a budget against the
// embedded engine slowed to a quarter of the modelled GPU's speed (a
// one-token request of 40–1000 prompt tokens costs ~0.1–0.4 s of wall
// time, far above a loaded machine's scheduling noise) and runs it:
//   - the plan fits: pilot + planned ≤ 80% of the budget (the margin);
//   - the run fits: the pilot's and the sized run's own recorded times
//     (config.json, started → ended: the wall clock, the budget's time
//     base) add up to no more than the budget — the 20% margin absorbs
//     the estimate's error;
//   - the design-level progress lines come, one per phase end and a final
//     one with every request done;
//   - a budget below the smallest design is refused with the budget
//     needed, before the design runs.
func TestBudgetOnSlowedEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded engine for ~10 s")
	}
	ec := engine.DefaultConfig
	ec.Speed = 0.25
	ctx := context.Background()
	tgt, err := OpenTarget(ctx, Env{}, &ec)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	root := t.TempDir()
	s := budgetLadder()
	var prog bytes.Buffer
	cfg := Config{Client: tgt.Client, Model: tgt.Model, Suite: s, Seed: s.Seed, Meta: tgt.Meta, DesignProgress: &prog}
	pc := cfg
	pc.Dir = filepath.Join(root, "pilot")
	costs, err := MeasurePilot(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	const budget = 10 * time.Second
	z, err := SizeDesign(s, costs, Budget{Total: budget})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pilot: %d requests in %s, costs %v, phase overhead %.3fs, run overhead %.3fs, log-sd %.3f", costs.Requests, costs.Pilot,
		costs.Level, costs.PhaseOverhead, costs.RunOverhead, costs.LogSD)
	t.Log(z)
	if !z.Changed() || z.Rounds < 3 {
		t.Fatalf("the design as given (~%s) must be cut to fit %s, to at least 3 rounds: %v", z.Full, budget, z)
	}
	if z.Pilot+z.Planned > budget*8/10 {
		t.Errorf("pilot %s + planned %s exceeds 80%% of the budget %s", z.Pilot, z.Planned, budget)
	}
	cfg.Suite, cfg.Dir = z.Suite, filepath.Join(root, "design")
	prog.Reset()
	res, err := Execute(ctx, cfg)
	if err != nil || res.Errors > 0 {
		t.Fatal(err, res.Errors)
	}
	rc, err := record.ReadConfig(filepath.Join(cfg.Dir, record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	took := rc.Ended.Sub(rc.Started)
	t.Logf("measured: pilot %s + design %s = %s against a budget of %s (planned %s)", costs.Pilot, took, costs.Pilot+took, budget, z.Planned)
	if costs.Pilot+took > budget {
		t.Errorf("pilot %s + design %s = %s exceeds the budget %s (planned %s)", costs.Pilot, took, costs.Pilot+took, budget, z.Planned)
	}

	out := prog.String()
	t.Logf("progress:\n%s", out)
	total := len(z.Suite.Plan())
	n := 0
	for _, pp := range z.Suite.Plan() {
		n += pp.Requests
	}
	ends := regexp.MustCompile(`(?m)^design budget-ladder: \d+/\d+ requests \(\d+%\), \d+/\d+ phases, elapsed [0-9.a-z]+, remaining \S+.*\(phase \d+ ended\)$`)
	if got := len(ends.FindAllString(out, -1)); got != total {
		t.Errorf("%d phase-end progress lines, want %d", got, total)
	}
	final := fmt.Sprintf("design budget-ladder: %d/%d requests (100%%), %d/%d phases", n, n, total, total)
	if !strings.Contains(out, final) || !strings.Contains(out, "remaining 0s (run ended)") {
		t.Errorf("no final line %q in the progress", final)
	}

	// Too small a budget: refused, with what it would need, from the same
	// pilot; nothing runs.
	_, err = SizeDesign(s, costs, Budget{Total: costs.Pilot})
	var be *BudgetError
	if !errors.As(err, &be) || be.Need <= costs.Pilot || !strings.Contains(err.Error(), "needs a budget of at least "+roundDuration(be.Need).String()) {
		t.Errorf("budget %s: %v, want a refusal naming the budget needed", costs.Pilot, err)
	}
}

// TestSizeTo runs the sizer a session calls against the fake server: a
// generous budget keeps the design and leaves its pilot's records in the
// pilot directory; a budget below the pilot's own time refuses.
func TestSizeTo(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TTFT: 2 * time.Millisecond, TokenDelay: time.Millisecond})
	defer srv.Close()
	tgt := &Target{URL: srv.URL, Model: "m", Client: client(t, srv.URL)}
	root := t.TempDir()
	dirFor := func(name string) (string, error) { return filepath.Join(root, name+"-pilot"), nil }
	var out bytes.Buffer
	s := smallSuite()
	s.Rounds = 3
	note, err := SizeTo(Budget{Total: time.Minute}, dirFor, &out)(context.Background(), tgt, "small", s)
	if err != nil || !strings.Contains(note, "fits: run as given") || s.Rounds != 3 || s.Requests != 4 {
		t.Fatalf("note %q, err %v, suite %+v", note, err, s)
	}
	recs, _, err := record.ReadRecords(filepath.Join(root, "small-pilot", record.RequestsFile))
	if want := 2 * (PilotRequests + 4); err != nil || len(recs) != want {
		t.Errorf("pilot records %d (%v), want %d: 2 profiles × (3 at c=1, 4 at c=4)", len(recs), err, want)
	}
	if !strings.Contains(out.String(), "design small-pilot: ") || !strings.Contains(out.String(), "small: budget 1m0s") {
		t.Errorf("progress %q", out.String())
	}
	_, err = SizeTo(Budget{Total: time.Millisecond}, dirFor, nil)(context.Background(), tgt, "small", smallSuite())
	if !errors.Is(err, ErrOverBudget) {
		t.Errorf("1 ms budget: %v, want a refusal", err)
	}
}

// TestBudgetSetting: HYPOBENCH_BUDGET is a time budget when it is a
// duration, and left to the regression gate when it is a percentage or a
// fraction; anything else is an error naming the variable.
func TestBudgetSetting(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
		err  bool
	}{{"5m", 5 * time.Minute, false}, {"90s", 90 * time.Second, false}, {"5%", 0, false}, {"0.05", 0, false}, {"-1m", 0, true}, {"soon", 0, true}} {
		e, err := ParseEnv(func(k string) (string, bool) {
			if k == "HYPOBENCH_BUDGET" {
				return tc.v, true
			}
			return "", false
		})
		if (err != nil) != tc.err || e.Budget != tc.want {
			t.Errorf("HYPOBENCH_BUDGET=%s: budget %s, err %v; want %s, error %v", tc.v, e.Budget, err, tc.want, tc.err)
		}
		if err != nil && !strings.Contains(err.Error(), "HYPOBENCH_BUDGET") {
			t.Errorf("error %q does not name the variable", err)
		}
	}
}

// TestRemainingWeighsWaves: the estimate of the time left weighs a
// closed-loop request by 1/c, so after a c=1 phase of 3 requests (3 waves)
// and with a c=16 phase of 32 requests (2 waves) to go, 2/3 of the time
// spent is left — not 32/3 of it, as a count of requests would say.
func TestRemainingWeighsWaves(t *testing.T) {
	s := &workload.Suite{Name: "w", Profiles: []workload.Profile{{Name: "a", PromptRep: 1, MaxTokens: 1}}, Concurrency: []int{1, 16},
		Requests: 3, MinPerWorker: 2, Order: workload.Ordered}
	n := 0
	var out bytes.Buffer
	d := newDesignProgress(&Config{Suite: s, DesignProgress: &out}, func() int { return n })
	if d.total != 3+32 || d.weight != 3+2 {
		t.Fatalf("planned %d requests of weight %g, want 35 and 5", d.total, d.weight)
	}
	clock := time.Unix(1e9, 0)
	d.now = func() time.Time { return clock }
	d.every = time.Hour // no tick between the lines asked for
	ctx := context.Background()
	d.hook(ctx, record.Phase{Index: -1}, "run-start")
	d.hook(ctx, record.Phase{Index: 0, Concurrency: 1}, "start")
	n, clock = 3, clock.Add(3*time.Second) // the c=1 phase took 3 s
	d.hook(ctx, record.Phase{Index: 0, Concurrency: 1}, "end")
	d.hook(ctx, record.Phase{Index: 1, Concurrency: 16}, "start")
	n = 19 // half the c=16 phase: one wave of the two
	d.mu.Lock()
	d.line(clock.Add(time.Second), "")
	d.mu.Unlock()
	n = 35
	d.hook(ctx, record.Phase{Index: 1, Concurrency: 16}, "end")
	d.hook(ctx, record.Phase{Index: -1}, "run-end")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"design w: 35 requests in 2 phases planned",
		"design w: 3/35 requests (9%), 1/2 phases, elapsed 3s, remaining ~2s at the pace so far (phase 0 ended)",
		"design w: 19/35 requests (54%), 1/2 phases, elapsed 4s, remaining ~1s at the pace so far",
	}
	for i, w := range want {
		if i >= len(lines) || lines[i] != w {
			t.Errorf("line %d: got %q, want %q", i, lines[min(i, len(lines)-1)], w)
		}
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "design w: 35/35 requests (100%), 2/2 phases") || !strings.HasSuffix(last, "remaining 0s (run ended)") {
		t.Errorf("last line %q", last)
	}
}

// TestSizeWithoutRounds: a design without rounds (H4's) is cut in
// repetitions only, and no round-based power figure is claimed for it.
func TestSizeWithoutRounds(t *testing.T) {
	s := budgetLadder()
	s.Rounds, s.Requests = 0, 8
	c := linearCosts(s)
	// 8 × 0.304 s + 0.014 = 2.446 s as given; 1 s available: 3 repetitions.
	z, err := SizeDesign(s, c, Budget{Total: 2500 * time.Millisecond})
	if err != nil || z.Rounds != 0 || z.Requests != 3 || len(z.Dropped) > 0 {
		t.Fatalf("%v %v", z, err)
	}
	if !math.IsNaN(z.HalfWidth) || strings.Contains(z.String(), "power") {
		t.Errorf("a design without rounds got a power figure: %s", z)
	}
}
