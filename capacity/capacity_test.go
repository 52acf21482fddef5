package capacity

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// synth builds a rate whose n requests meet the SLO with probability p
// (TTFT 0.1 s when good, 1 s when not), due 1/rate apart from 0.
func synth(rng *rand.Rand, rate float64, n int, p float64) ([]record.Record, record.Phase) {
	ph := record.Phase{Index: int(rate), Arrival: "constant", TargetRate: rate, OfferedRate: rate, AchievedRate: rate}
	recs := make([]record.Record, n)
	for i := range recs {
		t := 0.1
		if rng.Float64() >= p {
			t = 1
		}
		due := int64(float64(i) / rate * 1e9)
		recs[i] = record.Record{Phase: ph.Index, Seq: i, TTFT: record.F(t), TTFTIntended: record.F(t), IntendedUnixNs: due,
			StartUnixNs: due, EndUnixNs: due + int64(t*1e9), TPOT: record.F(0.01)}
	}
	return recs, ph
}

func TestCrossingInterpolates(t *testing.T) {
	rs := []Rate{{Target: 1}, {Target: 2}, {Target: 4}, {Target: 8}}
	cases := []struct {
		att  []float64
		want float64
		br   [2]float64
		err  error
	}{
		{[]float64{1, 0.95, 0.85, 0.2}, 3, [2]float64{2, 4}, nil}, // 2 + (0.95−0.9)/(0.95−0.85)·2
		{[]float64{1, 1, 1, 0.9}, 8, [2]float64{8, math.Inf(1)}, ErrAboveLadder},
		{[]float64{0.5, 0.4, 0.3, 0.2}, 1, [2]float64{0, 1}, ErrBelowLadder},
		{[]float64{1, 0.9, 0.8, 0.95}, 2 + 2*0.0/0.1, [2]float64{2, 4}, nil}, // first crossing counts
	}
	for _, tc := range cases {
		c, br, err := crossing(rs, tc.att, 0.9)
		if math.Abs(c-tc.want) > 1e-12 || br != tc.br || err != tc.err {
			t.Errorf("att %v: capacity %v bracket %v err %v, want %v %v %v", tc.att, c, br, err, tc.want, tc.br, tc.err)
		}
	}
}

// TestAnalyzeCoversTruth draws ladders whose true attainment falls
// linearly from 1 at 10 req/s to 0.6 at 30 req/s, so the true capacity
// for quantile 0.9 is 15 req/s, and checks the 95% interval covers it in
// about 95% of 200 draws (≥ 88%: the binomial 99.9% lower bound).
func TestAnalyzeCoversTruth(t *testing.T) {
	slo := SLO{TTFT: 500 * time.Millisecond, Quantile: 0.9}
	ladder := []float64{10, 20, 30}
	rng := rand.New(rand.NewPCG(1, 2))
	covered := 0
	const draws = 200
	for range draws {
		var rates []Rate
		for _, r := range ladder {
			recs, ph := synth(rng, r, 400, 1-0.02*(r-10))
			rates = append(rates, NewRate(ph, recs, slo))
		}
		res := Analyze(rng, rates, slo, 400, 0.95)
		if res.CI.Contains(15) {
			covered++
		}
		if res.Bracket != [2]float64{10, 20} && res.Bracket != [2]float64{20, 30} {
			t.Fatalf("bracket %v", res.Bracket)
		}
	}
	if covered < 176 {
		t.Errorf("95%% interval covered the true capacity in %d of %d draws", covered, draws)
	}
	t.Logf("coverage %d/%d", covered, draws)
}

func TestGoodAndRate(t *testing.T) {
	slo := SLO{TTFT: 200 * time.Millisecond, TPOT: 20 * time.Millisecond, Quantile: 0.9}
	cases := []struct {
		name string
		r    record.Record
		want bool
	}{
		{"meets", record.Record{TTFT: record.F(0.05), TTFTIntended: record.F(0.15), TPOT: record.F(0.01)}, true},
		{"queued past the bound", record.Record{TTFT: record.F(0.05), TTFTIntended: record.F(0.25), TPOT: record.F(0.01)}, false},
		{"prediction: no due, ttft counts", record.Record{TTFT: record.F(0.15), TPOT: record.F(0.01)}, true},
		{"slow tokens", record.Record{TTFT: record.F(0.05), TPOT: record.F(0.03)}, false},
		{"one token", record.Record{TTFT: record.F(0.05)}, true},
		{"failed", record.Record{TTFT: record.F(0.05), ErrorClass: record.ClassReset}, false},
		{"no first token", record.Record{}, false},
	}
	for _, tc := range cases {
		if got := slo.Good(&tc.r); got != tc.want {
			t.Errorf("%s: good %v, want %v", tc.name, got, tc.want)
		}
	}
	if err := (SLO{Quantile: 0.9}).Validate(); err == nil {
		t.Error("an SLO without bounds validated")
	}
	if err := (SLO{TTFT: time.Second, Quantile: 1.5}).Validate(); err == nil {
		t.Error("quantile 1.5 validated")
	}
	// 30 requests sent 0.1 s apart from t = 1 s: a queue that grows (TTFT
	// from due rising 50 ms per request) is saturation; a steady 0.1 s is
	// not. Throughput divides by the span to the last end.
	ph := record.Phase{TargetRate: 10, StartUnixNs: 1e9}
	mk := func(grow float64) []record.Record {
		var rs []record.Record
		for i := range 30 {
			s := int64(1e9 + float64(i+1)*0.1e9)
			tt := 0.1 + grow*float64(i)
			rs = append(rs, record.Record{Seq: i, TTFT: record.F(tt), TTFTIntended: record.F(tt), StartUnixNs: s, EndUnixNs: s + int64((tt+0.1)*1e9)})
		}
		return rs
	}
	if r := NewRate(ph, mk(0.05), slo); !r.Saturated {
		t.Errorf("growing queue not saturated: %+v", r)
	}
	r := NewRate(ph, mk(0), slo)
	if r.Saturated || math.Abs(r.SendRate-10) > 1e-9 || math.Abs(r.Throughput-30/3.2) > 1e-9 || r.Attainment != 1 || !r.Meets || r.Goodput != r.Throughput {
		t.Errorf("steady rate %+v", r)
	}
}

func TestIsotonic(t *testing.T) {
	cases := []struct{ ys, ws, want []float64 }{
		{[]float64{1, 0.9, 0.5}, []float64{1, 1, 1}, []float64{1, 0.9, 0.5}},
		{[]float64{1, 0.6, 0.8, 0.2}, []float64{1, 1, 1, 1}, []float64{1, 0.7, 0.7, 0.2}},
		{[]float64{0.6, 1, 0.2}, []float64{1, 3, 1}, []float64{0.9, 0.9, 0.2}},
	}
	for _, tc := range cases {
		got := isotonic(tc.ys, tc.ws)
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-12 {
				t.Errorf("isotonic(%v, %v) = %v, want %v", tc.ys, tc.ws, got, tc.want)
				break
			}
		}
	}
}

// TestBearing: run-wide reasons and reasons of phases at or below the
// bracket's failing rate bear on the estimate; a saturated phase's do not.
func TestBearing(t *testing.T) {
	t.Parallel()
	idx := func(i int) *int { return &i }
	phases := []record.Phase{
		{Index: 0, Arrival: "poisson", TargetRate: 10, OfferedRate: 10.2},
		{Index: 1, Arrival: "poisson", TargetRate: 20, OfferedRate: 19.6},
		{Index: 2, Arrival: "poisson", TargetRate: 30, OfferedRate: 30.9},
	}
	runWide := record.ClientReason{Code: record.ReasonSchedLag}
	below := record.ClientReason{Code: record.ReasonSendLag, Phase: idx(1)}
	above := record.ClientReason{Code: record.ReasonSendLag, Phase: idx(2)}
	all := []record.ClientReason{runWide, below, above}
	cases := []struct {
		name    string
		bracket [2]float64
		want    int
	}{
		{"knee between 20 and 30: phase 2 is the failing rate and bears", [2]float64{19.6, 30.9}, 3},
		{"knee between 10 and 20: phases 1 and 2 saturated", [2]float64{10.2, 19.6}, 2},
		{"knee below 10", [2]float64{0, 10.2}, 1},
		{"above the ladder: every phase bears", [2]float64{30.9, math.Inf(1)}, 3},
	}
	for _, tc := range cases {
		got := Result{Bracket: tc.bracket}.Bearing(all, phases)
		if len(got) != tc.want {
			t.Errorf("%s: %d reasons bear (%v), want %d", tc.name, len(got), got, tc.want)
		}
		if slices.ContainsFunc(got, func(r record.ClientReason) bool { return r.Phase != nil && *r.Phase == 2 }) && phases[2].OfferedRate > tc.bracket[1] {
			t.Errorf("%s: the saturated phase's reason bears: %v", tc.name, got)
		}
		if !slices.ContainsFunc(got, func(r record.ClientReason) bool { return r.Phase == nil }) {
			t.Errorf("%s: the run-wide reason was dropped", tc.name)
		}
	}
}

// TestInTimeOf: a sweep at speed 10 restates its capacity per simulated
// second (÷ 10); speed 1 and no engine add nothing.
func TestInTimeOf(t *testing.T) {
	t.Parallel()
	r := Result{Capacity: 20, CI: stats.CI{Lo: 18, Hi: 22, Level: 0.95}, Bracket: [2]float64{16, 24}}
	for _, s := range []float64{0, 1} {
		c := r
		c.InTimeOf(s)
		if c.Simulated != nil || c.Scale != 0 {
			t.Errorf("speed %v: %+v", s, c)
		}
	}
	r.InTimeOf(10)
	if r.Scale != 10 || r.Simulated == nil || r.Simulated.Capacity != 2 || r.Simulated.CI.Lo != 1.8 || r.Simulated.CI.Hi != 2.2 || r.Simulated.Bracket != [2]float64{1.6, 2.4} || r.Capacity != 20 {
		t.Errorf("speed 10: %+v %+v", r, r.Simulated)
	}
}
