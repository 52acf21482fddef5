package run

import (
	"context"
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
	if s == nil || (s.StartAt.IsZero() && s.PhaseDuration == 0) {
		return ctx, func() {}
	}
	start := s.StartAt.Add(-s.offset()) // on this machine's clock
	if s.PhaseDuration > 0 {
		start = start.Add(time.Duration(i) * s.PhaseDuration)
	} else if i > 0 {
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
