package compare

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
)

// stamped turns fakerun's records into what an embedded engine at speed
// would have given for the same simulated timeline: the stamps carry the
// server's simulated time (fakerun's figures), the wall clock that time
// divided by speed plus the client's own 0.3 ms.
func stamped(recs []record.Record, speed float64) []record.Record {
	const overhead = 0.0003
	out := make([]record.Record, len(recs))
	for i, r := range recs {
		r.SimTTFT, r.SimTTFTText, r.SimE2E = record.F(*r.TTFT), record.F(*r.TTFT), record.F(*r.E2E)
		r.SimITL = nil
		r.TTFT, r.TTFTText = record.F(*r.TTFT/speed+overhead), record.F(*r.TTFT/speed+overhead)
		r.E2E, r.Total = record.F(*r.E2E/speed+overhead), *r.E2E/speed+overhead+0.0001
		r.TPOT = record.F((*r.E2E - *r.TTFT) / float64(r.N()-1))
		r.ITL = nil
		out[i] = r
	}
	return out
}

func embeddedConfig(speed float64) *record.RunConfig {
	eng, _ := json.Marshal(map[string]any{"gpu": map[string]any{"name": "rtx4090"}, "model": map[string]any{"name": "qwen2.5-7b"}, "speed": speed})
	return &record.RunConfig{Meta: map[string]json.RawMessage{"target": json.RawMessage(`"embedded"`), "engine": eng}}
}

// TestRunsInSimulatedTime compares one simulated timeline run at speed 10
// and at speed 20: in simulated time they are the same server (pass); in
// wall-clock time the faster compression looks twice as fast, so the
// reverse comparison fails, as it should for figures that are not the
// GPU's.
func TestRunsInSimulatedTime(t *testing.T) {
	recs := fakerun.Records(3, 60, 1, 0.05)
	base := &Source{Path: "base", Config: embeddedConfig(20), Records: stamped(recs, 20)}
	cand := &Source{Path: "new", Config: embeddedConfig(10), Records: stamped(recs, 10)}
	rep := Runs(base, cand, Options{RunToRun: 0.001})
	if rep.Outcome != verdict.Pass || !strings.HasPrefix(rep.Time, "simulated time") {
		t.Errorf("same simulated timeline at speeds 20 and 10: %s in %q, want pass in simulated time", rep.Outcome, rep.Time)
	}
	wall := Runs(base, cand, Options{WallClock: true, RunToRun: 0.001})
	if wall.Outcome != verdict.Fail || wall.Time != "wall-clock time as measured" {
		t.Errorf("the same runs in wall-clock time: %s in %q, want fail (speed 10 is twice as slow)", wall.Outcome, wall.Time)
	}
	// One side without stamps: compared as measured, with a warning.
	plain := &Source{Path: "plain", Config: embeddedConfig(10), Records: recs}
	mixed := Runs(base, plain, Options{})
	if mixed.Time != "wall-clock time as measured" || !strings.Contains(strings.Join(mixed.Warnings, "\n"), "SIMULATED TIME UNAVAILABLE") {
		t.Errorf("stamped vs unstamped: time %q, warnings %q", mixed.Time, mixed.Warnings)
	}
}
