package verdict

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hypobench/hypobench/record"
)

// ErrClientLimited is the warning of a verdict on a run the client limited
// (record.RunConfig.ClientLimited): the load offered was not the load
// planned, so the data cannot decide the claim either way.
var ErrClientLimited = errors.New("the run was client-limited")

// ApplyRunLimits makes v inconclusive, with ErrClientLimited and the
// reasons as a warning, when the run it was reached on — v.RunDir, or dir
// when v has none — is marked client-limited in its config.json. A run
// directory without a readable config.json is left as it is. Append and
// verdicttest.Report call it, so no verdict on such a run passes or fails.
func ApplyRunLimits(dir string, v *Verdict) {
	for _, d := range []string{v.RunDir, dir} {
		if d == "" {
			continue
		}
		rc, err := record.ReadConfig(filepath.Join(d, record.ConfigFile))
		if err != nil {
			continue
		}
		if !rc.ClientLimited {
			return
		}
		if v.Outcome != Inconclusive {
			v.Outcome = Inconclusive
		}
		for _, w := range v.Warnings {
			if errors.Is(w, ErrClientLimited) || strings.HasPrefix(w.Error(), ErrClientLimited.Error()) {
				return
			}
		}
		v.Warnings = append(v.Warnings, fmt.Errorf("%w: %s", ErrClientLimited, strings.Join(rc.ClientLimitedReasons, "; ")))
		return
	}
}
