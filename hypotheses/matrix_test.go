package hypotheses

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/predict"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/workload"
)

// matrixClient is the client's and the transport's overhead the matrix
// adds to every simulated record, in wall-clock time, so that a speed
// factor matters as it does live: 300 µs per request, 10 µs per streamed
// event (the live FreeDecode engine's "TPOT" on a loaded 2-core machine is
// about 9 µs — that is this overhead, unscaled by the speed).
var matrixClient = predict.ClientOverhead{PerRequest: 300 * time.Microsecond, PerEvent: 10 * time.Microsecond}

var (
	matrixSpecs  = []string{"rtx4090:qwen2.5-7b", "h200:qwen2.5-0.5b", "a100-80g:llama-3.1-8b"}
	matrixSpeeds = []float64{1, 10}
)

const (
	matrixSeeds  = 20
	matrixJitter = 0.05
)

// matrixEngine is one engine of the matrix: the sound one or one built to
// violate a claim.
type matrixEngine struct {
	name string
	cfg  func(spec string) engine.Config
}

func knobbed(k engine.Knobs) func(string) engine.Config {
	return func(spec string) engine.Config { return engine.Config{Spec: spec, Knobs: k} }
}

var (
	soundEngine = matrixEngine{"sound", knobbed(engine.Knobs{})}
	// flatPrefillEngine makes prompt processing free end to end: prefill
	// costs one token (FlatPrefill) and the front-end's tokenizer costs
	// nothing per prompt token. With the tokenizer left at its default
	// 18 µs per token, TTFT would still grow with prompt length — by
	// tokenisation, which a client cannot tell from prefill (H1's doc).
	flatPrefillEngine = matrixEngine{"flat-prefill", func(spec string) engine.Config {
		fe := engine.DefaultFrontEnd
		fe.PerPromptToken = 0
		return engine.Config{Spec: spec, Knobs: engine.Knobs{FlatPrefill: true}, FrontEnd: &fe}
	}}
	freeDecodeEngine = matrixEngine{"free-decode", knobbed(engine.Knobs{FreeDecode: true})}
	noBatchingEngine = matrixEngine{"no-batching", knobbed(engine.Knobs{ComputeBoundDecode: true})}
	// admissionEngine admits 2 sequences at a time: the top level (16)
	// queues 8 requests per slot.
	admissionEngine = matrixEngine{"admission-limited", func(spec string) engine.Config {
		return engine.Config{Spec: spec, MaxNumSeqs: 2}
	}}
)

// matrixHypothesis runs one hypothesis' designs on simulated records and
// computes its truth for an engine.
type matrixHypothesis struct {
	id      string
	engines []matrixEngine
	truth   func(m model, speed float64) (truth, error)
	verdict func(cfg engine.Config, seed uint64, speed float64) (verdict.Verdict, error)
}

// simulate predicts a design as a live run of the embedded engine at speed
// would record it, with seeded 5% step jitter and the client's overhead.
func simulate(cfg engine.Config, s *workload.Suite, seed uint64, speed float64) ([]record.Record, error) {
	cfg.Jitter, cfg.Seed = matrixJitter, seed
	res, err := predict.Run(predict.Options{Engine: cfg, Suite: s, Seed: seed, Speed: speed, Client: matrixClient})
	if err != nil {
		return nil, err
	}
	return res.Records, nil
}

var matrixHypotheses = []matrixHypothesis{
	{id: "H1", engines: []matrixEngine{soundEngine, flatPrefillEngine},
		truth: func(m model, _ float64) (truth, error) { return truthH1(m, H1Design(Default, 0, nil)), nil },
		verdict: func(cfg engine.Config, seed uint64, speed float64) (verdict.Verdict, error) {
			recs, err := simulate(cfg, H1Design(Default, 0, nil), seed, speed)
			return H1(recs, Options{Seed: seed}), err
		}},
	{id: "H2", engines: []matrixEngine{soundEngine, freeDecodeEngine, noBatchingEngine},
		truth: func(m model, _ float64) (truth, error) {
			return truthH2(m, H2Design(Default, 0, nil), ConcurrencyDesign(Default, 0, nil)), nil
		},
		verdict: func(cfg engine.Config, seed uint64, speed float64) (verdict.Verdict, error) {
			l, err := simulate(cfg, H2Design(Default, 0, nil), seed, speed)
			if err != nil {
				return verdict.Verdict{}, err
			}
			c, err := simulate(cfg, ConcurrencyDesign(Default, 0, nil), seed, speed)
			return H2(l, c, Options{Seed: seed}), err
		}},
	{id: "H3", engines: []matrixEngine{soundEngine, flatPrefillEngine, noBatchingEngine, admissionEngine},
		truth: func(m model, speed float64) (truth, error) { return truthH3(m, H3Design(Default, 0, nil), speed) },
		verdict: func(cfg engine.Config, seed uint64, speed float64) (verdict.Verdict, error) {
			recs, err := simulate(cfg, H3Design(Default, 0, nil), seed, speed)
			return H3(recs, nil, Options{Seed: seed}), err
		}},
}

// TestMatrix is the virtual-time matrix: for each hypothesis, each of its
// engines (the sound one and those built to violate the claim), each GPU/
// model profile and each speed, it computes the claim's truth from the
// engine's cost model and asserts that the verdict on the records a live
// run would write (predict, seeded 5% jitter, the client's overhead) is
// that truth in 20 of 20 seeds: pass where the claim holds, fail — not
// inconclusive — where it does not. Where the truth lies within a factor
// 1.25 of a bound (an elasticity within 0.08), the cell is near the bound
// and only the opposite verdict is an error.
//
// HYPOBENCH_MATRIX_TABLE=path writes the table of outcomes (Markdown).
func TestMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the matrix takes tens of seconds")
	}
	type cell struct {
		hyp, eng, spec string
		speed          float64
		tr             truth
		counts         map[verdict.Outcome]int
	}
	var mu sync.Mutex
	var cells []*cell
	for _, h := range matrixHypotheses {
		for _, e := range h.engines {
			for _, spec := range matrixSpecs {
				cfg := e.cfg(spec)
				m, err := newModel(cfg)
				if err != nil {
					t.Fatalf("%s %s %s: %v", h.id, e.name, spec, err)
				}
				for _, speed := range matrixSpeeds {
					tr, err := h.truth(m, speed)
					if err != nil {
						t.Fatalf("%s %s %s: truth: %v", h.id, e.name, spec, err)
					}
					c := &cell{hyp: h.id, eng: e.name, spec: spec, speed: speed, tr: tr, counts: map[verdict.Outcome]int{}}
					cells = append(cells, c)
					t.Run(fmt.Sprintf("%s/%s/%s/speed%g", h.id, e.name, spec, speed), func(t *testing.T) {
						t.Parallel()
						want := verdict.Fail
						if tr.holds() {
							want = verdict.Pass
						}
						for seed := uint64(1); seed <= matrixSeeds; seed++ {
							v, err := h.verdict(cfg, seed, speed)
							if err != nil {
								t.Fatalf("seed %d: %v", seed, err)
							}
							mu.Lock()
							c.counts[v.Outcome]++
							mu.Unlock()
							wrong := v.Outcome != want
							if !tr.decided() {
								wrong = v.Outcome != want && v.Outcome != verdict.Inconclusive
							}
							if wrong {
								t.Errorf("seed %d: verdict %s, truth %s (%s)\n%s", seed, v.Outcome, want, tr, checkLines(v))
							}
						}
					})
				}
			}
		}
	}
	t.Cleanup(func() {
		sort.SliceStable(cells, func(i, j int) bool { return false })
		var b strings.Builder
		b.WriteString("| hypothesis | engine | profile | speed | truth (cost model) | pass | fail | inconclusive |\n|---|---|---|---|---|---|---|---|\n")
		for _, c := range cells {
			want := "false"
			if c.tr.holds() {
				want = "**true**"
			}
			if !c.tr.decided() {
				want += " (near bound)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %g | %s: %s | %d | %d | %d |\n", c.hyp, c.eng, c.spec, c.speed, want, c.tr,
				c.counts[verdict.Pass], c.counts[verdict.Fail], c.counts[verdict.Inconclusive])
		}
		t.Log("\n" + b.String())
		if p := os.Getenv("HYPOBENCH_MATRIX_TABLE"); p != "" {
			if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
				t.Error(err)
			}
		}
	})
}

// checkLines is a verdict's checks, one per line, for a failure message.
func checkLines(v verdict.Verdict) string {
	var b strings.Builder
	for _, c := range v.Checks {
		fmt.Fprintf(&b, "  %-14s %-12s effect %s %s CI %s (%s)\n", c.Name, c.Outcome, verdict.Num(c.Effect), c.Unit,
			verdict.CIString(c.EffectCI.Lo, c.EffectCI.Hi, c.EffectCI.Level), c.Sample)
	}
	return b.String()
}
