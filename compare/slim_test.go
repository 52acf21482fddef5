package compare

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/record"
)

// TestLoadSlims checks that Load keeps every field of a record but the
// ones slim documents as dropped, and that the simulated-time view of a
// slimmed record equals the full record's on every figure a comparison
// reads.
func TestLoadSlims(t *testing.T) {
	recs := fakerun.Records(7, 20, 1, 0.2)
	for i := range recs {
		r := &recs[i]
		r.RunID, r.Suite, r.Endpoint, r.Model, r.FinishReason = "run-1", "tiny", "completions", "m", "length"
		r.ITL, r.SimITL = []float64{0.02, 0.03}, []float64{0.2, 0.3}
		r.ChunkTokens, r.ITLToken, r.Chunking = []int{1, 1, 1}, []float64{0.02, 0.03}, record.ChunkingReported
		r.SimTTFT, r.SimE2E = record.F(*r.TTFT*5), record.F(*r.E2E*5)
		r.Error, r.ServerRequestID = "", "srv-1"
		if i%5 == 0 {
			r.ErrorClass, r.Error = record.ClassTimeout, "deadline exceeded"
		}
	}
	dir := fakerun.WriteRun(t, filepath.Join(t.TempDir(), "run"), recs, "")
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	full, _, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]record.Record, len(full))
	for i, r := range full {
		r.ID, r.Error, r.ServerRequestID = "", "", ""
		r.ITL, r.SimITL, r.ITLToken, r.ChunkTokens = nil, nil, nil, nil
		want[i] = r
	}
	if d := cmp.Diff(want, s.Records); d != "" {
		t.Errorf("loaded records (-want +got):\n%s", d)
	}
	for i := range full {
		v, w := record.SimTime(s.Records[i], 10), record.SimTime(full[i], 10)
		v.ITL, w.ITL = nil, nil
		w.ID, w.Error, w.ServerRequestID, w.SimITL, w.ITLToken, w.ChunkTokens = "", "", "", nil, nil, nil
		if d := cmp.Diff(w, v); d != "" {
			t.Fatalf("record %d in simulated time (-full +slim):\n%s", i, d)
		}
	}
}
