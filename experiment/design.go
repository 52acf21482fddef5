package experiment

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// Defaults of a design's zero fields.
const (
	// DefaultRounds is the rounds of a design: each round runs every
	// level (arm) once, in its own random order, and is a check's
	// independent unit. MinRounds is the fewest a check decides on.
	DefaultRounds = 4
	// DefaultRequests is the requests per level (arm) per round.
	DefaultRequests = 4
	// DefaultWarmup is the unrecorded warm-up requests before each run.
	DefaultWarmup = 2
	// DefaultBaseText is the prompt's repeated text: one repetition costs
	// about one token on BPE tokenizers.
	DefaultBaseText = "hi "
)

// ErrDesign is wrapped by every error about an unusable design.
var ErrDesign = errors.New("invalid design")

// Request is the shape of the requests of one level or arm. Zero fields
// take the defaults documented beside them.
type Request struct {
	// Endpoint is "completions" (default) or "chat".
	Endpoint string
	// BaseText is the prompt's repeated text (DefaultBaseText).
	BaseText string
	// PromptRep repeats BaseText this many times (40).
	PromptRep int
	// MaxTokens caps the output (16); every request runs to it
	// (ignore_eos).
	MaxTokens int
	// Concurrency is the closed loop's workers (1).
	Concurrency int
	// SharedPrompt sends every request the same prompt — no per-request
	// nonce — so a server's prefix cache can serve all of it but the last
	// block; by default each prompt starts with a unique nonce and shares
	// nothing with the others.
	SharedPrompt bool
}

func (q Request) withDefaults() Request {
	if q.Endpoint == "" {
		q.Endpoint = "completions"
	}
	if q.BaseText == "" {
		q.BaseText = DefaultBaseText
	}
	if q.PromptRep == 0 {
		q.PromptRep = 40
	}
	if q.MaxTokens == 0 {
		q.MaxTokens = 16
	}
	if q.Concurrency == 0 {
		q.Concurrency = 1
	}
	return q
}

// sameSuite reports whether requests a and b can share one suite: they
// differ at most in prompt length and output length.
func (q Request) sameSuite(o Request) bool {
	return q.Endpoint == o.Endpoint && q.BaseText == o.BaseText && q.Concurrency == o.Concurrency && q.SharedPrompt == o.SharedPrompt
}

func (q Request) describe() string {
	s := fmt.Sprintf("%s, prompt %d × %q, max_tokens %d, concurrency %d", q.Endpoint, q.PromptRep, q.BaseText, q.MaxTokens, q.Concurrency)
	if q.SharedPrompt {
		s += ", one shared prompt (no nonce)"
	}
	return s
}

// suite is the base suite of requests shaped q.
func (q Request) suite(name string, seed uint64, requests, rounds, warmup int) *workload.Suite {
	return &workload.Suite{Name: name, BaseText: q.BaseText, Nonce: !q.SharedPrompt, Endpoint: q.Endpoint, IgnoreEOS: true,
		Concurrency: []int{q.Concurrency}, Requests: requests, MinPerWorker: 1, Order: workload.Ordered, Seed: seed,
		Rounds: rounds, Warmup: warmup}
}

// Param is the request parameter a Ladder varies.
type Param string

// Params a Ladder can vary.
const (
	PromptRep   Param = "prompt_rep"  // prompt length, in repetitions of the base text
	MaxTokens   Param = "max_tokens"  // output length
	Concurrency Param = "concurrency" // closed-loop workers
	// Rate makes the ladder open-loop: one phase per rate (requests per
	// wall-clock second as sent), Poisson arrivals; see
	// workload.Suite.Rates.
	Rate Param = "rate"
)

// Design is an experiment's workload: Plan turns it into the suites to
// run. Ladder and AB are the designs of this package; Suite wraps a
// workload.Suite of one's own.
type Design interface {
	Plan() (Plan, error)
}

// Plan is a design made concrete: the runs to execute, in order, and how
// their records fall into groups (a ladder's levels, an A/B's arms).
type Plan struct {
	// Name names the design: its directory in the session's run
	// directory and its memo key (a plain path element).
	Name string
	// Description says the design in words (the verdict's Design).
	Description string
	// Groups are the levels or arms, in order (a ladder's rising
	// levels; A then B).
	Groups []GroupSpec
	// Steps are the runs, executed in order.
	Steps []Step
}

// GroupSpec names one level or arm: Label ("prompt_rep 1000", "shared")
// and X, its level (the ladder's value; 0 and 1 for an A/B's arms).
type GroupSpec struct {
	Label string
	X     float64
}

// Step is one run of a plan.
type Step struct {
	// Name is the run's directory below the design's ("" for the
	// design's directory itself; "shared-r01").
	Name   string
	Suite  *workload.Suite
	Target Target
	// Round, when positive, is the round of every record of the run (a
	// design that runs one suite per round); 0 keeps the records' own
	// (a suite with Rounds).
	Round int
	// Group returns the index in Plan.Groups of a record, or -1 to leave
	// it out.
	Group func(r *record.Record) int
}

// Ladder varies one request parameter over Levels, every other field as
// in Request, in Rounds rounds. A closed-loop ladder is one run: each
// round runs every level, a prompt or output ladder with its levels'
// requests interleaved at random, a concurrency ladder with its levels in
// a random order. A rate ladder runs one open-loop run per round with the
// rates in a random order.
type Ladder struct {
	Name    string
	Request Request
	Over    Param
	// Levels are the parameter's values (at least 2; 3 for a trend).
	Levels []float64
	// Requests per level per round (DefaultRequests); a rate phase sends
	// at most this many, within DurationS.
	Requests int
	// DurationS bounds each rate phase, in wall-clock seconds (rate
	// ladders only; 0: Requests alone ends it).
	DurationS float64
	// Rounds (DefaultRounds), Warmup (DefaultWarmup; -1 for none) and
	// Seed (the order's and the nonces' seed) as their names say.
	Rounds int
	Warmup int
	Seed   uint64
	// Target is where the requests go (the session's when zero).
	Target Target
}

func sizes(requests, rounds, warmup int) (int, int, int) {
	if requests == 0 {
		requests = DefaultRequests
	}
	if rounds == 0 {
		rounds = DefaultRounds
	}
	switch {
	case warmup == 0:
		warmup = DefaultWarmup
	case warmup < 0:
		warmup = 0
	}
	return requests, rounds, warmup
}

func checkName(name string) error {
	if err := record.CheckName("design name", name); err != nil {
		return fmt.Errorf("%w: %w", ErrDesign, err)
	}
	return nil
}

// Plan implements Design.
func (l Ladder) Plan() (Plan, error) {
	if err := checkName(l.Name); err != nil {
		return Plan{}, err
	}
	if len(l.Levels) < 2 {
		return Plan{}, fmt.Errorf("%w: ladder %s: %d levels; at least 2 are needed", ErrDesign, l.Name, len(l.Levels))
	}
	q := l.Request.withDefaults()
	n, rounds, warm := sizes(l.Requests, l.Rounds, l.Warmup)
	p := Plan{Name: l.Name}
	seen := map[float64]bool{}
	for _, x := range l.Levels {
		if !(x > 0) || seen[x] {
			return Plan{}, fmt.Errorf("%w: ladder %s: level %v must be positive and listed once", ErrDesign, l.Name, x)
		}
		if l.Over != Rate && x != float64(int(x)) {
			return Plan{}, fmt.Errorf("%w: ladder %s: %s level %v must be a whole number", ErrDesign, l.Name, l.Over, x)
		}
		seen[x] = true
		p.Groups = append(p.Groups, GroupSpec{Label: levelLabel(l.Over, x), X: x})
	}
	byX := func(x float64) int {
		for i, g := range p.Groups {
			if g.X == x {
				return i
			}
		}
		return -1
	}
	switch l.Over {
	case PromptRep, MaxTokens:
		s := q.suite(l.Name, l.Seed, n, rounds, warm)
		s.Mix = true
		for i, x := range l.Levels {
			pr := workload.Profile{Name: fmt.Sprintf("level%02d", i), PromptRep: q.PromptRep, MaxTokens: q.MaxTokens}
			if l.Over == PromptRep {
				pr.PromptRep = int(x)
			} else {
				pr.MaxTokens = int(x)
			}
			s.Profiles = append(s.Profiles, pr)
		}
		p.Steps = []Step{{Suite: s, Target: l.Target, Group: byProfile(s)}}
		p.Description = fmt.Sprintf("%s ladder %v (%s), %d requests per level × %d rounds, levels interleaved at random within each round, %d warm-up requests",
			l.Over, l.Levels, q.describe(), n, rounds, warm)
	case Concurrency:
		s := q.suite(l.Name, l.Seed, n, rounds, warm)
		s.Profiles = []workload.Profile{{Name: "request", PromptRep: q.PromptRep, MaxTokens: q.MaxTokens}}
		s.Concurrency = nil
		for _, x := range l.Levels {
			s.Concurrency = append(s.Concurrency, int(x))
		}
		p.Steps = []Step{{Suite: s, Target: l.Target, Group: func(r *record.Record) int { return byX(float64(r.Concurrency)) }}}
		p.Description = fmt.Sprintf("concurrency ladder %v (%s), at least %d requests per level × %d rounds, levels in a random order per round, %d warm-up requests",
			l.Levels, q.describe(), n, rounds, warm)
	case Rate:
		for r := 1; r <= rounds; r++ {
			s := q.suite(l.Name, stepSeed(l.Seed, "rate", r), n, 0, warm)
			s.Concurrency = nil
			s.Profiles = []workload.Profile{{Name: "request", PromptRep: q.PromptRep, MaxTokens: q.MaxTokens}}
			s.Rates = append([]float64(nil), l.Levels...)
			shuffle(l.Seed, r, s.Rates)
			s.DurationS = l.DurationS
			p.Steps = append(p.Steps, Step{Name: fmt.Sprintf("r%02d", r), Suite: s, Target: l.Target, Round: r,
				Group: func(rec *record.Record) int { return byX(rec.TargetRate) }})
		}
		p.Description = fmt.Sprintf("open-loop rate ladder %v requests per wall-clock second, Poisson arrivals (%s apart from concurrency), at most %d requests per phase, one run per round × %d rounds with the rates in a random order, %d warm-up requests",
			l.Levels, q.describe(), n, rounds, warm)
	default:
		return Plan{}, fmt.Errorf("%w: ladder %s: unknown parameter %q (want %s, %s, %s or %s)", ErrDesign, l.Name, l.Over, PromptRep, MaxTokens, Concurrency, Rate)
	}
	return p, nil
}

func levelLabel(p Param, x float64) string {
	switch p {
	case Concurrency:
		return fmt.Sprintf("c=%g", x)
	case Rate:
		return fmt.Sprintf("%g req/s", x)
	}
	return fmt.Sprintf("%s %g", p, x)
}

// byProfile groups a mixed suite's records by their profile's index.
func byProfile(s *workload.Suite) func(*record.Record) int {
	idx := map[string]int{}
	for i, p := range s.Profiles {
		idx[p.Name] = i
	}
	return func(r *record.Record) int {
		if i, ok := idx[r.Profile]; ok {
			return i
		}
		return -1
	}
}

// stepSeed derives a run's seed from the design's, so that two runs of a
// design never send the same nonce (a repeated nonce'd prompt would be a
// prefix-cache hit).
func stepSeed(seed uint64, arm string, round int) uint64 {
	h := seed*0x9e3779b97f4a7c15 + uint64(round)<<32
	for _, c := range []byte(arm) {
		h = (h ^ uint64(c)) * 0x100000001b3
	}
	return h
}

// shuffle permutes xs with a generator drawn from the design's seed and
// the round.
func shuffle[T any](seed uint64, round int, xs []T) {
	rng := rand.New(rand.NewPCG(seed, 0xab0000+uint64(round)))
	rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
}

// Arm is one side of an A/B: a label, the shape of its requests and the
// target they go to (the session's when zero).
type Arm struct {
	Label   string
	Request Request
	Target  Target
}

// AB compares two arms — two request variants, or one request on two
// targets — in Rounds rounds. When both arms go to the same target and
// differ at most in prompt and output length, each round is one phase of
// their requests interleaved at random (one run with Rounds); otherwise
// each round runs the two arms one after the other, in a random order per
// round (one run per arm and round, each with its own warm-up).
type AB struct {
	Name string
	A, B Arm
	// Requests per arm per round (DefaultRequests); Rounds
	// (DefaultRounds), Warmup (DefaultWarmup; -1 for none) and Seed as in
	// Ladder.
	Requests int
	Rounds   int
	Warmup   int
	Seed     uint64
}

// Plan implements Design.
func (d AB) Plan() (Plan, error) {
	if err := checkName(d.Name); err != nil {
		return Plan{}, err
	}
	if d.A.Label == "" || d.B.Label == "" || d.A.Label == d.B.Label {
		return Plan{}, fmt.Errorf("%w: A/B %s: the arms need two different labels, got %q and %q", ErrDesign, d.Name, d.A.Label, d.B.Label)
	}
	for _, a := range []Arm{d.A, d.B} {
		if err := record.CheckName("arm label", a.Label); err != nil {
			return Plan{}, fmt.Errorf("%w: A/B %s: %w", ErrDesign, d.Name, err)
		}
	}
	a, b := d.A.Request.withDefaults(), d.B.Request.withDefaults()
	n, rounds, warm := sizes(d.Requests, d.Rounds, d.Warmup)
	p := Plan{Name: d.Name, Groups: []GroupSpec{{Label: d.A.Label, X: 0}, {Label: d.B.Label, X: 1}}}
	sameTarget := d.A.Target == d.B.Target && d.A.Target.Engine == nil
	if sameTarget && a.sameSuite(b) {
		s := a.suite(d.Name, d.Seed, n, rounds, warm)
		s.Mix = true
		s.Profiles = []workload.Profile{{Name: d.A.Label, PromptRep: a.PromptRep, MaxTokens: a.MaxTokens},
			{Name: d.B.Label, PromptRep: b.PromptRep, MaxTokens: b.MaxTokens}}
		p.Steps = []Step{{Suite: s, Target: d.A.Target, Group: byProfile(s)}}
		p.Description = fmt.Sprintf("A/B %s (%s) vs %s (%s): %d requests per arm × %d rounds, the arms' requests interleaved at random within each round, %d warm-up requests",
			d.A.Label, a.describe(), d.B.Label, b.describe(), n, rounds, warm)
		return p, nil
	}
	for r := 1; r <= rounds; r++ {
		arms := []int{0, 1}
		shuffle(d.Seed, r, arms)
		for _, i := range arms {
			arm, q := d.A, a
			if i == 1 {
				arm, q = d.B, b
			}
			s := q.suite(d.Name, stepSeed(d.Seed, arm.Label, r), n, 0, warm)
			s.Profiles = []workload.Profile{{Name: arm.Label, PromptRep: q.PromptRep, MaxTokens: q.MaxTokens}}
			g := i
			p.Steps = append(p.Steps, Step{Name: fmt.Sprintf("%s-r%02d", arm.Label, r), Suite: s, Target: arm.Target, Round: r,
				Group: func(*record.Record) int { return g }})
		}
	}
	where := ""
	if !sameTarget {
		where = fmt.Sprintf("; targets: %s on %s, %s on %s", d.A.Label, targetWords(d.A.Target), d.B.Label, targetWords(d.B.Target))
	}
	p.Description = fmt.Sprintf("A/B %s (%s) vs %s (%s): %d requests per arm × %d rounds, each round running the arms one after the other in a random order, %d warm-up requests per run%s",
		d.A.Label, a.describe(), d.B.Label, b.describe(), n, rounds, warm, where)
	return p, nil
}

func targetWords(t Target) string {
	if t.Engine == nil {
		if t.URL != "" {
			return openai.StripCredentials(t.URL)
		}
		return "the session's target"
	}
	var parts []string
	spec := t.Engine.Spec
	if spec == "" {
		spec = "default"
	}
	parts = append(parts, "embedded engine "+spec)
	if t.Engine.NoPrefixCaching {
		parts = append(parts, "prefix caching off")
	}
	if t.Engine.Knobs != (engine.Knobs{}) {
		parts = append(parts, fmt.Sprintf("knobs %+v", t.Engine.Knobs))
	}
	return strings.Join(parts, ", ")
}

// Suite is a design of one's own: a workload.Suite run once against
// Target, its records grouped by GroupBy (by profile when nil, in the
// suite's profile order). Description says it in words.
type Suite struct {
	Name        string
	Suite       *workload.Suite
	Target      Target
	Description string
	// Groups and GroupBy, when set, group the records; otherwise each
	// profile is a group (X its index).
	Groups  []GroupSpec
	GroupBy func(r *record.Record) int
}

// Plan implements Design.
func (d Suite) Plan() (Plan, error) {
	if err := checkName(d.Name); err != nil {
		return Plan{}, err
	}
	if d.Suite == nil {
		return Plan{}, fmt.Errorf("%w: %s: no suite", ErrDesign, d.Name)
	}
	p := Plan{Name: d.Name, Description: d.Description, Groups: d.Groups}
	g := d.GroupBy
	if g == nil {
		p.Groups = nil
		for i, pr := range d.Suite.Profiles {
			p.Groups = append(p.Groups, GroupSpec{Label: pr.Name, X: float64(i)})
		}
		g = byProfile(d.Suite)
	}
	if p.Description == "" {
		p.Description = "suite " + d.Suite.Name
	}
	p.Steps = []Step{{Suite: d.Suite, Target: d.Target, Group: g}}
	return p, nil
}
