package hypotheses

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/hypobench/hypobench/workload"
)

// Size selects a design's size.
type Size int

// Sizes.
const (
	Default Size = iota // CI-sized: same verdict in every run on a loaded 2-core box
	Full                // `make bench`: more levels and repetitions
)

// BaseText is the prompt's repeated text; one repetition costs about one
// token on BPE tokenizers (at most three on character-level ones), so 1000
// repetitions plus 512 output tokens fit a 4096-token context.
const BaseText = "hi "

func ladder(name string, reps, maxTokens []int) []workload.Profile {
	var ps []workload.Profile
	for _, r := range reps {
		for _, m := range maxTokens {
			ps = append(ps, workload.Profile{Name: fmt.Sprintf("%s_p%d_o%d", name, r, m), PromptRep: r, MaxTokens: m})
		}
	}
	return ps
}

// DesignRounds is the number of rounds of the H1–H3 designs: each round
// runs every level once (the levels in a random order per round, the
// requests of a level interleaved at random), and the round is the
// analyses' independent unit. Warm-up requests precede the first round
// and are not recorded.
const DesignRounds = 3

// H3Rounds is H3Design's number of rounds: more than DesignRounds because
// at high concurrency TTFT is a mixture (a request that arrives just
// before a long prefill step waits for it, one that arrives after does
// not), so a round's median moves more than at concurrency 1.
const H3Rounds = 6

// H1Design is a prompt-length ladder at concurrency 1 with one output
// token: 5 prompt lengths (40 to 1000 repetitions, the seed's range) × 4
// repetitions × 3 rounds (Full: 8 lengths × 5 × 4 rounds), interleaved in
// seeded random order within each round.
//
// ladder, when not empty, replaces the prompt repetition levels
// (HYPOBENCH_PROMPT_LADDER): a small CPU engine cannot afford 3000-token
// prompts at every rung.
func H1Design(size Size, requests int, ladderReps []int) *workload.Suite {
	reps, n, rounds := []int{40, 250, 500, 750, 1000}, 4, DesignRounds
	if size == Full {
		reps, n, rounds = []int{40, 100, 200, 300, 400, 600, 800, 1000}, 5, 4
	}
	if len(ladderReps) > 0 {
		reps = ladderReps
	}
	if requests > 0 {
		n = requests
	}
	return &workload.Suite{
		Name: "h1-prompt-ladder", BaseText: BaseText, Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles: ladder("h1", reps, []int{1}), Concurrency: []int{1}, Requests: n, Order: workload.Ordered, Mix: true, Seed: 101,
		Rounds: rounds, Warmup: 2,
	}
}

// H2PromptRep is the prompt of H2's output ladder, 10 repetitions: short,
// so that a one-token request — token-cost's reference — is mostly the
// server's fixed cost and not a prefill. On a CPU engine prefill is
// compute-bound and slow (Ollama's tiny e2e model: ~0.5 ms per prompt
// token, TPOT ~4.7 ms), and the seed's 40 repetitions (~130 tokens there)
// would make a one-token request cost 14 TPOTs.
const H2PromptRep = 10

// H2Design is an output-length ladder at concurrency 1 with short prompts:
// max_tokens 1, 8, 64, 256, 512 × 2 repetitions × 3 rounds (Full: 3 × 4
// rounds), interleaved within each round.
// max_tokens 1 is there on purpose: its TPOT is undefined and must be
// excluded and counted (the seed's measurement trap).
//
// outs, when not empty, replaces the max_tokens levels
// (HYPOBENCH_OUTPUT_LADDER).
func H2Design(size Size, requests int, outs []int) *workload.Suite {
	n, rounds := 2, DesignRounds
	if size == Full {
		n, rounds = 3, 4
	}
	if len(outs) == 0 {
		outs = []int{1, 8, 64, 256, 512}
	}
	if requests > 0 {
		n = requests
	}
	return &workload.Suite{
		Name: "h2-output-ladder", BaseText: BaseText, Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles: ladder("h2", []int{H2PromptRep}, outs), Concurrency: []int{1}, Requests: n, Order: workload.Ordered, Mix: true, Seed: 102,
		Rounds: rounds, Warmup: 2,
	}
}

// ConcurrencyDesign is a concurrency ladder of a decode-heavy profile
// (short prompt, 128 output tokens) at c = 1, 2, 4, 8, 16 (Full: up to 32),
// at least 3 requests and 2 per worker at each level, in 3 rounds (Full:
// 4) whose level order is random. H2's batching check reads it.
func ConcurrencyDesign(size Size, requests int, levels []int) *workload.Suite {
	levels, n, rounds := concurrencyLadder(size, requests, levels, DesignRounds, 4)
	return &workload.Suite{
		Name: "concurrency-ladder", BaseText: BaseText, Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles: []workload.Profile{{Name: "short_long", PromptRep: 40, MaxTokens: 128}}, Concurrency: levels,
		Requests: n, MinPerWorker: 2, Order: workload.Ordered, Seed: 103, Rounds: rounds, Warmup: 2,
	}
}

// concurrencyLadder is the shared sizing of the concurrency-ladder
// designs: levels (default c = 1, 2, 4, 8, 16; Full: up to 32),
// requests per level (default 3) and rounds (the design's, or full's at
// the Full size).
func concurrencyLadder(size Size, requests int, levels []int, rounds, full int) ([]int, int, int) {
	if len(levels) == 0 {
		levels = []int{1, 2, 4, 8, 16}
		if size == Full {
			levels = append(levels, 32)
		}
	}
	n := 3
	if requests > 0 {
		n = requests
	}
	if size == Full {
		rounds = full
	}
	return levels, n, rounds
}

// H3Design is the seed's mixed profiles reduced to what H3 contrasts: a
// short prompt (40 repetitions) and a long one (1000), each with 128
// output tokens so that decode load builds up, interleaved at random
// within each level, at c = 1, 2, 4, 8, 16 (Full: up to 32), at least 3
// requests of each prompt and 3 per worker at each level (so that after
// the ramp the analysis leaves out, a steady state remains), in H3Rounds
// rounds (Full: 8) whose level order is random.
func H3Design(size Size, requests int, levels []int) *workload.Suite {
	levels, n, rounds := concurrencyLadder(size, requests, levels, H3Rounds, 8)
	return &workload.Suite{
		Name: "h3-mixed-ladder", BaseText: BaseText, Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles:    []workload.Profile{{Name: "short_long", PromptRep: 40, MaxTokens: 128}, {Name: "long_long", PromptRep: 1000, MaxTokens: 128}},
		Concurrency: levels, Requests: n, MinPerWorker: 3, Mix: true, Order: workload.Ordered, Seed: 105, Rounds: rounds, Warmup: 2,
	}
}

// H3Rates is RateDesign's default rate ladder, in requests per second of
// the default embedded engine's modelled GPU (rtx4090:qwen2.5-7b): from
// about 3 requests in flight to about 14 (predict with 5% jitter: mean
// in-flight counts at send 2.9, 3.9, 7.2 and 14.5), with headroom below
// the rate at which its queue grows: at 5 req/s (about 25 in flight) an
// engine that a loaded machine stalled for 3.5% of its time held 36
// requests in flight where the model holds 29, and at 3.5 req/s its
// first tokens' P wavered down to 0.49 with 4% lost.
var H3Rates = []float64{0.5, 1, 2, 3}

// RateDesignRounds is RateDesign's number of rounds (Full: H3Rounds).
const RateDesignRounds = 5

// RateDesign is H3Design on a rate ladder: the same short (40
// repetitions) and long (1000) prompts with 128 output tokens, drawn at
// random for each request, sent open-loop (Poisson arrivals) at each rate
// of rates (default H3Rates) in RateDesignRounds rounds (Full: H3Rounds):
// the rates are listed once per round, in a random order per round, and
// the analyses read the i-th phase at each rate as round i (ladderOf).
// Each phase lasts 24 s of the server's time (Full: 40 s), so a phase
// sends about 24 × its rate requests (12 at 0.5 req/s, 120 at 5) —
// capped at requests when requests > 0; its first requests, the ramp
// while the server fills, are left out by the analysis.
//
// rates and the phase length are in the server's time: for the embedded
// engine compressed ×speed the suite sends speed times the rates for
// 1/speed of the time (its phases' target_rate is per wall-clock second);
// speed ≤ 1 means a server in real time.
func RateDesign(size Size, requests int, rates []float64, speed float64) *workload.Suite {
	if len(rates) == 0 {
		rates = H3Rates
	}
	speed = max(speed, 1)
	d, rounds := 24.0, RateDesignRounds
	if size == Full {
		d, rounds = 40, H3Rounds
	}
	const seed = 106
	var ladder []float64
	for r := range rounds {
		order := slices.Clone(rates)
		rng := rand.New(rand.NewPCG(seed, 0x40000+uint64(r+1)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, x := range order {
			ladder = append(ladder, x*speed)
		}
	}
	return &workload.Suite{
		Name: "h3-rate-ladder", BaseText: BaseText, Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles: []workload.Profile{{Name: "short_long", PromptRep: 40, MaxTokens: 128}, {Name: "long_long", PromptRep: 1000, MaxTokens: 128}},
		Rates:    ladder, DurationS: d / speed, Requests: requests, Mix: true, Order: workload.Ordered, Seed: seed, Warmup: 2,
	}
}

// H4Design runs the seed's profiles in the seed's order so the phases can
// be told apart in a kernel trace, with outputs shortened to keep the trace
// small: 4 phases of 6 requests at concurrency 2 (Full: 12).
func H4Design(size Size) *workload.Suite {
	n := 6
	if size == Full {
		n = 12
	}
	return &workload.Suite{
		Name: "h4-phases", BaseText: BaseText, Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles: []workload.Profile{
			{Name: "short_short", PromptRep: 40, MaxTokens: 8},
			{Name: "short_long", PromptRep: 40, MaxTokens: 64},
			{Name: "long_short", PromptRep: 1000, MaxTokens: 8},
			{Name: "long_long", PromptRep: 1000, MaxTokens: 64},
		},
		Concurrency: []int{2}, Requests: n, Order: workload.Ordered, Seed: 104,
	}
}
