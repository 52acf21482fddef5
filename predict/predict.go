package predict

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// Options describe one prediction. Zero fields get defaults.
type Options struct {
	// Engine is the embedded engine to simulate; its Speed is ignored
	// (a prediction is in the modelled GPU's time), its Seed and Jitter
	// are used as a live engine would.
	Engine engine.Config
	// Suite is the workload, planned exactly as the live runner plans it
	// (workload.Suite.Plan): phases in the suite's order, warm-up first.
	Suite *workload.Suite
	// Seed seeds the prompts' nonces, as the live runner's seed does.
	Seed uint64
	// RunID goes into every record (default "prediction").
	RunID string
	// Model is the records' model name (default: the engine's served
	// model name).
	Model string
	// Start is the wall-clock instant virtual time 0 stands for in the
	// records' start_unix_ns and the phases' windows (default: the Unix
	// epoch, so a prediction is byte-for-byte reproducible).
	Start time.Time
	// ClientTurnaround is the client's time, in a closed loop, from
	// receiving a request's last token to sending the next request
	// (parsing the end of the stream, writing the record): 0 unless given.
	ClientTurnaround time.Duration
	// Speed, when above 1, makes the records those of a live run of the
	// embedded engine compressed by Speed (engine.Config.Speed): every
	// engine time is divided by Speed, while Client's overhead, being the
	// client's and the transport's, is not. 0 or 1: the modelled GPU's
	// time.
	Speed float64
	// Client is the client's and the transport's own overhead, in
	// wall-clock time, added to the records as a live client's
	// measurements carry it (zero: none).
	Client ClientOverhead
	// Rate, when positive, makes every phase open-loop: its requests
	// arrive as a Poisson process of Rate requests per second (seeded by
	// Seed) instead of from concurrency closed-loop workers. Records and
	// phases of an open-loop prediction carry concurrency 0.
	Rate float64
	// Kernels, when set, receives every simulated step's GPU kernels
	// (engine.Simulator.Kernels), warm-up included, in the modelled GPU's
	// time since Start.
	Kernels func([]engine.Kernel)
}

// ClientOverhead is what the client and the transport add to a request's
// timeline, in wall-clock time, beside the server's own time: PerRequest
// delays the first event (writing the request, connection hand-off,
// parsing the first event), and consecutive events reach the client at
// least PerEvent apart (reading and parsing one SSE event). An event the
// engine delivers at time t (its time divided by the speed) is received at
// max(t + PerRequest, previous event + PerEvent). The overhead is added to
// the records after the simulation: it does not feed back into when a
// closed loop sends its next request (ClientTurnaround does).
type ClientOverhead struct {
	PerRequest time.Duration
	PerEvent   time.Duration
}

// Result is a prediction: what a live run of the same suite would write,
// in simulated time.
type Result struct {
	Records []record.Record
	Phases  []record.Phase
	// Engine is the simulated engine's resolved configuration.
	Engine engine.Info
	// Duration is the simulated time from the first warm-up request to
	// the last token.
	Duration time.Duration
	// Stats sums the engine's work over the measured phases.
	Stats engine.SimStats
}

// ErrOptions is wrapped by errors about unusable Options.
var ErrOptions = errors.New("invalid prediction options")

// Run predicts the suite on the engine: it builds each request as the
// live runner would (the same prompts, nonces and ids), runs the warm-up
// and then every phase on one engine.Simulator, so the engine's state
// (its prefix cache) carries over from phase to phase as on a live
// server, and returns the records and phases in simulated time.
//
// Closed-loop phases start Concurrency requests at once and issue the
// next request the moment one ends, as the runner's workers do, minus the
// client's own overhead, which a prediction does not have: queue_s is 0.
// Warm-up requests run one at a time and are not recorded, as live.
func Run(opts Options) (*Result, error) {
	s := opts.Suite
	if s == nil {
		return nil, fmt.Errorf("predicting: no suite: %w", ErrOptions)
	}
	if opts.Rate < 0 || math.IsNaN(opts.Rate) || math.IsInf(opts.Rate, 0) {
		return nil, fmt.Errorf("predicting: rate %g: %w", opts.Rate, ErrOptions)
	}
	if opts.ClientTurnaround < 0 || opts.Client.PerRequest < 0 || opts.Client.PerEvent < 0 {
		return nil, fmt.Errorf("predicting: client turnaround %v, overhead %+v: %w", opts.ClientTurnaround, opts.Client, ErrOptions)
	}
	if opts.Speed < 0 || math.IsNaN(opts.Speed) || math.IsInf(opts.Speed, 0) {
		return nil, fmt.Errorf("predicting: speed %g: %w", opts.Speed, ErrOptions)
	}
	if opts.Speed == 0 {
		opts.Speed = 1
	}
	sim, err := engine.NewSimulator(opts.Engine)
	if err != nil {
		return nil, fmt.Errorf("predicting: %w", err)
	}
	sim.KeepTokenTimes = true
	sim.ClientTurnaround = time.Duration(float64(opts.ClientTurnaround) * opts.Speed)
	info := sim.Info()
	// Records are in the modelled GPU's time compressed by opts.Speed.
	info.Speed = opts.Speed
	if opts.RunID == "" {
		opts.RunID = "prediction"
	}
	if opts.Model == "" {
		opts.Model = info.ServedModelName
	}
	if opts.Start.IsZero() {
		opts.Start = time.Unix(0, 0)
	}
	p := &predictor{opts: opts, info: info}
	res := &Result{Engine: info}
	sim.Kernels = opts.Kernels

	if s.Warmup > 0 && len(s.Profiles) > 0 {
		warm := make([]engine.SimRequest, s.Warmup)
		for i := range warm {
			if warm[i], err = p.request(s.Profiles[i%len(s.Profiles)], -1-i); err != nil {
				return nil, fmt.Errorf("predicting warm-up request %d: %w", i+1, err)
			}
		}
		if _, _, err := sim.Run(warm, 1); err != nil {
			return nil, fmt.Errorf("predicting warm-up: %w", err)
		}
	}
	if s.OpenLoop() {
		return res, p.runOpen(sim, res)
	}
	arrivals := rand.New(rand.NewPCG(opts.Seed, 0xa11))
	seq := 0
	for i, pp := range s.Plan() {
		ph := record.Phase{Index: i, Suite: s.Name, Profile: pp.Profile.Name, Concurrency: pp.Concurrency,
			Requests: pp.Requests, Round: pp.Round, Status: "complete"}
		reqs := make([]engine.SimRequest, pp.Requests)
		var at time.Duration
		for k := range reqs {
			if reqs[k], err = p.request(pp.ProfileOf(k), seq+k+1); err != nil {
				return nil, fmt.Errorf("predicting phase %d (%s, c=%d), request %d: %w", i, pp.Profile.Name, pp.Concurrency, k, err)
			}
			if opts.Rate > 0 {
				reqs[k].At = at
				at += time.Duration(arrivals.ExpFloat64() / opts.Rate * float64(time.Second))
			}
		}
		c := pp.Concurrency
		if opts.Rate > 0 {
			c, ph.Concurrency = 0, 0
		}
		start := sim.Now()
		out, st, err := sim.Run(reqs, c)
		if err != nil {
			return nil, fmt.Errorf("predicting phase %d (%s, c=%d): %w", i, pp.Profile.Name, pp.Concurrency, err)
		}
		addStats(&res.Stats, st)
		ph.StartUnixNs = p.unixNs(start)
		ph.EndUnixNs = p.unixNs(sim.Now())
		for k, r := range out {
			prof := pp.ProfileOf(k)
			seq++
			rec := p.record(r, prof, ph, k, seq)
			res.Records = append(res.Records, rec)
		}
		res.Phases = append(res.Phases, ph)
	}
	res.Duration = sim.Now()
	return res, nil
}

type predictor struct {
	opts Options
	info engine.Info
}

// request builds the n-th request of the run (n < 0 for warm-up) as the
// live runner builds it and as the server would see it: the same prompt,
// its token ids, prefix-cache hashes and request key.
func (p *predictor) request(prof workload.Profile, n int) (engine.SimRequest, error) {
	s := p.opts.Suite
	prompt := s.Prompt(prof, workload.Nonce(p.opts.Seed, n))
	if s.Endpoint == "chat" {
		prompt = engine.RenderChat([]engine.ChatMessage{{Role: "user", Content: prompt}})
	}
	ids := engine.TokenIDs(prompt, p.info.Model.Vocab)
	if len(ids)+prof.MaxTokens > p.info.MaxModelLen {
		// The live server rejects it with 400; a prediction cannot
		// express a failed request's timing, so it refuses the suite.
		return engine.SimRequest{}, fmt.Errorf("profile %s: %d prompt tokens + max_tokens %d exceed max_model_len %d: %w",
			prof.Name, len(ids), prof.MaxTokens, p.info.MaxModelLen, ErrOptions)
	}
	r := engine.SimRequest{PromptTokens: len(ids), MaxTokens: prof.MaxTokens, IgnoreEOS: s.IgnoreEOS,
		Key: engine.RequestKey(prompt)}
	if p.info.PrefixCaching {
		r.BlockHashes = engine.BlockHashes(ids)
	}
	return r, nil
}

func (p *predictor) unixNs(v time.Duration) int64 { return p.opts.Start.Add(p.wall(v)).UnixNano() }

// wall converts an engine time to the wall-clock time of a run compressed
// by the speed.
func (p *predictor) wall(v time.Duration) time.Duration {
	return time.Duration(float64(v) / p.opts.Speed)
}

// received returns when the client received each of a request's events,
// since its t0: the engine's delivery times (since the request's arrival,
// compressed) delayed by the client's overhead.
func (p *predictor) received(r engine.SimResult) []time.Duration {
	ts := r.TokenTimes
	if len(ts) == 0 {
		ts = []time.Duration{r.FirstToken, r.End}
	}
	out := make([]time.Duration, len(ts))
	c := p.opts.Client
	for i, t := range ts {
		out[i] = p.wall(t-r.Arrival) + c.PerRequest
		if i > 0 {
			out[i] = max(out[i], out[i-1]+c.PerEvent)
		}
	}
	return out
}

// record fills a record as the client would from a response whose events
// arrived at the engine's token times: t0 is the request's arrival, TTFT
// its first token, E2E and total_s its last, TPOT over N − 1 gaps.
func (p *predictor) record(r engine.SimResult, prof workload.Profile, ph record.Phase, k, n int) record.Record {
	sec := func(d time.Duration) float64 { return d.Seconds() }
	got := p.received(r)
	first, last := got[0], got[len(got)-1]
	rec := record.Record{
		ID:           record.RequestID(n),
		Profile:      prof.Name,
		Concurrency:  ph.Concurrency,
		RunID:        p.opts.RunID,
		Suite:        p.opts.Suite.Name,
		Phase:        ph.Index,
		Seq:          k,
		Round:        ph.Round,
		PromptRep:    prof.PromptRep,
		MaxTokens:    prof.MaxTokens,
		Endpoint:     p.opts.Suite.Endpoint,
		Model:        p.opts.Model,
		PromptTokens: record.I(r.PromptTokens),
		OutputTokens: record.I(r.OutputTokens),
		OutputChunks: r.OutputTokens,
		TokenSource:  record.TokensFromUsage,
		StartUnixNs:  p.unixNs(r.Arrival),
		EndUnixNs:    p.unixNs(r.Arrival) + last.Nanoseconds(),
		TTFT:         record.F(sec(first)),
		TTFTText:     record.F(sec(first)),
		E2E:          record.F(sec(last)),
		Total:        sec(last),
		FinishReason: r.FinishReason,
		HTTPStatus:   200,
	}
	if r.OutputTokens >= 2 {
		rec.TPOT = record.F(sec(last-first) / float64(r.OutputTokens-1))
	}
	if len(r.TokenTimes) > 1 {
		rec.ITL = make([]float64, len(got)-1)
		for i := 1; i < len(got); i++ {
			rec.ITL[i-1] = sec(got[i] - got[i-1])
		}
	}
	return rec
}

func addStats(dst *engine.SimStats, st engine.SimStats) {
	dst.Steps += st.Steps
	dst.Preemptions += st.Preemptions
	dst.PromptTokens += st.PromptTokens
	dst.GenTokens += st.GenTokens
	dst.MaxRunning = max(dst.MaxRunning, st.MaxRunning)
	dst.Duration += st.Duration
	dst.BusyTime += st.BusyTime
	dst.CacheQueries += st.CacheQueries
	dst.CacheHits += st.CacheHits
}
