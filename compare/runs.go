package compare

import (
	"fmt"

	"github.com/hypobench/hypobench/record"
)

// Runs compares two loaded runs: Compare on their records, with the
// sources attached and, first among the warnings, every difference in
// machine or target identity (IdentityWarnings) and every loading problem.
//
// Two embedded engine runs (or predictions) are compared in simulated
// time, the modelled GPU's (record.TimeBase, record.SimTime), when every
// successful live record carries the engine's stamps: then neither side's
// client overhead is magnified by its speed, and runs at different speeds
// compare like for like. Otherwise, and with opts.WallClock, the records
// are compared as measured; Report.Time says which.
func Runs(base, cand *Source, opts Options) Report {
	br, nr, time, tw := display(base, cand, opts.WallClock)
	rep := Compare(br, nr, opts)
	rep.Base, rep.New, rep.Time = base, cand, time
	var w []string
	w = append(w, IdentityWarnings(base.Config, cand.Config)...)
	w = append(w, tw...)
	for _, s := range base.Warnings {
		w = append(w, "baseline: "+s)
	}
	for _, s := range cand.Warnings {
		w = append(w, "new: "+s)
	}
	rep.Warnings = append(w, rep.Warnings...)
	return rep
}

// display returns both sides' records in the time they are compared in,
// that time in words, and a warning when simulated time was wanted but
// could not be used.
func display(base, cand *Source, wallClock bool) (br, nr []record.Record, time string, warnings []string) {
	tb, tn := record.TimeBaseOf(base.Config, wallClock), record.TimeBaseOf(cand.Config, wallClock)
	if tb.Simulated && tn.Simulated {
		vb, vn := tb.View(base.Records), tn.View(cand.Records)
		if tb.Unstamped == 0 && tn.Unstamped == 0 {
			return vb, vn, fmt.Sprintf("simulated time (base %s; new %s)", tb.Banner(), tn.Banner()), nil
		}
		warnings = append(warnings, fmt.Sprintf("SIMULATED TIME UNAVAILABLE: %d baseline and %d new successful records lack the engine's stamps; compared in wall-clock time as measured", tb.Unstamped, tn.Unstamped))
	} else if tb.Simulated != tn.Simulated && (tb.Prediction || tn.Prediction) {
		warnings = append(warnings, "DIFFERENT TIME: one side is a prediction in simulated time, the other measured in wall-clock time")
	}
	return base.Records, cand.Records, "wall-clock time as measured", warnings
}
