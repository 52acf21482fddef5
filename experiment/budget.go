package experiment

import (
	"context"

	"github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/workload"
)

// PilotsDir is the directory, inside the session's, that holds the pilot
// run of every design sized to a budget: <session dir>/pilots/<run name>.
// Pilots are runs like any other (their records are kept), apart from the
// designs' directories so that nothing reading a design's directory
// mistakes a pilot for one of its runs.
const PilotsDir = "pilots"

// BudgetSizer returns a Sizer for budget b (run.SizeTo): before each run
// it runs the suite's pilot into <session dir>/pilots/<run name>, sizes the
// suite to b — fewer repetitions, rounds (never below b.MinRounds, 3) or
// inner levels — and says what it chose and what power that leaves, or
// refuses the run with the budget it would need. The pilot's progress and
// the sizing's sentence go to the session's Progress.
//
// A session whose Env.Budget is set (HYPOBENCH_BUDGET=5m) and whose Sizer
// is nil uses BudgetSizer(run.Budget{Total: Env.Budget}). The budget is
// per run: a design of several runs (an A/B across targets, a rate ladder
// in rounds) gets it for each.
func (s *Session) BudgetSizer(b run.Budget) Sizer {
	return func(ctx context.Context, t *run.Target, name string, suite *workload.Suite) (string, error) {
		dir := func(name string) (string, error) {
			d, err := s.Dir()
			if err != nil {
				return "", err
			}
			return joinName(d, PilotsDir+"/"+name)
		}
		return run.SizeTo(b, dir, s.Progress)(ctx, t, name, suite)
	}
}

// sizer is the session's Sizer, or the budget's when HYPOBENCH_BUDGET set
// one and no Sizer was given.
func (s *Session) sizer() Sizer {
	if s.Sizer == nil && s.Env.Budget > 0 {
		return s.BudgetSizer(run.Budget{Total: s.Env.Budget})
	}
	return s.Sizer
}
