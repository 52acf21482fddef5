package main

import (
	"testing"
	"time"

	"github.com/hypobench/hypobench/workload"
)

// FuzzOpenFlags feeds arbitrary open-loop flag values to openFlags.apply:
// it never panics, and a suite it accepts is open-loop, valid, and plans.
func FuzzOpenFlags(f *testing.F) {
	f.Add(20.0, "", "poisson", 0.0, int64(0), "", 0)
	f.Add(0.0, "1,2,4", "gamma", 0.5, int64(time.Minute), "", 8)
	f.Add(0.0, "", "", 0.0, int64(0), "1:20:60s", 0)
	f.Add(-1.0, "x", "uniform", -2.0, int64(-1), "1:2", -3)
	f.Fuzz(func(t *testing.T, rate float64, rates, arrival string, burst float64, dur int64, ramp string, maxConc int) {
		s, err := workload.LoadSuite("tiny")
		if err != nil {
			t.Fatal(err)
		}
		o := openFlags{rate: rate, rates: rates, arrival: arrival, burstiness: burst, duration: time.Duration(dur), ramp: ramp, maxConcurrency: maxConc}
		if err := o.apply(s, false); err != nil || !o.set() {
			return
		}
		if !s.OpenLoop() {
			t.Fatalf("accepted flags %+v left the suite closed-loop", o)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted flags %+v, suite invalid: %v", o, err)
		}
		if _, err := s.OpenPlan(); err != nil {
			t.Fatalf("accepted flags %+v, no plan: %v", o, err)
		}
	})
}
