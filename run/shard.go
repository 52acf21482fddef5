package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// Sharding makes a run one shard of a run spread over several client
// machines (Config.Sharding). The shard runs its share of every phase
// (SplitPlan), and, when PhaseDuration is set, each phase in a time slot
// common to all shards: phase i runs from StartAt + i·PhaseDuration until
// its share of requests has ended or the slot's end, whichever comes
// first; at the slot's end the shard stops issuing, lets the requests in
// flight finish (they are recorded) and waits for the next slot. A phase
// cut short is marked interrupted; a phase whose slot passed before the
// shard reached it runs no request.
//
// Time slots rather than a barrier between phases: a barrier needs every
// shard to reach the coordinator at every phase edge and stalls all of
// them on the slowest or a dead one, while slots need only the common
// clock the shards estimate anyway, and a shard that dies leaves the
// others on time. The cost is choosing a PhaseDuration long enough for a
// phase's requests.
//
// An open-loop phase is split over the shards by thinning one plan-wide
// schedule: every shard draws the whole phase's schedule from the suite's
// seed (workload.OpenPhase.Schedule, the same draw a single process makes)
// and sends only its own requests of it, at their planned offsets from the
// phase's common start. Without a max_concurrency cap, request k goes to
// shard k mod N; with a cap of C, the cap's C slots are dealt to the
// shards round-robin (slot j to shard j mod N, so a shard's cap is its
// share of C, as a concurrency level is split) and request k follows slot
// k mod C, so each shard gets arrivals in proportion to its slots and a
// shard with no slot gets none. The union of the shards' arrivals is then
// exactly the planned schedule — same instants, same requests (a record's
// seq is its plan-wide index, so a mix's profile draws and a trace's
// lengths are the single process's) — which a seeded random split would
// also give; round-robin is chosen because it splits the count exactly
// (shares differ by at most one) where a random split leaves binomial
// imbalance, and because the server sees only the union, so the shards'
// own arrival processes (thinned: Erlang rather than Poisson gaps) carry
// no meaning of their own. A split cap is not the plan's cap: a shard
// whose slots are full holds its next request back even when another
// shard has a free slot, as a split concurrency level does; a cap that is
// a multiple of N splits evenly. Each phase's schedule starts at its slot
// (a single process starts it when the previous phase has ended), so the
// merged arrivals equal the plan's within each phase, offset from the
// slot's start.
//
// A shard's phase line states its share: TargetRate is the plan's rate
// times its share of the slots (1/N without a cap), OfferedRate its
// requests over the plan's schedule span (not its own, which ends up to
// N−1 planned arrivals earlier), AchievedRate its sends over the later of
// its last send's offset and that span; summed over the shards they give
// the plan's target and offered rates (package merge sums them). Its
// records carry the plan's TargetRate, the rate the phase is known by.
//
// A sharded open-loop run needs StartAt (the schedules' common origin) and,
// with more than one phase, PhaseDuration longer than every phase's
// schedule (Sharding.Check): the shards cannot agree when a phase ends
// otherwise.
//
// Slot instants are on the coordinator's clock (StartAt as given); the
// shard converts them with the offset of its first clock estimate in
// Shard.Clock. Without PhaseDuration, phases run back to back from
// StartAt (or at once) and drift apart across shards by as much as the
// shards' phases differ in length.
type Sharding struct {
	// Shard is written to config.json; a "run-end" hook may append the
	// end-of-run clock estimate to Shard.Clock before the final write.
	Shard         record.Shard
	StartAt       time.Time
	PhaseDuration time.Duration
}

// share returns shard i's part of total split over n: equal parts, the
// remainder to the lowest indices.
func share(total, n, i int) int {
	s := total / n
	if i < total%n {
		s++
	}
	return s
}

// SplitPlan returns shard i of n's share of every phase: concurrency split
// over the shards (remainder to the lowest indices), and the phase's
// requests split over the shards that got at least one worker, so that
// summed over the shards both equal the plan. A mixed phase's profile
// sequence is dealt out round-robin over those shards, keeping its mix.
// A shard with no worker in a phase gets it with zero requests.
func SplitPlan(ps []workload.PhasePlan, i, n int) []workload.PhasePlan {
	out := make([]workload.PhasePlan, len(ps))
	for k, p := range ps {
		active := min(p.Concurrency, n)
		q := p
		q.Concurrency = share(p.Concurrency, n, i)
		q.Requests = 0
		q.Mix = nil
		if i < active {
			q.Requests = share(p.Requests, active, i)
			if p.Mix != nil {
				q.Mix = make([]workload.Profile, 0, q.Requests)
				for j := i; j < len(p.Mix); j += active {
					q.Mix = append(q.Mix, p.Mix[j])
				}
			}
		}
		out[k] = q
	}
	return out
}

// plan returns the phases this run executes: the suite's, or this
// shard's share of them.
func (c *Config) plan() []workload.PhasePlan {
	ps := c.Suite.Plan()
	if c.Sharding == nil {
		return ps
	}
	return SplitPlan(ps, c.Sharding.Shard.Index, c.Sharding.Shard.Count)
}

// offset returns the coordinator's clock minus this machine's, from the
// first clock estimate (0 without one).
func (s *Sharding) offset() time.Duration {
	if len(s.Shard.Clock) == 0 {
		return 0
	}
	return time.Duration(s.Shard.Clock[0].OffsetNs)
}

// slot waits until phase i may start and returns the context the phase
// issues its requests under: with PhaseDuration, one that ends with the
// phase's slot. On a nil Sharding it returns ctx at once.
func (s *Sharding) slot(ctx context.Context, i int) (context.Context, context.CancelFunc) {
	start, ok := s.slotStart(i)
	if !ok {
		return ctx, func() {}
	}
	if d := time.Until(start); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if s.PhaseDuration == 0 {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, start.Add(s.PhaseDuration))
}

// openShare is one shard's part of an open-loop phase.
type openShare struct {
	seqs    []int   // plan-wide indices of the requests it sends, in due order
	maxConc int     // its share of the cap; 0 without a cap
	rate    float64 // its share of the plan's target rate
	span    time.Duration
	sharded bool
}

// splitOpen returns shard i of n's share of an open-loop phase whose
// plan-wide schedule is sched and whose cap is maxConc (0: none): see the
// comment above. n = 1 (or i < 0) gives every request.
func splitOpen(sched []workload.Due, maxConc int, rate float64, i, n int) openShare {
	sh := openShare{maxConc: maxConc, rate: rate, sharded: n > 1 || i >= 0}
	if len(sched) > 0 {
		sh.span = sched[len(sched)-1].At
	}
	if n <= 1 || i < 0 {
		sh.seqs = make([]int, len(sched))
		for k := range sched {
			sh.seqs[k] = k
		}
		return sh
	}
	owner := func(k int) int { return k % n }
	if maxConc > 0 {
		sh.maxConc = share(maxConc, n, i)
		sh.rate = rate * float64(sh.maxConc) / float64(maxConc)
		owner = func(k int) int { return (k % maxConc) % n }
	} else {
		sh.rate = rate / float64(n)
	}
	for k := range sched {
		if owner(k) == i {
			sh.seqs = append(sh.seqs, k)
		}
	}
	return sh
}

// openShare returns this run's part of an open-loop phase: all of it
// without sharding.
func (s *Sharding) openShare(sched []workload.Due, op workload.OpenPhase) openShare {
	if s == nil {
		return splitOpen(sched, op.MaxConcurrency, op.TargetRate(), -1, 1)
	}
	return splitOpen(sched, op.MaxConcurrency, op.TargetRate(), s.Shard.Index, s.Shard.Count)
}

// Errors of Sharding.Check.
var (
	// ErrOpenNoStart means a sharded open-loop run without StartAt.
	ErrOpenNoStart = errors.New("a sharded open-loop run needs a common start (--start-at): the shards' schedules are offsets from it")
	// ErrOpenNoSlots means a sharded open-loop run of several phases
	// without PhaseDuration.
	ErrOpenNoSlots = errors.New("a sharded open-loop run of several phases needs --phase-duration: the shards cannot agree when a phase ends otherwise")
	// ErrSlotTooShort means a phase's schedule does not fit its slot.
	ErrSlotTooShort = errors.New("phase schedule longer than its slot")
)

// Check reports whether suite can run sharded as s says: a closed-loop
// suite always can; an open-loop one needs StartAt, PhaseDuration when it
// has more than one phase, and every phase's schedule (drawn here as the
// run will draw it) to end inside its slot. A nil Sharding passes.
func (s *Sharding) Check(suite *workload.Suite) error {
	if s == nil || !suite.OpenLoop() {
		return nil
	}
	plan, err := suite.OpenPlan()
	if err != nil {
		return fmt.Errorf("planning open-loop suite %s: %w", suite.Name, err)
	}
	if s.StartAt.IsZero() {
		return ErrOpenNoStart
	}
	if len(plan) > 1 && s.PhaseDuration <= 0 {
		return fmt.Errorf("%w (suite %s has %d phases)", ErrOpenNoSlots, suite.Name, len(plan))
	}
	if s.PhaseDuration <= 0 {
		return nil
	}
	for i, op := range plan {
		sched, err := op.Schedule()
		if err != nil {
			return fmt.Errorf("scheduling phase %d of suite %s: %w", i, suite.Name, err)
		}
		if n := len(sched); n > 0 && sched[n-1].At >= s.PhaseDuration {
			return fmt.Errorf("%w: phase %d's last request is due at %v, the slot (--phase-duration) is %v; lengthen the slot, leaving room for the last responses",
				ErrSlotTooShort, i, sched[n-1].At.Round(time.Millisecond), s.PhaseDuration)
		}
	}
	return nil
}

// slotStart returns where phase i's slot starts on this machine's clock;
// false when there is no common start for it (no StartAt, or phase i > 0
// without PhaseDuration).
func (s *Sharding) slotStart(i int) (time.Time, bool) {
	if s == nil || s.StartAt.IsZero() || (s.PhaseDuration == 0 && i > 0) {
		return time.Time{}, false
	}
	return s.StartAt.Add(-s.offset()).Add(time.Duration(i) * s.PhaseDuration), true
}
