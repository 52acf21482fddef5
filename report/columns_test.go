package report

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/record"
)

// TestITLSpill checks the float32 path of a run with more ITL gaps than
// the budget: each quantile and CI bound within a relative 2⁻²⁴ of the
// exact path's, the mean within 1e-12, and the other metrics equal.
func TestITLSpill(t *testing.T) {
	recs, phases := genRun(3, 40)
	exact := summarize(tableOf(recs, phases), phases, SLO{})

	tb := newTable(phases)
	tb.itlBudget = 500 // the fixture has thousands of gaps
	for i := range recs {
		tb.add(&recs[i], &recs[i], 0)
	}
	if !tb.spilled {
		t.Fatalf("%d gaps did not spill past a budget of %d", tb.gaps, tb.itlBudget)
	}
	spilled := summarize(tb, phases, SLO{})
	if len(spilled.Groups) != len(exact.Groups) {
		t.Fatalf("%d groups, want %d", len(spilled.Groups), len(exact.Groups))
	}
	near := func(what string, got, want *float64, tol float64) {
		t.Helper()
		if (got == nil) != (want == nil) {
			t.Errorf("%s: got %v, want %v", what, got, want)
			return
		}
		if got != nil && math.Abs(*got-*want) > tol*math.Abs(*want) {
			t.Errorf("%s: got %.17g, want %.17g (relative tolerance %g)", what, *got, *want, tol)
		}
	}
	const f32 = 1.0 / (1 << 24)
	differs := false
	for i, g := range spilled.Groups {
		e := exact.Groups[i]
		if g.ITL.N != e.ITL.N || g.ITL.N == 0 {
			t.Fatalf("group %d: ITL n %d, want %d (> 0)", i, g.ITL.N, e.ITL.N)
		}
		near("mean", g.ITL.Mean, e.ITL.Mean, 1e-12)
		for _, q := range [][2]Quantile{{g.ITL.P10, e.ITL.P10}, {g.ITL.P50, e.ITL.P50}, {g.ITL.P90, e.ITL.P90}, {g.ITL.P99, e.ITL.P99}} {
			near("quantile", q[0].Value, q[1].Value, f32)
			near("ci_lo", q[0].Lo, q[1].Lo, f32)
			near("ci_hi", q[0].Hi, q[1].Hi, f32)
		}
		differs = differs || *g.ITL.P50.Value != *e.ITL.P50.Value
		g.ITL, e.ITL = Dist{}, Dist{}
		if g.TTFT.P50.Value == nil || *g.TTFT.P50.Value != *e.TTFT.P50.Value || g.N != e.N || g.OK != e.OK {
			t.Errorf("group %d: metrics other than ITL changed", i)
		}
	}
	// Negative control: the float32 copies differ from the exact gaps, so
	// the tolerance above is what holds them together.
	if !differs {
		t.Error("every spilled median equals the exact one bit for bit: the float32 path was not taken")
	}
}

// TestReadTableFields checks that readTable, which decodes only
// rowFields (and simFields), builds the table the whole records build:
// on records with every field a report reads set somewhere (open-loop
// fields, token mismatches, unplottable durations, missing stamps), as
// measured and in simulated time. A field missing from rowFields leaves
// a row or a pool different here.
func TestReadTableFields(t *testing.T) {
	recs, phases := genRun(5, 6)
	for i := range recs {
		r := &recs[i]
		switch i % 5 {
		case 1:
			r.TokenMismatch = true
			r.Queue = 0.002
		case 2:
			r.TargetRate, r.IntendedUnixNs = 4, r.StartUnixNs-1000
			r.TTFTIntended, r.TotalIntended = record.F(0.5), record.F(1.5)
		case 3:
			r.SimTTFT, r.SimE2E = nil, nil // unstamped
		case 4:
			r.Total = -1 // not plottable
		}
	}
	path := filepath.Join(t.TempDir(), record.RequestsFile)
	fakerun.WriteJSONL(t, path, recs)
	for _, tb := range []record.TimeBase{{}, {Embedded: true, Simulated: true, Scale: fixtureSpeed}} {
		got, bad, err := readTable(path, phases, &tb)
		if err != nil || len(bad) > 0 {
			t.Fatal(err, bad)
		}
		want := newTable(phases)
		scale := tb.Scale
		for i := range recs {
			w := recs[i]
			v := w
			if tb.Simulated {
				v = record.SimTime(w, tb.Scale)
			}
			want.add(&w, &v, scale)
		}
		opts := cmp.Options{cmp.AllowUnexported(table{}, row{}, sum{}, chunks32{}), cmpopts.EquateNaNs()}
		if d := cmp.Diff(want, got, opts); d != "" {
			t.Errorf("simulated %v: the table of the selected fields differs from the whole records' (-want +got):\n%s", tb.Simulated, d)
		}
	}
}

// TestRowHasNoPointers checks that a row holds no pointer (string,
// slice, map, pointer), so that a run's million rows are never scanned by
// the garbage collector, and that it stays at 176 bytes.
func TestRowHasNoPointers(t *testing.T) {
	rt := reflect.TypeFor[row]()
	for i := range rt.NumField() {
		switch k := rt.Field(i).Type.Kind(); k {
		case reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Uint32, reflect.Float64:
		default:
			t.Errorf("row.%s is a %s: rows must hold no pointers", rt.Field(i).Name, k)
		}
	}
	if s := rt.Size(); s > 176 {
		t.Errorf("a row is %d bytes, want at most 176", s)
	}
}
