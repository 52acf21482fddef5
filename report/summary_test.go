package report

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hypobench/hypobench/record"
)

// rec builds a successful record of suite "s" with the given TTFT and TPOT
// (seconds; negative means undefined) and n output tokens.
func rec(profile string, conc int, ttft, tpot float64, n int) record.Record {
	r := record.Record{Suite: "s", Profile: profile, Concurrency: conc, OutputTokens: record.I(n), OutputChunks: n}
	if ttft >= 0 {
		r.TTFT, r.TTFTText = record.F(ttft), record.F(ttft)
	}
	e2e := math.Max(ttft, 0)
	if tpot >= 0 {
		r.TPOT = record.F(tpot)
		e2e += tpot * float64(n-1)
		for range n - 1 {
			r.ITL = append(r.ITL, tpot)
		}
	}
	r.E2E = record.F(e2e)
	r.Total = e2e + 0.001
	return r
}

func failed(profile string, conc int, class record.ErrorClass) record.Record {
	return record.Record{Suite: "s", Profile: profile, Concurrency: conc, ErrorClass: class, Total: 1}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	type want struct {
		groups   []string // "profile/conc" in order
		n, ok    int
		errors   map[string]int
		excluded Excluded
		tpotN    int
		ttftP50  float64
		itlN     int
		window   float64
		source   string
		reqS     float64
		goodput  *Goodput
	}
	sec := func(ns int64) int64 { return ns * 1e9 }
	tests := []struct {
		name   string
		recs   []record.Record
		phases []record.Phase
		slo    SLO
		want   want
	}{
		{
			name: "exclusions by reason",
			recs: []record.Record{
				rec("a", 1, 0.1, 0.01, 10), rec("a", 1, 0.3, 0.01, 10), rec("a", 1, 0.2, -1, 1),
				failed("a", 1, record.ClassTimeout), failed("a", 1, record.ClassTimeout), failed("a", 1, record.ClassConnect),
			},
			phases: []record.Phase{{Index: 0, Suite: "s", Profile: "a", Concurrency: 1, StartUnixNs: sec(10), EndUnixNs: sec(14)}},
			want: want{
				groups: []string{"a/1"}, n: 6, ok: 3,
				errors:   map[string]int{"timeout": 2, "connect": 1},
				excluded: Excluded{Errored: 3, TPOTUndefined: 1},
				tpotN:    2, ttftP50: 0.2, itlN: 18, window: 4, source: "phases", reqS: 0.75,
			},
		},
		{
			name: "window from the records without phases",
			recs: func() []record.Record {
				a, b := rec("a", 1, 0.1, 0.01, 2), rec("a", 1, 0.3, 0.01, 2)
				a.StartUnixNs, a.EndUnixNs = sec(100), sec(101)
				b.StartUnixNs, b.EndUnixNs = sec(101), sec(102)
				return []record.Record{a, b}
			}(),
			want: want{groups: []string{"a/1"}, n: 2, ok: 2, errors: map[string]int{}, tpotN: 2, ttftP50: 0.2, itlN: 2,
				window: 2, source: "records", reqS: 1},
		},
		{
			name: "goodput counts every threshold, errors never meet it",
			recs: []record.Record{
				rec("a", 1, 0.1, 0.01, 10),    // meets
				rec("a", 1, 0.5, 0.01, 10),    // TTFT too slow
				rec("a", 1, 0.1, 0.09, 10),    // TPOT too slow
				rec("a", 1, 0.1, -1, 1),       // TPOT undefined: meets
				failed("a", 1, "http_status"), // never meets
			},
			phases: []record.Phase{{Suite: "s", Profile: "a", Concurrency: 1, StartUnixNs: sec(0), EndUnixNs: sec(4)}},
			slo:    SLO{TTFT: 200 * time.Millisecond, TPOT: 50 * time.Millisecond},
			want: want{groups: []string{"a/1"}, n: 5, ok: 4, errors: map[string]int{"http_status": 1},
				excluded: Excluded{Errored: 1, TPOTUndefined: 1}, tpotN: 3, ttftP50: 0.1, itlN: 27, window: 4, source: "phases", reqS: 1,
				goodput: &Goodput{Met: 2, Fraction: fp(0.4), PerS: fp(0.5)}},
		},
		{
			name: "groups follow the phase order of profiles, then concurrency",
			recs: []record.Record{rec("z", 2, 0.1, 0.01, 2), rec("b", 1, 0.1, 0.01, 2), rec("z", 1, 0.1, 0.01, 2), rec("b", 2, 0.1, 0.01, 2)},
			phases: []record.Phase{
				{Index: 0, Suite: "s", Profile: "z", Concurrency: 1}, {Index: 1, Suite: "s", Profile: "b", Concurrency: 1},
			},
			want: want{groups: []string{"z/1", "z/2", "b/1", "b/2"}, n: 1, ok: 1, errors: map[string]int{}, tpotN: 1, ttftP50: 0.1, itlN: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := Summarize(tc.recs, tc.phases, tc.slo)
			var order []string
			for _, g := range s.Groups {
				order = append(order, g.Profile+"/"+itoa(g.Concurrency))
			}
			if d := cmp.Diff(tc.want.groups, order); d != "" {
				t.Fatalf("group order (-want +got):\n%s", d)
			}
			g := s.Groups[0]
			if g.N != tc.want.n || g.OK != tc.want.ok {
				t.Errorf("n, ok = %d, %d; want %d, %d", g.N, g.OK, tc.want.n, tc.want.ok)
			}
			if d := cmp.Diff(tc.want.errors, g.Errors); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
			if g.Excluded != tc.want.excluded {
				t.Errorf("excluded = %+v, want %+v", g.Excluded, tc.want.excluded)
			}
			if g.TPOT.N != tc.want.tpotN || g.ITL.N != tc.want.itlN {
				t.Errorf("TPOT n = %d, ITL n = %d; want %d, %d", g.TPOT.N, g.ITL.N, tc.want.tpotN, tc.want.itlN)
			}
			if got := val(g.TTFT.P50.Value); math.Abs(got-tc.want.ttftP50) > 1e-12 {
				t.Errorf("TTFT p50 = %v, want %v", got, tc.want.ttftP50)
			}
			if g.WindowSource != tc.want.source || math.Abs(g.WindowS-tc.want.window) > 1e-9 {
				t.Errorf("window = %v (%q), want %v (%q)", g.WindowS, g.WindowSource, tc.want.window, tc.want.source)
			}
			if tc.want.reqS > 0 && math.Abs(val(g.RequestsS)-tc.want.reqS) > 1e-9 {
				t.Errorf("requests/s = %v, want %v", val(g.RequestsS), tc.want.reqS)
			}
			if d := cmp.Diff(tc.want.goodput, g.Goodput); d != "" {
				t.Errorf("goodput (-want +got):\n%s", d)
			}
		})
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// TestSummarizeQuantilesAndCIs checks the quantile definition and the
// interval on a sample whose answers are known: 1..100 has type-7 p50 50.5
// and p90 90.1, and a 95% distribution-free interval for the median of
// n = 100 is [x(40), x(60)]: with K ~ Binomial(100, 0.5) observations below
// the median, P(40 ≤ K ≤ 59) = 0.9716 − 0.0176 = 0.954 ≥ 0.95.
func TestSummarizeQuantilesAndCIs(t *testing.T) {
	t.Parallel()
	var recs []record.Record
	for i := 1; i <= 100; i++ {
		recs = append(recs, rec("a", 1, float64(i), -1, 1))
	}
	d := Summarize(recs, nil, SLO{}).Groups[0].TTFT
	check := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil || math.Abs(*got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, val(got), want)
		}
	}
	check("mean", d.Mean, 50.5)
	check("p50", d.P50.Value, 50.5)
	check("p90", d.P90.Value, 90.1)
	check("p50 CI lo", d.P50.Lo, 40)
	check("p50 CI hi", d.P50.Hi, 60)
	if d.P99.Lo != nil {
		t.Errorf("p99 of 100 observations has a 95%% CI %v–%v; the interval needs an order statistic beyond the sample", val(d.P99.Lo), val(d.P99.Hi))
	}
}

// TestSummaryJSONHasNoNaN checks that undefined quantities encode as null.
func TestSummaryJSONHasNoNaN(t *testing.T) {
	t.Parallel()
	s := Summarize([]record.Record{failed("a", 1, "timeout"), rec("b", 1, -1, -1, 1)}, nil, SLO{E2E: time.Second})
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("summary with empty metrics does not encode: %v", err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Groups[0].TTFT.Mean != nil || back.Groups[0].Goodput.Met != 0 {
		t.Errorf("an all-errored group should have no TTFT mean and no goodput: %+v", back.Groups[0])
	}
}
