package workload

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// MixedProfile names the phase of a mixed suite.
const MixedProfile = "mixed"

// PhasePlan is one phase of a run: one profile at one concurrency level, or
// for a mixed suite every profile in the order given by Mix.
type PhasePlan struct {
	Profile     Profile
	Concurrency int
	Requests    int
	// Mix, when set, holds the profile of each request (len Requests).
	Mix []Profile
	// Round is the phase's round, from 1, in a suite with Rounds; 0
	// otherwise.
	Round int
}

// ProfileOf returns the profile of the k-th request of the phase.
func (p PhasePlan) ProfileOf(k int) Profile {
	if p.Mix != nil {
		return p.Mix[k]
	}
	return p.Profile
}

// Plan expands the suite into its phases. Ordered suites run, for each
// concurrency level in the given order, the profiles in the suite's order;
// shuffled suites permute all phases with the suite's seed; mixed suites run
// one phase per level with the profiles' requests interleaved at random.
//
// A suite with Rounds runs that plan Rounds times; in each round the
// concurrency levels come in a random order drawn from the suite's seed
// and the round (the order within a level is as above), and every phase
// carries its round.
func (s *Suite) Plan() []PhasePlan {
	if s.Rounds <= 0 {
		return s.roundPlan(s.Concurrency, 0)
	}
	var ps []PhasePlan
	for r := 1; r <= s.Rounds; r++ {
		levels := slices.Clone(s.Concurrency)
		rng := rand.New(rand.NewPCG(s.Seed, 0x40000+uint64(r)))
		rng.Shuffle(len(levels), func(i, j int) { levels[i], levels[j] = levels[j], levels[i] })
		ps = append(ps, s.roundPlan(levels, r)...)
	}
	return ps
}

// roundPlan is one pass over the levels, in the given order; round 0 is
// the plan of a suite without rounds.
func (s *Suite) roundPlan(levels []int, round int) []PhasePlan {
	var ps []PhasePlan
	if s.Mix {
		rng := rand.New(rand.NewPCG(s.Seed, 0x313+uint64(round)<<20))
		for _, c := range levels {
			n := max(s.Requests, s.MinPerWorker*c)
			var mix []Profile
			for _, p := range s.Profiles {
				for range n {
					mix = append(mix, p)
				}
			}
			rng.Shuffle(len(mix), func(i, j int) { mix[i], mix[j] = mix[j], mix[i] })
			ps = append(ps, PhasePlan{Profile: Profile{Name: MixedProfile}, Concurrency: c, Requests: len(mix), Mix: mix, Round: round})
		}
		return ps
	}
	for _, c := range levels {
		for _, p := range s.Profiles {
			n := max(s.Requests, s.MinPerWorker*c)
			ps = append(ps, PhasePlan{Profile: p, Concurrency: c, Requests: n, Round: round})
		}
	}
	if s.Order == Shuffled {
		rng := rand.New(rand.NewPCG(s.Seed, 0x5eed+uint64(round)<<20))
		rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	}
	return ps
}

// Prompt builds the prompt for one request: the nonce (when the suite uses
// one) followed by the base text repeated p.PromptRep times.
func (s *Suite) Prompt(p Profile, nonce string) string {
	var b strings.Builder
	if s.Nonce && nonce != "" {
		b.WriteString(nonce)
		b.WriteByte(' ')
	}
	b.Grow(len(s.BaseText) * p.PromptRep)
	for range p.PromptRep {
		b.WriteString(s.BaseText)
	}
	return b.String()
}

// Nonce returns a short per-request token derived from the run's seed and the
// request's ordinal, so prompts are reproducible yet unique within a run.
func Nonce(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	return fmt.Sprintf("[%08x]", r.Uint32())
}
