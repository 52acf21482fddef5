package verdicttest

import (
	"fmt"
	"os"
	"testing"

	"github.com/hypobench/hypobench/verdict"
)

// AcceptInconclusiveEnv names the variable that, set to 1, lets an
// inconclusive verdict pass a test (it is still reported).
const AcceptInconclusiveEnv = "HYPOBENCH_ACCEPT_INCONCLUSIVE"

// Record writes v to dir (when dir is not empty) and logs it with every
// check, info line and warning, without judging it: negative controls and
// findings reported as found use it directly.
func Record(t testing.TB, dir string, v verdict.Verdict) {
	t.Helper()
	if dir != "" {
		if err := verdict.Append(dir, v); err != nil {
			t.Errorf("writing verdict: %v", err)
		}
	}
	t.Log(verdict.Summary(v))
	for _, c := range v.Checks {
		t.Logf("  %-12s %-12s %s: %s = %s, p %s, effect %s %s CI %s, n %d %s", c.Name, c.Outcome, c.Claim, c.Test,
			verdict.Num(c.Statistic), verdict.PString(c.P), verdict.Num(c.Effect), c.Unit, verdict.CIString(c.EffectCI.Lo, c.EffectCI.Hi, c.EffectCI.Level), c.N, c.Detail)
	}
	for _, s := range v.Info {
		t.Logf("  info: %s", s)
	}
	for _, s := range v.Warnings {
		t.Logf("  warning: %s", s)
	}
}

// Report records v (see Record) and fails t on fail — and on inconclusive
// unless HYPOBENCH_ACCEPT_INCONCLUSIVE=1, with a message saying how many
// more requests would likely decide it.
func Report(t testing.TB, dir string, v verdict.Verdict) {
	t.Helper()
	verdict.ApplyRunLimits(dir, &v) // a client-limited run decides nothing
	Record(t, dir, v)
	switch v.Outcome {
	case verdict.Fail:
		t.Errorf("%s failed: the data contradict the claim", v.ID)
	case verdict.Inconclusive:
		msg := fmt.Sprintf("%s inconclusive", v.ID)
		if v.NeededN > 0 {
			msg += fmt.Sprintf(": about %d requests per level would likely decide it (HYPOBENCH_REQUESTS)", v.NeededN)
		}
		if os.Getenv(AcceptInconclusiveEnv) == "1" {
			t.Logf("%s; accepted because %s=1", msg, AcceptInconclusiveEnv)
			return
		}
		t.Errorf("%s; set %s=1 to accept", msg, AcceptInconclusiveEnv)
	}
}
