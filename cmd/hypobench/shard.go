package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hypobench/hypobench/clocksync"
	"github.com/hypobench/hypobench/record"
	hrun "github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/workload"
)

// shardFlags are `hypobench run`'s flags for one shard of a sharded run.
type shardFlags struct {
	shard         string
	coordinator   string
	startAt       string
	phaseDuration time.Duration
	// coordinatorWait bounds the retries of the first clock exchange (the
	// coordinator's pod may start after the shards').
	coordinatorWait time.Duration
	// startWait bounds the wait at the coordinator's start barrier.
	startWait time.Duration
}

func addShardFlags(fs *flag.FlagSet) *shardFlags {
	f := &shardFlags{}
	fs.StringVar(&f.shard, "shard", "", "run shard i of N (i from 0, as JOB_COMPLETION_INDEX): its share of every phase; needs --target")
	fs.StringVar(&f.coordinator, "coordinator", "", "URL of `hypobench coordinator`: the clock the shards estimate their offsets against at start and end")
	fs.StringVar(&f.startAt, "start-at", "", "common instant (RFC 3339, on the coordinator's clock) the first phase starts, or \"coordinator\": wait at the coordinator's start barrier until every shard is ready")
	fs.DurationVar(&f.startWait, "start-wait", 30*time.Minute, "with --start-at coordinator, how long to wait for the other shards")
	fs.DurationVar(&f.phaseDuration, "phase-duration", 0, "time-box every phase to this slot so phases stay aligned across shards (needs --start-at)")
	fs.DurationVar(&f.coordinatorWait, "coordinator-wait", 2*time.Minute, "how long to retry the coordinator before giving up")
	return f
}

// ParseShard parses "i/N" with 0 ≤ i < N.
func ParseShard(s string) (index, count int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		index, err = strconv.Atoi(a)
		if err == nil {
			count, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || count < 1 || index < 0 || index >= count {
		return 0, 0, fmt.Errorf("--shard %q: want i/N with 0 ≤ i < N, e.g. 0/4", s)
	}
	return index, count, nil
}

// setup checks the flags and whether suite can run sharded as they say
// (run.Sharding.Check), then, for a shard, takes the start-of-run clock
// estimate and, with --start-at coordinator, waits at the coordinator's
// start barrier for the common start. It returns nil, nil when --shard
// was not given, and the "run-end" hook that takes the end estimate
// otherwise.
func (f *shardFlags) setup(ctx context.Context, env hrun.Env, suite *workload.Suite, stderr io.Writer) (*hrun.Sharding, hrun.Hook, error) {
	if f.shard == "" {
		if f.coordinator != "" || f.startAt != "" || f.phaseDuration != 0 {
			return nil, nil, errors.New("--coordinator, --start-at and --phase-duration need --shard i/N")
		}
		return nil, nil, nil
	}
	index, count, err := ParseShard(f.shard)
	if err != nil {
		return nil, nil, err
	}
	if env.Target == "" {
		return nil, nil, errors.New("--shard needs --target (or HYPOBENCH_TARGET): shards each starting an embedded engine would be N runs against N servers, not one run")
	}
	sh := &hrun.Sharding{Shard: record.Shard{Index: index, Count: count, Coordinator: f.coordinator}, PhaseDuration: f.phaseDuration}
	barrier := f.startAt == StartAtCoordinator
	switch {
	case barrier && f.coordinator == "":
		return nil, nil, errors.New("--start-at coordinator needs --coordinator")
	case barrier:
		// A stand-in until the barrier answers: Check needs only to know
		// that there will be a common start.
		sh.StartAt = time.Now()
	case f.startAt != "":
		if sh.StartAt, err = time.Parse(time.RFC3339Nano, f.startAt); err != nil {
			return nil, nil, fmt.Errorf("--start-at: want an RFC 3339 instant or %q: %w", StartAtCoordinator, err)
		}
	}
	if f.phaseDuration < 0 {
		return nil, nil, errors.New("--phase-duration must not be negative")
	}
	if f.phaseDuration > 0 && sh.StartAt.IsZero() {
		return nil, nil, errors.New("--phase-duration needs --start-at: the slots are counted from a common instant")
	}
	if err := sh.Check(suite); err != nil {
		return nil, nil, err
	}
	if f.coordinator == "" {
		if count > 1 {
			fmt.Fprintln(stderr, "hypobench: no --coordinator: this shard's clock offset is unknown and the merge will merge its times uncorrected")
		}
		return sh, nil, nil
	}
	est, err := estimateRetrying(ctx, f.coordinator, "start", f.coordinatorWait)
	if err != nil {
		return nil, nil, err
	}
	sh.Shard.Clock = append(sh.Shard.Clock, est)
	fmt.Fprintf(stderr, "hypobench: shard %d/%d: clock offset %+.3f ms ±%.3f ms against %s\n",
		index, count, float64(est.OffsetNs)/1e6, float64(est.DelayNs)/2e6, f.coordinator)
	if barrier {
		if sh.StartAt, err = waitStart(ctx, f.coordinator, index, count, f.startWait, stderr); err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(stderr, "hypobench: shard %d/%d: every shard is ready; the run starts at %s (coordinator's clock)\n",
			index, count, sh.StartAt.Format(time.RFC3339Nano))
	}
	end := func(ctx context.Context, p record.Phase, edge string) error {
		if edge != "run-end" {
			return nil
		}
		est, err := clocksync.Estimate(ctx, f.coordinator, clocksync.Options{Label: "end"})
		if err != nil {
			return err
		}
		sh.Shard.Clock = append(sh.Shard.Clock, est)
		return nil
	}
	return sh, end, nil
}

// estimateRetrying retries the exchange once a second until it succeeds or
// wait has passed.
func estimateRetrying(ctx context.Context, url, label string, wait time.Duration) (record.ClockEstimate, error) {
	deadline := time.Now().Add(wait)
	for {
		est, err := clocksync.Estimate(ctx, url, clocksync.Options{Label: label})
		if err == nil {
			return est, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return est, fmt.Errorf("--coordinator: %w", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
