package compare

// Runs compares two loaded runs: Compare on their records, with the
// sources attached and, first among the warnings, every difference in
// machine or target identity (IdentityWarnings) and every loading problem.
func Runs(base, cand *Source, opts Options) Report {
	rep := Compare(base.Records, cand.Records, opts)
	rep.Base, rep.New = base, cand
	var w []string
	w = append(w, IdentityWarnings(base.Config, cand.Config)...)
	for _, s := range base.Warnings {
		w = append(w, "baseline: "+s)
	}
	for _, s := range cand.Warnings {
		w = append(w, "new: "+s)
	}
	rep.Warnings = append(w, rep.Warnings...)
	return rep
}
