package compare

import (
	"strings"
	"testing"

	"github.com/hypobench/hypobench/verdict"
)

// TestSeedFormat compares two runs in the seed's own record format (id,
// profile, ttft_s, total_s, concurrency; no e2e_s, no tpot_s, no run id,
// no config.json), 400 requests per group and side, drawn from the same
// distributions (testdata/seedformat, written once by a seeded script):
// TPOT is reported as not compared, E2E is read from total_s and says so,
// and nothing claims "too few requests".
func TestSeedFormat(t *testing.T) {
	base, err := Load("testdata/seedformat/base")
	if err != nil {
		t.Fatal(err)
	}
	cand, err := Load("testdata/seedformat/new")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts Options
		want verdict.Outcome
	}{
		// One run per side: inconclusive for that reason alone.
		{name: "one run per side", want: verdict.Inconclusive},
		// With a stated run-to-run variation (and a budget the 15%
		// request noise of 400 requests can resolve) the same runs decide.
		{name: "run-to-run given", opts: Options{RunToRun: 0.01, Budget: 0.10}, want: verdict.Pass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := Runs(base, cand, tc.opts)
			if rep.Outcome != tc.want {
				for _, c := range rep.Checks {
					t.Logf("%s %s ratio %.3f CI [%.3f, %.3f] %s", c.Name(), c.Outcome, c.Ratio, c.CI.Lo, c.CI.Hi, c.Detail)
				}
				t.Errorf("outcome %s, want %s", rep.Outcome, tc.want)
			}
			if len(rep.NotCompared) != 2 {
				t.Errorf("not compared %+v, want TPOT in both groups", rep.NotCompared)
			}
			for _, nc := range rep.NotCompared {
				if nc.Metric != TPOT || !strings.Contains(nc.Reason, "tpot_s") {
					t.Errorf("not compared %+v, want tpot naming tpot_s", nc)
				}
			}
			if rep.NeededN == DefaultMinN {
				t.Errorf("NeededN %d: the \"too few requests\" of a metric nobody measured", rep.NeededN)
			}
			e2e := 0
			for _, c := range rep.Checks {
				if c.NBase != 400 || c.NNew != 400 || strings.Contains(c.Detail, "too few") {
					t.Errorf("%s: n %d/%d, detail %q", c.Name(), c.NBase, c.NNew, c.Detail)
				}
				if c.Metric == E2E {
					e2e++
					if !c.FromTotal || !strings.Contains(c.Detail, "total_s") {
						t.Errorf("%s: from total_s %v, detail %q; want it read from total_s and said so", c.Name(), c.FromTotal, c.Detail)
					}
				}
				if tc.opts.RunToRun == 0 && !strings.Contains(c.Detail, "one run per side") {
					t.Errorf("%s: detail %q, want the one-run reason", c.Name(), c.Detail)
				}
			}
			if e2e != 4 {
				t.Errorf("%d e2e checks, want 4 (2 groups × p50, p90)", e2e)
			}
		})
	}
}
