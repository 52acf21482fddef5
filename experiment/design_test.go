package experiment

import (
	"errors"
	"slices"
	"testing"

	"github.com/hypobench/hypobench/engine"
)

func TestABPlan(t *testing.T) {
	t.Parallel()
	// Arms differing only in lengths share one run, interleaved.
	p, err := AB{Name: "lengths", A: Arm{Label: "long", Request: Request{PromptRep: 1000}}, B: Arm{Label: "short"}}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 || !p.Steps[0].Suite.Mix || p.Steps[0].Suite.Rounds != DefaultRounds {
		t.Fatalf("lengths A/B: %d steps, want one mixed run in %d rounds", len(p.Steps), DefaultRounds)
	}
	// A suite-level difference (the nonce) runs one run per arm and round.
	p, err = AB{Name: "prefix", Rounds: 6, A: Arm{Label: "shared", Request: Request{SharedPrompt: true}}, B: Arm{Label: "unique"}}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 12 {
		t.Fatalf("%d steps, want 2 × 6", len(p.Steps))
	}
	seeds := map[uint64]bool{}
	var firsts []string
	for i, st := range p.Steps {
		if st.Round != i/2+1 {
			t.Errorf("step %d in round %d", i, st.Round)
		}
		if seeds[st.Suite.Seed] {
			t.Errorf("step %s repeats a seed: its nonces would hit the prefix cache", st.Name)
		}
		seeds[st.Suite.Seed] = true
		if i%2 == 0 {
			firsts = append(firsts, st.Suite.Profiles[0].Name)
		}
		if st.Suite.Nonce == (st.Suite.Profiles[0].Name == "shared") {
			t.Errorf("step %s: nonce %v", st.Name, st.Suite.Nonce)
		}
	}
	if !slices.Contains(firsts, "shared") || !slices.Contains(firsts, "unique") {
		t.Errorf("arm order per round %v: never randomised", firsts)
	}
	// Two targets run separately too.
	off := engine.DefaultConfig
	off.NoPrefixCaching = true
	if p, _ = (AB{Name: "targets", A: Arm{Label: "on"}, B: Arm{Label: "off", Target: Embedded(off)}}).Plan(); len(p.Steps) != 2*DefaultRounds {
		t.Errorf("two targets: %d steps", len(p.Steps))
	}
}

func TestLadderPlan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		over  Param
		steps int
	}{{PromptRep, 1}, {MaxTokens, 1}, {Concurrency, 1}, {Rate, DefaultRounds}} {
		p, err := Ladder{Name: "l", Over: tc.over, Levels: []float64{1, 2, 4}}.Plan()
		if err != nil || len(p.Steps) != tc.steps || len(p.Groups) != 3 {
			t.Errorf("%s ladder: %v, %d steps, %d groups", tc.over, err, len(p.Steps), len(p.Groups))
		}
	}
	p, _ := Ladder{Name: "l", Over: Rate, Levels: []float64{1, 2, 4, 8}, Rounds: 5}.Plan()
	orders := map[[4]float64]bool{}
	for _, st := range p.Steps {
		if err := st.Suite.Validate(); err != nil {
			t.Fatal(err)
		}
		orders[[4]float64(st.Suite.Rates)] = true
	}
	if len(orders) < 2 {
		t.Errorf("rate order never changes between rounds")
	}
	for _, bad := range []Design{
		Ladder{Name: "l", Over: PromptRep, Levels: []float64{1}},
		Ladder{Name: "l", Over: PromptRep, Levels: []float64{1, 1}},
		Ladder{Name: "l", Over: MaxTokens, Levels: []float64{1, 2.5}},
		Ladder{Name: "l", Over: "temperature", Levels: []float64{1, 2}},
		Ladder{Name: "../x", Over: PromptRep, Levels: []float64{1, 2}},
		AB{Name: "ab", A: Arm{Label: "x"}, B: Arm{Label: "x"}},
		AB{Name: "ab", A: Arm{Label: "x/y"}, B: Arm{Label: "z"}},
		Suite{Name: "s"},
	} {
		if _, err := bad.Plan(); !errors.Is(err, ErrDesign) {
			t.Errorf("%+v: %v, want ErrDesign", bad, err)
		}
	}
}
