package verdict

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/hypobench/hypobench/record"
)

// ErrClientLimited is the warning of a verdict made inconclusive because
// the run's client, not the server, may have limited the measurement
// (record.RunConfig.ClientLimited).
var ErrClientLimited = errors.New("the client limited this run's measurements")

// ErrEngineStalled is the warning of a verdict made inconclusive because
// the in-process engine lost more of the run's virtual time to host
// stalls than the self-check allows (record.ReasonEngineStall): its
// timings are the loaded machine's, not the model's.
var ErrEngineStalled = errors.New("the in-process engine's timings were distorted by host stalls")

// ForRun returns v as it stands on the run rc describes: when the
// self-check flagged the run (the client limited it, or the in-process
// engine's timings were distorted by host stalls), inconclusive whatever
// the data said, with one warning per reason (wrapping ErrClientLimited,
// or ErrEngineStalled for record.ReasonEngineStall) and the outcome it
// would have had as an info line. A pass is never reported on data the
// machine distorted. Otherwise v is returned unchanged.
func ForRun(v Verdict, rc *record.RunConfig) Verdict {
	rs := rc.ClientLimited()
	if len(rs) == 0 || slices.ContainsFunc(v.Warnings, func(e error) bool {
		return errors.Is(e, ErrClientLimited) || errors.Is(e, ErrEngineStalled)
	}) {
		return v
	}
	if v.Outcome != Inconclusive {
		v.Info = append(slices.Clip(v.Info), fmt.Sprintf("the data alone gave %s; the self-check makes it inconclusive", v.Outcome))
	}
	v.Outcome = Inconclusive
	v.Warnings = slices.Clip(v.Warnings)
	for _, r := range rs {
		sentinel := ErrClientLimited
		if r.Code == record.ReasonEngineStall {
			sentinel = ErrEngineStalled
		}
		v.Warnings = append(v.Warnings, fmt.Errorf("%w (%s): %s", sentinel, r.Code, r.Detail))
	}
	return v
}

// ForRunDir is ForRun with the run's config.json read from the run the
// verdict is about: v.RunDir (relative to dir when not absolute; a
// hypothesis session keeps one run directory per design below its own),
// else dir. A run without a config.json (a verdict on data from elsewhere)
// leaves v unchanged. An unreadable config.json is an error: the check
// cannot be skipped silently.
func ForRunDir(dir string, v Verdict) (Verdict, error) {
	run := dir
	if v.RunDir != "" {
		run = v.RunDir
		if !filepath.IsAbs(run) {
			run = filepath.Join(dir, run)
		}
	}
	rc, err := record.ReadConfig(filepath.Join(run, record.ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return v, nil
	}
	if err != nil {
		return v, fmt.Errorf("reading the run's client check: %w", err)
	}
	return ForRun(v, rc), nil
}
