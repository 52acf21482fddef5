package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hypobench/hypobench/capacity"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/report"
	hrun "github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/workload"
)

func init() {
	register("capacity", "raise an open-loop rate until the server saturates and find the highest rate meeting latency SLOs", capacityCmd)
}

// capacityOptions are the sweep's settings beyond the suite.
type capacityOptions struct {
	SLO       capacity.SLO
	Rates     []float64 // the ladder, rising
	Level     float64   // confidence level of the interval
	Bootstrap int       // replicates
	Seed      uint64

	stallShare *float64 // the embedded engine's virtual time lost to host stalls
}

// ladder returns the geometric rate ladder start, start·factor, … ≤ max.
func ladder(start, factor, maxRate float64) ([]float64, error) {
	if !(start > 0) || !(factor > 1) || !(maxRate >= start) || math.IsInf(maxRate, 0) {
		return nil, fmt.Errorf("want --start-rate > 0, --factor > 1 and --max-rate ≥ --start-rate (got %g, %g, %g)", start, factor, maxRate)
	}
	var rs []float64
	for r := start; r <= maxRate*(1+1e-9) && len(rs) < 64; r *= factor {
		rs = append(rs, math.Round(r*1000)/1000)
	}
	return rs, nil
}

// capacityCmd implements
//
//	hypobench capacity --slo-ttft DUR [--slo-tpot DUR] [--quantile 0.9]
//	                   [--rates R1,R2,… | --start-rate R --factor F --max-rate M]
//	                   [--duration D] [--requests N] [--profile NAME] [--suite S] ...
//
// It runs one open-loop phase per rate, rising, into one run directory and
// stops after the first rate that misses the SLO while the server is
// saturated (its queue grew: TTFT from due doubled within the phase), or after two rates in
// a row that miss it. Then it estimates the capacity (package capacity):
// the highest rate at which --quantile of requests meet every bound, TTFT
// counted from each request's due instant. It writes capacity.json and the
// report (whose page has the capacity section and its plots) and prints
// the estimate with its interval. Exit status 2 on unusable input.
func capacityCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	env, err := hrun.LoadEnv()
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	fs := flag.NewFlagSet("capacity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&env.Target, "target", env.Target, "base URL of an OpenAI-compatible server (empty: the embedded engine)")
	fs.StringVar(&env.Model, "model", env.Model, "model name (empty: the first listed by /v1/models)")
	fs.StringVar(&env.Suite, "suite", env.Suite, "suite whose profiles make the load: tiny, huge, or a suite file")
	profile := fs.String("profile", "", "use this profile of the suite alone (default: all its profiles, mixed)")
	fs.StringVar(&env.Out, "out", env.Out, "reports root; the sweep lands in OUT/<run-id>")
	fs.StringVar(&env.Engine, "engine", env.Engine, "embedded engine gpu:model")
	fs.Float64Var(&env.Speed, "speed", env.Speed, "embedded engine time compression: the rates, SLOs and capacity are then wall-clock (compressed) figures; capacity.json and the report also give the capacity per simulated second (÷ speed)")
	fs.DurationVar(&env.Timeout, "timeout", env.Timeout, "per-request timeout (default 10m)")
	seed := fs.Uint64("seed", env.Seed, "seed for schedules, nonces and the bootstrap")
	var o capacityOptions
	fs.DurationVar(&o.SLO.TTFT, "slo-ttft", 0, "SLO on TTFT from the request's due instant (e.g. 200ms); 0 sets none")
	fs.DurationVar(&o.SLO.TPOT, "slo-tpot", 0, "SLO on TPOT (e.g. 40ms); 0 sets none")
	fs.Float64Var(&o.SLO.Quantile, "quantile", capacity.DefaultQuantile, "share of requests that must meet the SLO")
	rates := fs.String("rates", "", "comma-separated rates to test, rising (default: the geometric ladder below)")
	start := fs.Float64("start-rate", 1, "first rate of the ladder, requests/s")
	factor := fs.Float64("factor", 1.5, "ladder step: each rate is the previous times this")
	maxRate := fs.Float64("max-rate", 256, "highest rate of the ladder")
	duration := fs.Duration("duration", 20*time.Second, "length of each rate's phase")
	requests := fs.Int("requests", 0, "cap on requests per rate (0: none)")
	arrival := fs.String("arrival", "poisson", "arrival process: poisson, gamma or constant")
	burst := fs.Float64("burstiness", 0, "gamma shape for --arrival gamma")
	maxConc := fs.Int("max-concurrency", 0, "cap on requests in flight (0: none)")
	fs.Float64Var(&o.Level, "level", 0.95, "confidence level of the capacity's interval")
	fs.IntVar(&o.Bootstrap, "bootstrap", 2000, "bootstrap replicates for the interval")
	noReport := fs.Bool("no-report", false, "skip writing summary, plots and index.html")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hypobench capacity --slo-ttft DUR [--slo-tpot DUR] [--quantile 0.9] [flags]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("capacity: unexpected argument %q", fs.Arg(0))}
	}
	bad := func(err error) error { return &ExitError{Code: 2, Msg: "capacity: " + err.Error()} }
	if err := o.SLO.Validate(); err != nil {
		return bad(err)
	}
	if !(o.Level > 0 && o.Level < 1) {
		return bad(fmt.Errorf("--level must be in (0, 1), got %v", o.Level))
	}
	if *rates != "" {
		for _, f := range strings.Split(*rates, ",") {
			var r float64
			if _, err := fmt.Sscan(strings.TrimSpace(f), &r); err != nil {
				return bad(fmt.Errorf("--rates: %q is not a number", f))
			}
			o.Rates = append(o.Rates, r)
		}
		if !slices.IsSorted(o.Rates) {
			return bad(errors.New("--rates must rise"))
		}
	} else if o.Rates, err = ladder(*start, *factor, *maxRate); err != nil {
		return bad(err)
	}
	env.Seed = *seed
	env.SeedSet = env.SeedSet || *seed != 0
	suite, err := workload.LoadSuite(env.Suite)
	if err != nil {
		return bad(err)
	}
	if env.SeedSet {
		suite.Seed = env.Seed
	}
	o.Seed = suite.Seed
	if err := capacitySuite(suite, *profile, o.Rates, *arrival, *burst, *duration, *requests, *maxConc); err != nil {
		return bad(err)
	}
	res, est, err := sweep(ctx, env, suite, o, stderr)
	if err != nil {
		return &ExitError{Code: 2, Msg: "capacity: " + err.Error()}
	}
	printCapacity(stdout, res.Dir, est, o.SLO)
	warnClientLimited(stdout, res.ClientCheck)
	if !*noReport {
		if err := writeReports(context.WithoutCancel(ctx), res.Dir, stdout, stderr); err != nil {
			return err
		}
	}
	if res.Interrupted {
		return &ExitError{Code: 130, Msg: "capacity sweep interrupted: every finished request is in " + res.Dir + "/requests.jsonl"}
	}
	return nil
}

// capacitySuite turns a suite into the sweep's: one open-loop phase per
// rate (its profiles mixed, or one profile), through Validate.
func capacitySuite(s *workload.Suite, profile string, rates []float64, arrival string, burst float64, d time.Duration, n, maxConc int) error {
	if profile != "" {
		i := slices.IndexFunc(s.Profiles, func(p workload.Profile) bool { return p.Name == profile })
		if i < 0 {
			return fmt.Errorf("--profile %q: suite %s has no such profile", profile, s.Name)
		}
		s.Profiles = s.Profiles[i : i+1]
	}
	s.Mix = len(s.Profiles) > 1
	s.Concurrency = nil
	s.Rate, s.Rates = 0, rates
	s.Arrival, s.Burstiness = workload.Arrival(arrival), burst
	s.DurationS, s.Requests, s.MaxConcurrency = d.Seconds(), n, maxConc
	s.Order = workload.Ordered
	return s.Validate()
}

// sweep runs the ladder, stopping at saturation, and analyses it into
// dir/capacity.json.
func sweep(ctx context.Context, env hrun.Env, s *workload.Suite, o capacityOptions, stderr io.Writer) (*hrun.Result, capacity.Result, error) {
	tgt, err := hrun.OpenTarget(ctx, env, nil)
	if err != nil {
		return nil, capacity.Result{}, err
	}
	defer tgt.Close()
	dir, id, err := hrun.NewDir(env.Out, s.Name+"-capacity")
	if err != nil {
		return nil, capacity.Result{}, err
	}
	if err := hrun.MarkLatest(env.Out, id); err != nil {
		fmt.Fprintln(stderr, "hypobench:", err)
	}
	fmt.Fprintf(stderr, "hypobench capacity %s: target %s model %s suite %s rates %v, %s\n", id, tgt.URL, tgt.Model, s.Name, o.Rates, sloString(o.SLO))
	misses := 0
	cont := func(ph record.Phase) bool {
		recs, _, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
		if err != nil {
			return true
		}
		rs := capacity.Rates([]record.Phase{ph}, recs, o.SLO)
		if len(rs) == 0 {
			return true
		}
		r := rs[0]
		fmt.Fprintf(stderr, "rate %g req/s: attainment %.3f (%d/%d), throughput %.3g req/s, saturated %v\n", r.Target, r.Attainment, r.Good, r.N, r.Throughput, r.Saturated)
		if r.Meets {
			misses = 0
			return true
		}
		misses++
		return !r.Saturated && misses < 2
	}
	meta := tgt.Meta
	meta["env"] = env
	meta["command"] = "hypobench capacity"
	res, err := hrun.Execute(ctx, hrun.Config{
		Client: tgt.Client, Model: tgt.Model, Suite: s, Dir: dir, RunID: id, Seed: s.Seed,
		Progress: stderr, Meta: meta, Hooks: targetHooks(tgt, env, dir, stderr),
		ExternalTarget: tgt.Embedded == nil, Engine: tgt.EngineClock(), Continue: cont,
	})
	if err != nil {
		return nil, capacity.Result{}, err
	}
	if res.ClientCheck != nil {
		// The runner's self-check measured it (run.Config.Engine).
		o.stallShare = res.ClientCheck.EngineStallShare
	}
	est, err := analyzeDir(dir, o)
	return res, est, err
}

// analyzeDir estimates the capacity from a run directory's open-loop
// phases and writes it to dir/capacity.json.
func analyzeDir(dir string, o capacityOptions) (capacity.Result, error) {
	recs, _, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil {
		return capacity.Result{}, err
	}
	phases, _, err := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	if err != nil {
		return capacity.Result{}, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xca9))
	est := capacity.Analyze(rng, capacity.Rates(phases, recs, o.SLO), o.SLO, o.Bootstrap, o.Level)
	est.EngineStallShare = o.stallShare
	if rc, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile)); err == nil {
		est.ClientLimited = est.Bearing(rc.ClientLimited(), phases)
		if tb := record.TimeBaseOf(rc, false); tb.Embedded && !tb.Prediction {
			est.InTimeOf(tb.Scale)
		}
	}
	b, err := json.MarshalIndent(est, "", "  ")
	if err != nil {
		return est, fmt.Errorf("encoding %s: %w", record.CapacityFile, err)
	}
	return est, record.WriteFileAtomic(filepath.Join(dir, record.CapacityFile), append(b, '\n'))
}

func sloString(s capacity.SLO) string {
	var parts []string
	if s.TTFT > 0 {
		parts = append(parts, "TTFT from due ≤ "+s.TTFT.String())
	}
	if s.TPOT > 0 {
		parts = append(parts, "TPOT ≤ "+s.TPOT.String())
	}
	return fmt.Sprintf("SLO %s for %g of requests", strings.Join(parts, " and "), s.Quantile)
}

// maxEngineStall is the share of a sweep's virtual time the embedded
// engine may lose to host stalls before the CLI warns that its timings are
// not the model's (the live-vs-predicted tests rerun a sweep above 3%
// too). It is stricter than the self-check's run.DefaultSelfCheck
// EngineStall (which flags the run, ReasonEngineStall): a capacity sits at
// a knee, where losing 3% of the engine's time moves it by about as much.
const maxEngineStall = 0.03

func printCapacity(w io.Writer, dir string, est capacity.Result, slo capacity.SLO) {
	fmt.Fprintf(w, "capacity %s: %s\n", dir, report.CapacityLine(est))
	if sim := est.Simulated; sim != nil {
		fmt.Fprintf(w, "  the embedded engine ran compressed ×%g: the rates above are per wall-clock second; per simulated second the capacity is %.4g requests/s (interval [%.4g, %.4g])\n",
			est.Scale, sim.Capacity, sim.CI.Lo, sim.CI.Hi)
	}
	for _, m := range est.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", m)
	}
	if s := est.EngineStallShare; s != nil && *s > maxEngineStall {
		fmt.Fprintf(w, "  the embedded engine lost %.1f%% of the sweep's virtual time to host stalls (above %.0f%%): its timings are not the model's; rerun on a quieter machine\n", 100**s, 100*maxEngineStall)
	}
	for _, r := range est.ClientLimited {
		if r.Code == record.ReasonEngineStall {
			continue // said above
		}
		fmt.Fprintf(w, "  the client may have moved this estimate (%s): %s\n", r.Code, r.Detail)
	}
}
