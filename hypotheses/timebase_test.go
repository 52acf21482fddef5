package hypotheses

import (
	"testing"

	"github.com/hypobench/hypobench/verdict"
)

// TestVerdictsSameInBothUnits analyses one embedded run of H1's design
// twice, on its records as measured (wall clock) and in simulated time
// (what the tests and reports use): the outcomes of the verdict and of
// every check are equal, and the simulated figures are the larger, by
// about the engine's speed.
func TestVerdictsSameInBothUnits(t *testing.T) {
	r := runDesign(t, "H1", H1Design(sess.size, sess.env.Requests, sess.promptLadder), nil)
	if r.time == "" {
		t.Skip("the target is not the embedded engine: its records have one time only")
	}
	o := opts()
	sim, wall := H1(r.recs, o), H1(r.wall, o)
	t.Logf("simulated: %s", verdict.Summary(sim))
	t.Logf("wall clock: %s", verdict.Summary(wall))
	if sim.Outcome != wall.Outcome || len(sim.Checks) != len(wall.Checks) {
		t.Fatalf("outcome %s in simulated time, %s in wall-clock time", sim.Outcome, wall.Outcome)
	}
	for i := range sim.Checks {
		if sim.Checks[i].Outcome != wall.Checks[i].Outcome {
			t.Errorf("check %q: %s in simulated time, %s in wall-clock time", sim.Checks[i].Name, sim.Checks[i].Outcome, wall.Checks[i].Outcome)
		}
	}
	if len(sim.Evidence) == 0 || !(sim.Evidence[0].Median > 2*wall.Evidence[0].Median) {
		t.Errorf("simulated median TTFT %v is not well above the wall-clock %v: the records were not converted", sim.Evidence, wall.Evidence)
	}
}
