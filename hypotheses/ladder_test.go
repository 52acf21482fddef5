package hypotheses

import (
	"fmt"
	"testing"

	"github.com/hypobench/hypobench/record"
)

// TestLadderOfRateLadder: open-loop records are read on their target
// rates, the i-th phase at a rate is round i, closed-loop records beside
// them are left out, a prediction's in-flight counts are counted from the
// records' instants, and a closed loop's records come back unchanged.
func TestLadderOfRateLadder(t *testing.T) {
	t.Parallel()
	const s = int64(1e9)
	var recs []record.Record
	// Phases 0..3 at rates 2, 1, 1, 2 (two rounds); each has three
	// requests, 1 s apart, each lasting 1.5 s: in flight at send 1, 2, 2.
	for ph, rate := range []float64{2, 1, 1, 2} {
		base := int64(ph) * 10 * s
		for k := range 3 {
			start := base + int64(k)*s
			recs = append(recs, record.Record{ID: fmt.Sprint(ph, k), Phase: ph, Seq: k, TargetRate: rate, StartUnixNs: start, EndUnixNs: start + 3*s/2})
		}
	}
	recs = append(recs, record.Record{ID: "closed", Concurrency: 4, Phase: 9})
	lad, got, info := ladderOf(recs)
	if !lad.open || fmt.Sprint(lad.rates) != "[1 2]" || len(got) != 12 || len(info) != 1 {
		t.Fatalf("ladder %+v, %d records, info %v", lad, len(got), info)
	}
	for _, r := range got {
		wantRound := map[int]int{0: 1, 1: 1, 2: 2, 3: 2}[r.Phase]
		wantConc := map[int]int{0: 1, 1: 2, 2: 2}[r.Seq]
		if r.Round != wantRound || r.Concurrency != wantConc {
			t.Errorf("record %s: round %d concurrency %d, want %d and %d", r.ID, r.Round, r.Concurrency, wantRound, wantConc)
		}
		if k := lad.key(&r); lad.rates[k] != r.TargetRate {
			t.Errorf("record %s: level %d is rate %g, not its %g", r.ID, k, lad.rates[k], r.TargetRate)
		}
	}
	// The ramp: each phase's median in-flight count is 2, so its first
	// two requests go.
	if st := lad.steady(got); len(st) != 4 {
		t.Errorf("steady records %d, want 4 (one per phase)", len(st))
	}
	if lad.name(1) != "2 req/s" || lad.load(got[:3]) != 5.0/3 {
		t.Errorf("name %q, load %g", lad.name(1), lad.load(got[:3]))
	}
	closed := []record.Record{{Concurrency: 4, Round: 2, Seq: 5}}
	if lad, got, info := ladderOf(closed); lad.open || &got[0] != &closed[0] || info != nil || lad.name(4) != "c=4" {
		t.Errorf("closed loop: %+v %v %v", lad, got, info)
	}
}
