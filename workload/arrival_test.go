package workload

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// gapStats returns the mean (seconds) and coefficient of variation of the
// gaps between consecutive arrivals, the first measured from 0.
func gapStats(ds []Due) (mean, cv float64) {
	var sum, sum2 float64
	prev := time.Duration(0)
	for _, d := range ds {
		g := (d.At - prev).Seconds()
		sum += g
		sum2 += g * g
		prev = d.At
	}
	n := float64(len(ds))
	mean = sum / n
	sd := math.Sqrt((sum2 - n*mean*mean) / (n - 1))
	return mean, sd / mean
}

func mustSchedule(t *testing.T, p Process, seed uint64) []Due {
	t.Helper()
	ds, err := p.Schedule(rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestScheduleMoments checks each process's inter-arrival mean and CV
// against theory: mean 1/rate; CV 0 for constant, 1 for Poisson, 1/√B for
// gamma. With n = 20000 gaps, the standard error of the mean is CV/√n
// (≤ 1.5 % for CV 2) and that of the CV a few per cent at most (gamma's
// excess kurtosis is 6/B); the tolerances are 4 standard errors or more,
// checked at five seeds each.
func TestScheduleMoments(t *testing.T) {
	t.Parallel()
	const n, rate = 20000, 8.0
	type testCase struct {
		name       string
		p          Process
		cv, cvTol  float64
		meanRelTol float64
	}
	run := func(t *testing.T, tc testCase) {
		for seed := uint64(1); seed <= 5; seed++ {
			ds := mustSchedule(t, tc.p, seed)
			if len(ds) != n {
				t.Fatalf("seed %d: %d arrivals, want %d", seed, len(ds), n)
			}
			mean, cv := gapStats(ds)
			if rel := math.Abs(mean*rate - 1); rel > tc.meanRelTol {
				t.Errorf("seed %d: mean gap %.5fs, want %.5fs (±%.1f%%)", seed, mean, 1/rate, 100*tc.meanRelTol)
			}
			if math.Abs(cv-tc.cv) > tc.cvTol {
				t.Errorf("seed %d: CV %.4f, want %.4f ± %.3f", seed, cv, tc.cv, tc.cvTol)
			}
		}
	}
	for _, tc := range []testCase{
		{name: "constant", p: Process{Arrival: Constant, Rate: rate, Requests: n}, cv: 0, cvTol: 1e-6, meanRelTol: 1e-9},
		{name: "poisson", p: Process{Arrival: Poisson, Rate: rate, Requests: n}, cv: 1, cvTol: 0.04, meanRelTol: 0.03},
		{name: "gamma B=1 is Poisson", p: Process{Arrival: Gamma, Rate: rate, Burstiness: 1, Requests: n}, cv: 1, cvTol: 0.04, meanRelTol: 0.03},
		{name: "gamma B=0.25 bursty", p: Process{Arrival: Gamma, Rate: rate, Burstiness: 0.25, Requests: n}, cv: 2, cvTol: 0.16, meanRelTol: 0.06},
		{name: "gamma B=4 smooth", p: Process{Arrival: Gamma, Rate: rate, Burstiness: 4, Requests: n}, cv: 0.5, cvTol: 0.02, meanRelTol: 0.015},
	} {
		t.Run(tc.name, func(t *testing.T) { t.Parallel(); run(t, tc) })
	}
}

// TestScheduleNegativeControl shows the moment check has teeth: a Poisson
// schedule fails the gamma B=4 check and a bursty one fails Poisson's.
func TestScheduleNegativeControl(t *testing.T) {
	t.Parallel()
	_, cvP := gapStats(mustSchedule(t, Process{Arrival: Poisson, Rate: 8, Requests: 20000}, 1))
	if math.Abs(cvP-0.5) <= 0.02 {
		t.Errorf("Poisson CV %.3f passes the B=4 tolerance", cvP)
	}
	_, cvB := gapStats(mustSchedule(t, Process{Arrival: Gamma, Rate: 8, Burstiness: 0.25, Requests: 20000}, 1))
	if math.Abs(cvB-1) <= 0.04 {
		t.Errorf("B=0.25 CV %.3f passes the Poisson tolerance", cvB)
	}
}

// TestScheduleRamp checks a linear ramp's rate at its start and end by
// counting Poisson arrivals in the first and last 60 s of a 1 → 9 req/s,
// 600 s ramp: expected ∫rate = 84 and 516, checked within 4√expected; the
// whole ramp expects 3000 ± 4√3000. A constant ramp's first and last gaps
// are 1/rate at those instants.
func TestScheduleRamp(t *testing.T) {
	t.Parallel()
	p := Process{Arrival: Poisson, Rate: 1, EndRate: 9, Duration: 600 * time.Second}
	if got := p.RateAt(0); got != 1 {
		t.Errorf("RateAt(0) = %v", got)
	}
	if got := p.RateAt(300 * time.Second); got != 5 {
		t.Errorf("RateAt(300s) = %v", got)
	}
	if got := p.MeanRate(); got != 5 {
		t.Errorf("MeanRate = %v", got)
	}
	for seed := uint64(1); seed <= 5; seed++ {
		ds := mustSchedule(t, p, seed)
		var first, last int
		for _, d := range ds {
			if d.At >= p.Duration {
				t.Fatalf("arrival at %v past the ramp's end", d.At)
			}
			if d.At < 60*time.Second {
				first++
			}
			if d.At >= 540*time.Second {
				last++
			}
		}
		check := func(name string, got int, want float64) {
			if math.Abs(float64(got)-want) > 4*math.Sqrt(want) {
				t.Errorf("seed %d: %s: %d arrivals, want %.0f ± %.0f", seed, name, got, want, 4*math.Sqrt(want))
			}
		}
		check("first 60s", first, 84)
		check("last 60s", last, 516)
		check("whole ramp", len(ds), 3000)
	}
	c := mustSchedule(t, Process{Arrival: Constant, Rate: 2, EndRate: 10, Duration: 100 * time.Second}, 1)
	g0 := c[0].At.Seconds()
	gN := (c[len(c)-1].At - c[len(c)-2].At).Seconds()
	if math.Abs(g0-0.5) > 0.01 || math.Abs(gN-0.1) > 0.01 {
		t.Errorf("constant ramp: first gap %.4fs (want ≈0.5), last %.4fs (want ≈0.1)", g0, gN)
	}
	if n := len(c); n != 599 && n != 600 {
		t.Errorf("constant ramp: %d arrivals, want ∫rate = 600 (the last may fall on the end)", n)
	}
	down := mustSchedule(t, Process{Arrival: Constant, Rate: 10, EndRate: 2, Duration: 100 * time.Second}, 1)
	if len(down) < 599 || len(down) > 600 {
		t.Errorf("falling ramp: %d arrivals, want 600", len(down))
	}
}

func TestScheduleBoundsAndDeterminism(t *testing.T) {
	t.Parallel()
	p := Process{Arrival: Gamma, Rate: 50, Burstiness: 0.5, Duration: 10 * time.Second}
	a := mustSchedule(t, p, 7)
	b := mustSchedule(t, p, 7)
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("same seed, different schedules:\n%s", d)
	}
	if c := mustSchedule(t, p, 8); cmp.Equal(a, c) {
		t.Error("different seeds gave the same schedule")
	}
	for i, d := range a {
		if d.At < 0 || d.At >= p.Duration || (i > 0 && d.At < a[i-1].At) {
			t.Fatalf("arrival %d at %v: out of [0, %v) or out of order", i, d.At, p.Duration)
		}
	}
	p.Requests = 10
	if got := mustSchedule(t, p, 7); len(got) != 10 || !cmp.Equal(got, a[:10]) {
		t.Errorf("a request cap of 10 gave %d arrivals (want the first 10 of the uncapped schedule)", len(got))
	}
	// Constant: due at k/rate exactly.
	for k, d := range mustSchedule(t, Process{Arrival: Constant, Rate: 4, Duration: 2 * time.Second}, 1) {
		if want := time.Duration(k+1) * 250 * time.Millisecond; d.At != want {
			t.Errorf("constant arrival %d at %v, want %v", k, d.At, want)
		}
	}
}

func TestProcessValidate(t *testing.T) {
	t.Parallel()
	ok := Process{Arrival: Poisson, Rate: 1, Requests: 1}
	for _, tc := range []struct {
		name string
		mod  func(*Process)
		want error
	}{
		{"good", func(*Process) {}, nil},
		{"unknown arrival", func(p *Process) { p.Arrival = "uniform" }, ErrBadArrival},
		{"zero rate", func(p *Process) { p.Rate = 0 }, ErrBadRate},
		{"negative rate", func(p *Process) { p.Rate = -1 }, ErrBadRate},
		{"NaN rate", func(p *Process) { p.Rate = math.NaN() }, ErrBadRate},
		{"Inf rate", func(p *Process) { p.Rate = math.Inf(1) }, ErrBadRate},
		{"NaN end rate", func(p *Process) { p.EndRate = math.NaN(); p.Duration = time.Second }, ErrBadRate},
		{"burstiness on poisson", func(p *Process) { p.Burstiness = 2 }, ErrBadBurstiness},
		{"negative burstiness", func(p *Process) { p.Arrival = Gamma; p.Burstiness = -1 }, ErrBadBurstiness},
		{"unbounded", func(p *Process) { p.Requests = 0 }, ErrUnbounded},
		{"ramp without duration", func(p *Process) { p.EndRate = 5 }, ErrUnbounded},
		{"negative duration", func(p *Process) { p.Duration = -time.Second }, ErrUnbounded},
		{"too long", func(p *Process) { p.Requests = 0; p.Rate = 1e6; p.Duration = time.Hour }, ErrTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.mod(&p)
			err := p.Validate()
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Validate() = %v, want %v", err, tc.want)
			}
			if _, serr := p.Schedule(rand.New(rand.NewPCG(1, 1))); (serr == nil) != (err == nil) {
				t.Errorf("Schedule error %v disagrees with Validate's %v", serr, err)
			}
		})
	}
}
