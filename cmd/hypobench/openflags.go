package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// openFlags are the open-loop flags of `hypobench run` and `hypobench
// capacity`. They set the suite's open-loop fields, which then go through
// workload.Suite.Validate like a suite file's: one validation path.
type openFlags struct {
	rate           float64
	rates          string
	arrival        string
	burstiness     float64
	duration       time.Duration
	ramp           string
	maxConcurrency int
	trace          string
}

func (o *openFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&o.rate, "rate", 0, "open loop: target rate in requests/s (replaces the suite's concurrency ladder)")
	fs.StringVar(&o.rates, "rates", "", "open loop: comma-separated rates, one phase each (a rate ladder)")
	fs.StringVar(&o.arrival, "arrival", "", "open loop: arrival process poisson (default), gamma or constant")
	fs.Float64Var(&o.burstiness, "burstiness", 0, "open loop, gamma arrivals: shape B (1 = Poisson, lower = burstier), as vLLM's --burstiness")
	fs.DurationVar(&o.duration, "duration", 0, "open loop: length of each rate phase (with --requests, whichever ends first)")
	fs.StringVar(&o.ramp, "ramp", "", "open loop: a first phase ramping linearly FROM:TO req/s over DURATION, e.g. 1:20:60s")
	fs.IntVar(&o.maxConcurrency, "max-concurrency", 0, "open loop: cap on requests in flight; waiting for a slot counts as send lag")
	fs.StringVar(&o.trace, "trace-file", "", "open loop: replay a trace, FORMAT:FILE with FORMAT hypobench, mooncake or azure")
}

// set reports whether any open-loop flag was given.
func (o *openFlags) set() bool {
	return o.rate != 0 || o.rates != "" || o.arrival != "" || o.burstiness != 0 || o.duration != 0 ||
		o.ramp != "" || o.maxConcurrency != 0 || o.trace != ""
}

// apply sets the suite's open-loop fields from the flags and validates the
// suite. A closed-loop suite becomes open-loop: its concurrency ladder is
// dropped (explicit --concurrency is refused by validation).
func (o *openFlags) apply(s *workload.Suite, concurrencyFlag bool) error {
	if !o.set() {
		return nil
	}
	if concurrencyFlag {
		return errors.New("--concurrency is closed-loop; an open-loop run caps requests in flight with --max-concurrency")
	}
	s.Concurrency = nil
	if o.rate != 0 {
		s.Rate, s.Rates = o.rate, nil
	}
	if o.rates != "" {
		s.Rate = 0
		s.Rates = nil
		for _, f := range strings.Split(o.rates, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return fmt.Errorf("--rates: %q is not a number", f)
			}
			s.Rates = append(s.Rates, r)
		}
	}
	if o.arrival != "" {
		s.Arrival = workload.Arrival(o.arrival)
	}
	if o.burstiness != 0 {
		s.Burstiness = o.burstiness
	}
	if o.duration != 0 {
		s.DurationS = o.duration.Seconds()
	}
	if o.maxConcurrency != 0 {
		s.MaxConcurrency = o.maxConcurrency
	}
	if o.ramp != "" {
		parts := strings.Split(o.ramp, ":")
		if len(parts) != 3 {
			return fmt.Errorf("--ramp %q: want FROM:TO:DURATION, e.g. 1:20:60s", o.ramp)
		}
		from, err1 := strconv.ParseFloat(parts[0], 64)
		to, err2 := strconv.ParseFloat(parts[1], 64)
		d, err3 := time.ParseDuration(parts[2])
		if err := errors.Join(err1, err2, err3); err != nil {
			return fmt.Errorf("--ramp %q: %w", o.ramp, err)
		}
		s.Ramp = &workload.Ramp{FromRate: from, ToRate: to, DurationS: d.Seconds()}
	}
	if o.trace != "" {
		format, file, ok := strings.Cut(o.trace, ":")
		if !ok {
			return fmt.Errorf("--trace-file %q: want FORMAT:FILE (hypobench, mooncake or azure)", o.trace)
		}
		s.Trace = &workload.TraceSpec{File: filepath.Base(file), Format: workload.TraceFormat(format)}
		s.Profiles = nil
		if err := s.Validate(); err != nil {
			return fmt.Errorf("open-loop flags: %w", err)
		}
		if err := s.LoadTrace(os.DirFS(filepath.Dir(file))); err != nil {
			return fmt.Errorf("--trace-file: %w", err)
		}
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("open-loop flags: %w", err)
	}
	return nil
}

// loadShape describes the suite's load in words for the run's first line.
func loadShape(s *workload.Suite) string {
	if !s.OpenLoop() {
		return fmt.Sprintf("concurrency %v", s.Concurrency)
	}
	var b strings.Builder
	switch {
	case s.Trace != nil:
		fmt.Fprintf(&b, "trace %s (%s)", s.Trace.File, s.Trace.Format)
	case len(s.Rates) > 0:
		fmt.Fprintf(&b, "%s rates %v req/s", arrivalName(s), s.Rates)
	case s.Rate > 0:
		fmt.Fprintf(&b, "%s rate %g req/s", arrivalName(s), s.Rate)
	}
	if s.Ramp != nil {
		fmt.Fprintf(&b, " after a ramp %g→%g req/s over %gs", s.Ramp.FromRate, s.Ramp.ToRate, s.Ramp.DurationS)
	}
	if s.DurationS > 0 {
		fmt.Fprintf(&b, " for %gs per phase", s.DurationS)
	}
	if s.MaxConcurrency > 0 {
		fmt.Fprintf(&b, " max_concurrency %d", s.MaxConcurrency)
	}
	return b.String()
}

func arrivalName(s *workload.Suite) string {
	if s.Arrival == "" {
		return string(workload.Poisson)
	}
	if s.Arrival == workload.Gamma && s.Burstiness != 0 {
		return fmt.Sprintf("gamma(B=%g)", s.Burstiness)
	}
	return string(s.Arrival)
}

// warnClientLimited says on w when the run's self-check found the client
// may have limited it, or the machine stalled the in-process engine.
func warnClientLimited(w io.Writer, c *record.ClientCheck) {
	if c == nil {
		return
	}
	for _, r := range c.Reasons {
		who := "the client may have limited this run"
		if r.Code == record.ReasonEngineStall {
			who = "the machine stalled the in-process engine"
		}
		fmt.Fprintf(w, "hypobench: warning: %s (%s): %s; hypothesis verdicts on it are inconclusive\n", who, r.Code, r.Detail)
	}
}

// flagGiven reports whether the flag name was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
