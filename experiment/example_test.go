package experiment_test

import (
	"fmt"
	"math"

	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/record"
)

// A check decides on a result's groups, whatever produced them: here two
// arms of four rounds whose TTFTs are written out by hand. Per round, the
// medians' log ratio: 0.014815, 0.024942, 0.009950, 0.009852; mean
// 0.01489, sd 0.007091, t(0.95, 3) = 2.353, so the 90% interval is
// exp(0.01489 ± 0.00834) = [1.0066, 1.0235] — inside ±5%.
func ExampleRatio() {
	ttfts := map[string][][]float64{ // per round
		"chat":        {{0.101, 0.103}, {0.099, 0.104}, {0.102, 0.100}, {0.103, 0.101}},
		"completions": {{0.100, 0.101}, {0.098, 0.100}, {0.101, 0.099}, {0.100, 0.102}},
	}
	r := &experiment.Result{Name: "by-hand"}
	for _, label := range []string{"chat", "completions"} {
		g := experiment.Group{Label: label}
		for round, ys := range ttfts[label] {
			for _, y := range ys {
				g.Records = append(g.Records, record.Record{TTFT: record.F(y), Round: round + 1})
			}
		}
		r.Groups = append(r.Groups, g)
	}
	v := r.Verdict("equivalence", "chat is as fast as completions",
		experiment.Ratio(experiment.Median(experiment.TTFT), "chat", "completions").Within(0.05))
	fmt.Println(v.Outcome)
	fmt.Println(v.Sentence)
	// Output:
	// pass
	// ratio of median TTFT, chat over completions: 1.015×, 90% CI 1.007–1.024× over 4 rounds (claim: within 0.9524–1.05)
}

// RoundCheck decides from one estimate per round on the analysis scale:
// the same per-round log ratios as ExampleRatio, now claimed to exceed
// ×1.05. Their 90% interval, exp([0.00655, 0.02323]) = [1.0066, 1.0235],
// lies wholly below log 1.05 = 0.04879, so the claim fails; a fifth
// round without an estimate (NaN) is left out.
func ExampleRoundCheck() {
	ests := []float64{0.014815, 0.024942, 0.009950, 0.009852, experiment.LogRatio(0.1, 0)}
	c := experiment.RoundCheck(experiment.RoundSpec{Name: "slower", Claim: "chat's TTFT exceeds completions' by more than 5%",
		Test: "per-round log ratio of median TTFT", Unit: "×", Bound: math.Log(1.05), Greater: true, Show: math.Exp}, ests, experiment.DefaultOptions)
	fmt.Println(c.Outcome, c.Sample)
	fmt.Printf("%.4f [%.4f, %.4f]\n", float64(c.Effect), c.EffectCI.Lo, c.EffectCI.Hi)
	// Output:
	// fail 4 rounds
	// 1.0150 [1.0066, 1.0235]
}
