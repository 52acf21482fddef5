package merge

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/hypobench/hypobench/record"
)

// clockMap turns a shard's wall-clock times into the coordinator's: it
// adds the estimated offset, interpolated linearly between the first and
// the last estimate by the time being corrected (so a clock that drifts
// during the run is followed) and held constant outside them.
type clockMap struct {
	ok                 bool
	at0, at1           int64 // shard wall clock of the first and last estimate
	off0, off1         int64
	delay              int64 // the largest delay of the estimates used
	first, last        record.ClockEstimate
	estimates, samples int
}

func newClockMap(es []record.ClockEstimate) clockMap {
	if len(es) == 0 {
		return clockMap{}
	}
	es = append([]record.ClockEstimate(nil), es...)
	sort.SliceStable(es, func(i, j int) bool { return es[i].AtUnixNs < es[j].AtUnixNs })
	a, b := es[0], es[len(es)-1]
	m := clockMap{ok: true, at0: a.AtUnixNs, at1: b.AtUnixNs, off0: a.OffsetNs, off1: b.OffsetNs,
		first: a, last: b, estimates: len(es)}
	for _, e := range es {
		m.delay = max(m.delay, e.DelayNs)
		m.samples += e.Samples
	}
	return m
}

// offset returns the offset to add at shard wall-clock time t.
func (m clockMap) offset(t int64) int64 {
	switch {
	case !m.ok:
		return 0
	case t <= m.at0 || m.at1 == m.at0:
		return m.off0
	case t >= m.at1:
		return m.off1
	}
	f := float64(t-m.at0) / float64(m.at1-m.at0)
	return m.off0 + int64(math.Round(f*float64(m.off1-m.off0)))
}

// correct maps a shard wall-clock time to the coordinator's; zero (unset)
// stays zero.
func (m clockMap) correct(t int64) int64 {
	if t == 0 {
		return 0
	}
	return t + m.offset(t)
}

// MinTolerance is the smallest clock-skew tolerance: the merge reports
// offsets in milliseconds and claims no finer alignment.
const MinTolerance = time.Millisecond

// ToleranceFraction is the share of the merged run's median TTFT that a
// shard's clock may be off by before the merge warns: past it, which of
// two requests on different shards started first is uncertain at the
// scale of the latency being measured, and the phase windows (hence the
// rates) are stretched by more than a tenth of a first token.
const ToleranceFraction = 0.10

// tolerance returns the skew tolerance and a sentence saying where it
// came from.
func tolerance(fixed time.Duration, medianTTFT float64, haveTTFT bool) (time.Duration, string) {
	if fixed > 0 {
		return fixed, fmt.Sprintf("%s (fixed by --skew-tolerance)", ms(int64(fixed)))
	}
	if !haveTTFT {
		return MinTolerance, fmt.Sprintf("%s (the floor: no successful request had a TTFT)", ms(int64(MinTolerance)))
	}
	t := time.Duration(ToleranceFraction * medianTTFT * float64(time.Second))
	if t < MinTolerance {
		return MinTolerance, fmt.Sprintf("%s (the floor; 10%% of the median TTFT %s is less)", ms(int64(MinTolerance)), ms(int64(medianTTFT*1e9)))
	}
	return t, fmt.Sprintf("%s (10%% of the median TTFT %s)", ms(int64(t)), ms(int64(medianTTFT*1e9)))
}

// clockWarnings checks one shard's clock against the tolerance.
func clockWarnings(s *shard, tol time.Duration, tolText string) []error {
	if !s.clock.ok {
		return []error{&Warning{Shard: s.index, Err: ErrNoClock,
			Msg: "no clock estimate in its " + record.ConfigFile + ": its wall-clock times are merged uncorrected and its skew is unknown"}}
	}
	var ws []error
	t := int64(tol)
	for _, e := range []record.ClockEstimate{s.clock.first, s.clock.last} {
		if abs(e.OffsetNs) > t {
			ws = append(ws, &Warning{Shard: s.index, Err: ErrClockSkew,
				Msg: fmt.Sprintf("clock %s the coordinator's at %s (corrected in the merge); more than the tolerance %s",
					direction(e.OffsetNs), labelOf(e), tolText)})
			break
		}
	}
	if s.clock.delay/2 > t {
		ws = append(ws, &Warning{Shard: s.index, Err: ErrClockUncertain,
			Msg: fmt.Sprintf("clock offset known only to ±%s (half the %s round trip); more than the tolerance %s",
				ms(s.clock.delay/2), ms(s.clock.delay), tolText)})
	}
	if d := s.clock.off1 - s.clock.off0; abs(d) > t {
		ws = append(ws, &Warning{Shard: s.index, Err: ErrClockDrift,
			Msg: fmt.Sprintf("clock drifted %s during the run (offset %s at the first estimate, %s at the last; interpolated in the merge); more than the tolerance %s",
				ms(d), ms(s.clock.off0), ms(s.clock.off1), tolText)})
	}
	return ws
}

func labelOf(e record.ClockEstimate) string {
	if e.Label != "" {
		return e.Label
	}
	return time.Unix(0, e.AtUnixNs).UTC().Format(time.RFC3339)
}

// direction says how a shard's clock stands against the coordinator's,
// offset being coordinator − shard.
func direction(off int64) string {
	switch {
	case off > 0:
		return ms(off) + " behind"
	case off < 0:
		return ms(-off) + " ahead of"
	}
	return "level with"
}

// ms formats nanoseconds as milliseconds with microsecond digits.
func ms(ns int64) string { return fmt.Sprintf("%.3f ms", float64(ns)/1e6) }

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
