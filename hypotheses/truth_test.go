package hypotheses

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/predict"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/workload"
)

// A truth is whether a hypothesis' claim holds on one engine
// configuration, computed from the engine's cost model (and, for H3's
// shift, from a noise-free run of its virtual-time core), never from a
// verdict. Each part is a figure with its bound; a part whose figure lies
// within a factor nearFactor of its bound (or, for an elasticity, within
// nearElasticity) is near the bound, where a verdict may honestly be
// inconclusive.
type truth struct {
	parts []truthPart
}

type truthPart struct {
	name         string
	value, bound float64
	holds        bool // the part of the claim holds
	near         bool
}

const (
	nearFactor     = 1.2
	nearElasticity = 0.08
)

// holds reports whether every part holds.
func (t truth) holds() bool {
	for _, p := range t.parts {
		if !p.holds {
			return false
		}
	}
	return true
}

// decided reports whether the truth is clear of every bound that matters:
// a false claim needs one failing part far from its bound; a true one
// needs every part far from its bound.
func (t truth) decided() bool {
	if t.holds() {
		for _, p := range t.parts {
			if p.near {
				return false
			}
		}
		return true
	}
	for _, p := range t.parts {
		if !p.holds && !p.near {
			return true
		}
	}
	return false
}

func (t truth) String() string {
	var s []string
	for _, p := range t.parts {
		mark := "✓"
		if !p.holds {
			mark = "✗"
		}
		if p.near {
			mark += "~"
		}
		s = append(s, fmt.Sprintf("%s %s %.3g (bound %.3g)", mark, p.name, p.value, p.bound))
	}
	return strings.Join(s, "; ")
}

// ratioPart is a part "value > bound" (greater) or "value < bound" on a
// ratio scale.
func ratioPart(name string, value, bound float64, greater bool) truthPart {
	h := value > bound
	if !greater {
		h = value < bound
	}
	return truthPart{name: name, value: value, bound: bound, holds: h, near: math.Abs(math.Log(value/bound)) < math.Log(nearFactor)}
}

func elasticityPart(name string, value, bound float64) truthPart {
	return truthPart{name: name, value: value, bound: bound, holds: value < bound, near: math.Abs(value-bound) < nearElasticity}
}

// model is an engine configuration's cost model and front-end, resolved.
type model struct {
	cfg  engine.Config
	info engine.Info
	cost engine.CostModel
}

func newModel(cfg engine.Config) (model, error) {
	sim, err := engine.NewSimulator(cfg)
	if err != nil {
		return model{}, err
	}
	info := sim.Info()
	return model{cfg: cfg, info: info, cost: engine.CostModel{GPU: info.GPU, Model: info.Model, Knobs: info.Knobs}}, nil
}

// tokens is the prompt length, in the model's tokens, of a profile of s.
func (m model) tokens(s *workload.Suite, rep int) int {
	return len(engine.TokenIDs(s.Prompt(workload.Profile{PromptRep: rep}, workload.Nonce(1, 1)), m.info.Model.Vocab))
}

// ttft is a lone request's TTFT at concurrency 1 in the modelled GPU's
// time: the front-end's request and prompt costs, the prefill's chunk
// steps and the first token's way out.
func (m model) ttft(prompt int) float64 {
	fe := m.info.FrontEnd
	t := fe.PerRequest + time.Duration(prompt)*fe.PerPromptToken + m.cost.PrefillTime(prompt, m.info.MaxNumBatchedTokens) + fe.PerOutputToken
	return t.Seconds()
}

// decodeStep is the time of a decode-only step of n sequences, each with
// ctx tokens of context, plus one token's way out through the front-end.
func (m model) decodeStep(n, ctx int) float64 {
	seqs := make([]engine.SeqWork, n)
	for i := range seqs {
		seqs[i] = engine.SeqWork{NewTokens: 1, Context: ctx, Samples: true}
	}
	return (m.cost.Step(seqs).Time + m.info.FrontEnd.PerOutputToken).Seconds()
}

// stepElasticity is log(step(n)/step(1)) / log(n); 0 when decode costs
// nothing at all (FreeDecode without a front-end).
func (m model) stepElasticity(n, ctx int) float64 {
	return math.Log(ratioOf(m.decodeStep(n, ctx), m.decodeStep(1, ctx))) / math.Log(float64(n))
}

// ratioOf is a/b, 1 when both are 0.
func ratioOf(a, b float64) float64 {
	if a == 0 && b == 0 {
		return 1
	}
	return a / b
}

// truthH1: median TTFT at the longest prompt over the shortest, from the
// cost model, above 1 + H1MinGrowth.
func truthH1(m model, s *workload.Suite) truth {
	lo, hi := s.Profiles[0].PromptRep, s.Profiles[len(s.Profiles)-1].PromptRep
	r := m.ttft(m.tokens(s, hi)) / m.ttft(m.tokens(s, lo))
	return truth{parts: []truthPart{ratioPart("TTFT(long)/TTFT(short)", r, 1+H1MinGrowth, true)}}
}

// truthH2: a decode step (batch 1) over a one-token request's TTFT above
// H2MinTokenCost; TPOT settled (the step at the longest output's mean
// context over the second longest's within the band); the decode step's
// elasticity on batch size, 1 to the concurrency design's top level,
// below MaxDecodeElasticity.
func truthH2(m model, ladder, conc *workload.Suite) truth {
	p := m.tokens(ladder, ladder.Profiles[0].PromptRep)
	outs := ladder.Profiles
	last, prev := outs[len(outs)-1].MaxTokens, outs[len(outs)-2].MaxTokens
	cost := m.decodeStep(1, p+last/2) / m.ttft(p)
	settle := ratioOf(m.decodeStep(1, p+last/2), m.decodeStep(1, p+prev/2))
	cmax := conc.Concurrency[len(conc.Concurrency)-1]
	e := m.stepElasticity(cmax, p+conc.Profiles[0].MaxTokens/2)
	inBand := settle < H2SettleBand && settle > 1/H2SettleBand
	return truth{parts: []truthPart{
		ratioPart("TPOT/TTFT(1 token)", cost, H2MinTokenCost, true),
		{name: "TPOT(512)/TPOT(256)", value: settle, bound: H2SettleBand, holds: inBand,
			near: math.Abs(math.Log(settle)) > math.Log(H2SettleBand)/nearFactor && math.Abs(math.Log(settle)) < math.Log(H2SettleBand)*nearFactor},
		elasticityPart("decode step elasticity", e, MaxDecodeElasticity),
	}}
}

// truthH3: at c=1 a long prompt's TTFT over a short one's above
// 1/(1 − H3PromptShare) (cost model); at the top level the same ratio
// below it in the steady state of the engine's virtual-time core (how long
// first tokens wait behind others' steps is the scheduler's doing, not a
// closed form); the decode step's elasticity below MaxDecodeElasticity;
// admission: the top level fits max_num_seqs and the KV cache; and first
// tokens at the top level wait in the engine, not in the front-end.
func truthH3(m model, s *workload.Suite, speed float64) (truth, error) {
	short, long := s.Profiles[0], s.Profiles[len(s.Profiles)-1]
	ps, pl := m.tokens(s, short.PromptRep), m.tokens(s, long.PromptRep)
	bound := 1 / (1 - H3PromptShare)
	cmax := s.Concurrency[len(s.Concurrency)-1]
	ss, err := steadyState(m, ps, pl, long.MaxTokens, cmax)
	if err != nil {
		return truth{}, err
	}
	// The shift at the top level: the design itself, noise-free (no
	// jitter, no client overhead), the ramp left out as H3 leaves it out,
	// all rounds pooled, medians as H3 takes them. The same ratio as a
	// client at this speed sees it (its overhead added) marks the part
	// near its bound when the overhead moves it there: an additive client
	// cost is the one thing a ratio of the server's times cannot cancel.
	shift := func(speed float64, client predict.ClientOverhead) (float64, error) {
		cfg := m.cfg
		cfg.Jitter = 0
		res, err := predict.Run(predict.Options{Engine: cfg, Suite: s, Seed: 1, Speed: speed, Client: client})
		if err != nil {
			return 0, err
		}
		var ts, tl []float64
		for _, r := range res.Records {
			if r.Concurrency == cmax && r.Seq >= r.Concurrency {
				if r.PromptRep == short.PromptRep {
					ts = append(ts, *r.TTFT)
				} else {
					tl = append(tl, *r.TTFT)
				}
			}
		}
		return median(tl) / median(ts), nil
	}
	engineRatio, err := shift(1, predict.ClientOverhead{})
	if err != nil {
		return truth{}, err
	}
	seen, err := shift(speed, matrixClient)
	if err != nil {
		return truth{}, err
	}
	shiftPart := ratioPart("c_max TTFT(long)/TTFT(short)", engineRatio, bound, false)
	if client := ratioPart("", seen, bound, false); client.near || client.holds != shiftPart.holds {
		shiftPart.near = true
		shiftPart.name += fmt.Sprintf(" (%.3g as the client sees it)", seen)
	}
	need := cmax * (pl + long.MaxTokens)
	fits := cmax <= m.info.MaxNumSeqs && need <= m.info.NumGPUBlocks*m.info.BlockSize
	return truth{parts: []truthPart{
		ratioPart("c_min TTFT(long)/TTFT(short)", m.ttft(pl)/m.ttft(ps), bound, true),
		shiftPart,
		elasticityPart("decode step elasticity", m.stepElasticity(cmax, (ps+pl)/2+long.MaxTokens/2), MaxDecodeElasticity),
		{name: "c_max/max_num_seqs", value: float64(cmax) / float64(m.info.MaxNumSeqs), bound: 1, holds: fits},
		ratioPart("c_max front-end share of short TTFT", ss.feShare, H3PromptShare, false),
	}}, nil
}

// steady is the steady state of a closed loop at concurrency c with short
// and long prompts alternating (4 per worker, no jitter, the first wave
// left out), run on the engine's virtual-time core: feShare is the median
// share of a short prompt's TTFT spent in the front-end's queue on its way
// in (tokenising its own and others' prompts) rather than in the engine —
// above ½, first tokens would wait on the API server, not on decode.
type steady struct{ feShare float64 }

func steadyState(m model, short, long, out, c int) (steady, error) {
	cfg := m.cfg
	cfg.Jitter = 0
	reqs := make([]engine.SimRequest, 4*c)
	for i := range reqs {
		p := short
		if i%2 == 1 {
			p = long
		}
		reqs[i] = engine.SimRequest{PromptTokens: p, MaxTokens: out, IgnoreEOS: true, Key: uint64(i + 1)}
	}
	res, _, err := engine.Simulate(cfg, reqs, c)
	if err != nil {
		return steady{}, err
	}
	var share []float64
	for i, r := range res[c:] { // after the first wave
		if (i+c)%2 == 0 {
			share = append(share, float64(r.EngineArrival-r.Arrival)/float64(r.TTFT()))
		}
	}
	return steady{feShare: median(share)}, nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// liveTruth records a live control's ground truth in its verdict and
// fails the test unless the cost model says the claim is false there. The
// live server has no front-end cost model (its HTTP layer is real), so
// the truth is computed without one.
func liveTruth(t *testing.T, v *verdict.Verdict, cfg engine.Config, truthOf func(model) (truth, error)) {
	t.Helper()
	cfg.FrontEnd = &engine.FrontEnd{}
	m, err := newModel(cfg)
	if err != nil {
		t.Fatalf("ground truth: %v", err)
	}
	tr, err := truthOf(m)
	if err != nil {
		t.Fatalf("ground truth: %v", err)
	}
	v.Info = append(v.Info, "ground truth from the engine's cost model: claim "+map[bool]string{true: "holds", false: "false"}[tr.holds()]+" ("+tr.String()+")")
	if tr.holds() || !tr.decided() {
		t.Errorf("the control's engine is not clearly claim-false by its own cost model: %s", tr)
	}
}
