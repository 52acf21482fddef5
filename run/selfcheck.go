package run

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// SelfCheck holds the thresholds of the client's check on itself. A run is
// flagged as limited by its client (record.ClientCheck.Reasons) when:
//
//   - cpu: the process used at least CPUShare of its usable cores' time
//     over the run (only when the server runs in another process);
//   - sched_lag: the scheduler's lateness at the 90th percentile exceeds
//     both LagShare × the run's median TTFT and LagFloor;
//   - send_lag: the client's own open-loop send lag at the 90th
//     percentile exceeds both LagShare × the median TTFT and LagFloor,
//     judged run-wide and again per phase of at least PhaseMin sends
//     against that phase's median TTFT (so a phase starved alone is not
//     diluted among quiet ones; the reason then names the phase), or
//     a closed loop's turnaround (a worker's time from one request's end
//     to the next one's t0) exceeds both LagShare × the median total_s
//     and LagFloor: it is the share by which the client thinned the load;
//   - parse_lag: the read→parse delay (per request, the mean time from a
//     read returning to its event being parsed) at the 90th percentile
//     exceeds both LagShare × the median TTFT and LagFloor;
//   - rate: an open-loop phase of at least RatePhaseMin requests without a
//     max_concurrency cap achieved less than RateShare of its offered
//     rate. The achieved rate is the requests sent over the last send's
//     offset, so one late send at the end of a short phase moves it by its
//     whole lag; below RatePhaseMin requests the sends' lags speak instead;
//   - engine_stall: the in-process engine (Config.Engine) lost more than
//     EngineStall of the run's virtual time (wall time × speed) to host
//     stalls — steps its loop started later than it can absorb
//     (engine.Server.HostStalls), which the model does not count: every
//     timing it gave in that time is longer than the model's. Not the
//     client's doing, but the same machine's, so it is judged here and
//     makes verdicts inconclusive the same way (verdict.ForRun, under its
//     own warning).
//
// A p90 lag above LagCeiling flags the run whatever its latencies: a
// server in the client's process (the embedded engine) that the machine
// stalls inflates the median TTFT the relative threshold scales with.
//
// The lag thresholds are relative to what the run measures: a client delay
// matters when it is a visible part of the latencies it distorts. They are
// taken at the 90th percentile, not the 99th: a busy machine stalls a
// process now and then for tens of milliseconds (measured: p99 20 ms, p90
// 1.4 ms on a 2-core machine at load 10), which touches a few requests,
// while a client that cannot keep up is late most of the time. LagFloor
// keeps millisecond noise from flagging a run against a server that
// answers in microseconds.
type SelfCheck struct {
	Period       time.Duration // the scheduler probe's sleep
	CPUShare     float64
	LagShare     float64
	LagFloor     time.Duration
	LagCeiling   time.Duration
	RateShare    float64
	RatePhaseMin int
	PhaseMin     int // sends a phase needs for its send lag to be judged alone
	// EngineStall is the largest share of the run's virtual time the
	// in-process engine may lose to host stalls. Measured on a 2-core
	// machine: closed-loop hypothesis designs at speed 5–10 lose 0–1.5%
	// in ordinary sessions (10–54% in a stalled one); open-loop H3 rate
	// ladders at speed 10 lost 1.2–4.6% at load 10–17 and kept the model's
	// in-flight counts, and 8–38% at load 19–23 — at 38% the top rate held
	// 72 requests in flight where the model holds 29.
	EngineStall float64
}

// EngineClock is what the self-check reads of an in-process engine
// (*engine.Server implements it): the virtual time it has lost to host
// stalls so far, and its configuration, whose Speed turns wall time into
// virtual time.
type EngineClock interface {
	HostStalls() time.Duration
	Describe() engine.Info
}

// DefaultSelfCheck is the check every run makes.
var DefaultSelfCheck = SelfCheck{Period: 5 * time.Millisecond, CPUShare: 0.9, LagShare: 0.25, LagFloor: 10 * time.Millisecond, LagCeiling: 100 * time.Millisecond, RateShare: 0.95, RatePhaseMin: 100, PhaseMin: 20, EngineStall: 0.05}

// String states the thresholds in words, for config.json.
func (s SelfCheck) String() string {
	return fmt.Sprintf("cpu ≥ %.0f%% of usable cores (external target only); p90 scheduler lag or p90 read→parse delay (per-request mean) > max(%.0f%% of median TTFT, %v); p90 open-loop client send lag > max(the same share of median TTFT, the same floor), run-wide and per phase of ≥ %d sends against the phase's median TTFT; p90 closed-loop turnaround > max(the same share of median total_s, the same floor); any of these p90 lags > %v; open-loop phase of ≥ %d requests without max_concurrency achieving < %.0f%% of its offered rate; in-process engine losing > %.0f%% of the run's virtual time to host stalls",
		100*s.CPUShare, 100*s.LagShare, s.LagFloor, s.PhaseMin, s.LagCeiling, s.RatePhaseMin, 100*s.RateShare, 100*s.EngineStall)
}

// monitor samples the client's own signals while a run is in progress:
// the scheduler's lateness (a goroutine sleeping Period and measuring how
// late it woke), the client's share of send lag, each successful request's
// TTFT, and the process's CPU time.
type monitor struct {
	cfg      SelfCheck
	external bool // the server runs in another process: the CPU is the client's
	start    time.Time
	cpu0     time.Duration
	cpuOK    bool
	engine   EngineClock // nil: no in-process engine
	stalls0  time.Duration

	mu    sync.Mutex
	sched []float64
	send  []float64 // open loop
	turn  []float64 // closed loop
	parse []float64 // per request, mean read→parse delay
	ttft  []float64
	total []float64
	phase map[int]*phaseSamples // open loop, by phase index

	quit chan struct{}
	wg   sync.WaitGroup
}

func startMonitor(cfg SelfCheck, external bool, eng EngineClock) *monitor {
	m := &monitor{cfg: cfg, external: external, start: time.Now(), quit: make(chan struct{}), engine: eng}
	m.cpu0, m.cpuOK = processCPU()
	if eng != nil {
		m.stalls0 = eng.HostStalls()
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTimer(cfg.Period)
		defer t.Stop()
		for {
			asked := time.Now()
			t.Reset(cfg.Period)
			select {
			case <-m.quit:
				return
			case <-t.C:
			}
			late := time.Since(asked) - cfg.Period
			m.mu.Lock()
			m.sched = append(m.sched, max(late, 0).Seconds())
			m.mu.Unlock()
		}
	}()
	return m
}

// phaseSamples are one open-loop phase's send lags and TTFTs.
type phaseSamples struct{ send, ttft []float64 }

func (m *monitor) phaseOf(i int) *phaseSamples {
	if m.phase == nil {
		m.phase = map[int]*phaseSamples{}
	}
	p := m.phase[i]
	if p == nil {
		p = &phaseSamples{}
		m.phase[i] = p
	}
	return p
}

// sendLag records the client's own share of one open-loop request's send
// lag in phase ph.
func (m *monitor) sendLag(ph int, d time.Duration) {
	m.mu.Lock()
	m.send = append(m.send, max(d, 0).Seconds())
	p := m.phaseOf(ph)
	p.send = append(p.send, max(d, 0).Seconds())
	m.mu.Unlock()
}

// parsed records a request's mean read→parse delay, when it parsed any
// event.
func (m *monitor) parsed(mean time.Duration, ok bool) {
	if !ok {
		return
	}
	m.mu.Lock()
	m.parse = append(m.parse, max(mean, 0).Seconds())
	m.mu.Unlock()
}

// turnaround records a closed-loop worker's time from its previous
// request's end to the next one's t0.
func (m *monitor) turnaround(d time.Duration) {
	m.mu.Lock()
	m.turn = append(m.turn, max(d, 0).Seconds())
	m.mu.Unlock()
}

// observe records a finished request's TTFT.
func (m *monitor) observe(rec *record.Record) {
	if !rec.OK() || rec.TTFT == nil {
		return
	}
	m.mu.Lock()
	m.ttft = append(m.ttft, *rec.TTFT)
	m.total = append(m.total, rec.Total)
	if p := m.phase[rec.Phase]; p != nil {
		p.ttft = append(p.ttft, *rec.TTFT)
	}
	m.mu.Unlock()
}

// finish stops the probe and judges the run from its signals and its
// phases.
func (m *monitor) finish(phases []record.Phase) *record.ClientCheck {
	close(m.quit)
	m.wg.Wait()
	wall := time.Since(m.start)
	m.mu.Lock()
	defer m.mu.Unlock()
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	c := &record.ClientCheck{Cores: cores, SchedLag: LagOf(m.sched), SendLag: LagOf(m.send), Turnaround: LagOf(m.turn),
		ParseLag: LagOf(m.parse), SchedPeriodS: m.cfg.Period.Seconds(), Thresholds: m.cfg.String()}
	for _, ph := range phases {
		if p := m.phase[ph.Index]; p != nil && ph.OpenLoop() {
			pc := record.PhaseCheck{Index: ph.Index, TargetRate: ph.TargetRate, SendLag: LagOf(p.send)}
			if len(p.ttft) > 0 {
				pc.MedianTTFTS = stats.Median(p.ttft)
			}
			c.Phases = append(c.Phases, pc)
		}
	}
	if len(m.ttft) > 0 {
		c.MedianTTFTS = stats.Median(m.ttft)
		c.MedianTotalS = stats.Median(m.total)
	}
	if cpu1, ok := processCPU(); ok && m.cpuOK && m.external && wall > 0 {
		share := (cpu1 - m.cpu0).Seconds() / (wall.Seconds() * float64(cores))
		c.CPUShare = &share
	}
	if m.engine != nil {
		if virtual := wall.Seconds() * m.engine.Describe().Speed; virtual > 0 {
			share := (m.engine.HostStalls() - m.stalls0).Seconds() / virtual
			c.EngineStallShare = &share
		}
	}
	c.Reasons = m.cfg.judge(c, phases)
	return c
}

// judge returns the reasons c and phases show the client limited the run.
func (s SelfCheck) judge(c *record.ClientCheck, phases []record.Phase) []record.ClientReason {
	var rs []record.ClientReason
	if c.CPUShare != nil && *c.CPUShare >= s.CPUShare {
		rs = append(rs, record.ClientReason{Code: record.ReasonCPU,
			Detail: fmt.Sprintf("the client used %.0f%% of its %d cores (threshold %.0f%%)", 100**c.CPUShare, c.Cores, 100*s.CPUShare)})
	}
	lagged := func(code, what string, l *record.Lag, scaleName string, scale float64, phase *int) {
		limit := max(s.LagShare*scale, s.LagFloor.Seconds())
		if s.LagCeiling > 0 {
			limit = min(limit, s.LagCeiling.Seconds())
		}
		if l != nil && l.P90 > limit {
			rs = append(rs, record.ClientReason{Code: code, Phase: phase,
				Detail: fmt.Sprintf("p90 %s %s > %s (max of %.0f%% of median %s %s and %v)", what, ms(l.P90), ms(limit), 100*s.LagShare, scaleName, ms(scale), s.LagFloor)})
		}
	}
	lagged(record.ReasonSchedLag, "scheduler lag", c.SchedLag, "TTFT", c.MedianTTFTS, nil)
	lagged(record.ReasonParseLag, "read→parse delay", c.ParseLag, "TTFT", c.MedianTTFTS, nil)
	lagged(record.ReasonSendLag, "client send lag", c.SendLag, "TTFT", c.MedianTTFTS, nil)
	for _, pc := range c.Phases {
		if pc.SendLag != nil && pc.SendLag.N >= s.PhaseMin {
			lagged(record.ReasonSendLag, fmt.Sprintf("client send lag in phase %d (%.4g req/s)", pc.Index, pc.TargetRate), pc.SendLag, "TTFT", pc.MedianTTFTS, &pc.Index)
		}
	}
	lagged(record.ReasonSendLag, "closed-loop turnaround", c.Turnaround, "total_s", c.MedianTotalS, nil)
	for _, ph := range phases {
		if !ph.OpenLoop() || ph.MaxConcurrency > 0 || ph.OfferedRate == 0 || ph.Requests < s.RatePhaseMin {
			continue
		}
		if ph.AchievedRate < s.RateShare*ph.OfferedRate {
			rs = append(rs, record.ClientReason{Code: record.ReasonRate, Phase: &ph.Index,
				Detail: fmt.Sprintf("phase %d achieved %.3g req/s of %.3g offered (< %.0f%%)", ph.Index, ph.AchievedRate, ph.OfferedRate, 100*s.RateShare)})
		}
	}
	if c.EngineStallShare != nil && s.EngineStall > 0 && *c.EngineStallShare > s.EngineStall {
		rs = append(rs, record.ClientReason{Code: record.ReasonEngineStall,
			Detail: fmt.Sprintf("the in-process engine lost %.1f%% of the run's virtual time to host stalls (threshold %.0f%%): its timings are not the model's", 100**c.EngineStallShare, 100*s.EngineStall)})
	}
	return slices.Clip(rs)
}

func ms(s float64) string { return fmt.Sprintf("%.3g ms", s*1e3) }
