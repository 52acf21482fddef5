package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StartPath is the coordinator's start-barrier endpoint.
const StartPath = "/start"

// StartAtCoordinator is the value of `run --start-at` that asks the
// coordinator for the common start instead of taking one baked into the
// command line.
const StartAtCoordinator = "coordinator"

// startReply is the barrier's answer: the start instant once every shard
// has checked in (StartAt, RFC 3339 on the coordinator's clock), else how
// many have.
type startReply struct {
	StartAt   string `json:"start_at,omitempty"`
	Count     int    `json:"count"`
	CheckedIn int    `json:"checked_in"`
	Error     string `json:"error,omitempty"`
}

// startBarrier hands out a sharded run's common start. Each shard checks
// in with GET /start?shard=i&count=N; the request is held (up to hold)
// until all N distinct indices have checked in, when the start is fixed
// once at the coordinator's now + delay and every waiting and later
// check-in is answered with it (200). A request still waiting after hold
// is answered 202 with the count so far, and the shard asks again, so no
// proxy's idle timeout cuts a long wait. The start stays fixed: a shard
// that asks again (a retried request, a late pod) gets the same instant,
// even once it has passed — it then starts late and its phase slots say
// so. A count other than the run's (the coordinator's --shards, or the
// first check-in's) or an index out of range is refused (409, 400).
//
// Why a barrier at the start only: --start-at baked into the manifests
// must be chosen before the pods are scheduled, and a guess too early
// starts shards before the others exist, one too late idles them all;
// the barrier starts the run delay after the last shard is ready. The
// phases after it stay on time slots (run.Sharding), which need no
// coordinator.
type startBarrier struct {
	delay time.Duration
	hold  time.Duration
	now   func() time.Time

	mu    sync.Mutex
	count int
	in    map[int]bool
	start time.Time
	done  chan struct{}
}

func newStartBarrier(count int, delay, hold time.Duration, now func() time.Time) *startBarrier {
	if now == nil {
		now = time.Now
	}
	return &startBarrier{delay: delay, hold: hold, now: now, count: count, in: map[int]bool{}, done: make(chan struct{})}
}

func (b *startBarrier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(code int, rep startReply) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(rep)
	}
	if r.Method != http.MethodGet {
		reply(http.StatusMethodNotAllowed, startReply{Error: "GET only"})
		return
	}
	q := r.URL.Query()
	index, err1 := strconv.Atoi(q.Get("shard"))
	count, err2 := strconv.Atoi(q.Get("count"))
	if err1 != nil || err2 != nil || count < 1 || index < 0 || index >= count {
		reply(http.StatusBadRequest, startReply{Error: fmt.Sprintf("want ?shard=i&count=N with 0 ≤ i < N, got shard=%q count=%q", q.Get("shard"), q.Get("count"))})
		return
	}
	b.mu.Lock()
	if b.count == 0 {
		b.count = count
	}
	if count != b.count {
		n := b.count
		b.mu.Unlock()
		reply(http.StatusConflict, startReply{Count: n, Error: fmt.Sprintf("this run has %d shards; shard %d/%d belongs to another plan", n, index, count)})
		return
	}
	b.in[index] = true
	if len(b.in) == b.count && b.start.IsZero() {
		b.start = b.now().Add(b.delay)
		close(b.done)
	}
	b.mu.Unlock()
	t := time.NewTimer(b.hold)
	defer t.Stop()
	select {
	case <-b.done:
	case <-t.C:
	case <-r.Context().Done():
		return
	}
	b.mu.Lock()
	rep := startReply{Count: b.count, CheckedIn: len(b.in)}
	if !b.start.IsZero() {
		rep.StartAt = b.start.UTC().Format(time.RFC3339Nano)
	}
	b.mu.Unlock()
	if rep.StartAt == "" {
		reply(http.StatusAccepted, rep)
		return
	}
	reply(http.StatusOK, rep)
}

// errBarrier marks the barrier's refusals, which a retry cannot mend.
var errBarrier = errors.New("start barrier refused the shard")

// waitStart checks shard index of count in at the coordinator's barrier
// and returns the common start (on the coordinator's clock), asking again
// while the barrier answers that shards are missing and retrying failed
// connections once a second; it gives up after wait.
func waitStart(ctx context.Context, base string, index, count int, wait time.Duration, stderr io.Writer) (time.Time, error) {
	u := strings.TrimSuffix(base, "/") + StartPath + "?" + url.Values{"shard": {strconv.Itoa(index)}, "count": {strconv.Itoa(count)}}.Encode()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	said := -1
	for {
		rep, code, err := askStart(ctx, u)
		switch {
		case err == nil && code == http.StatusOK:
			at, perr := time.Parse(time.RFC3339Nano, rep.StartAt)
			if perr != nil {
				return time.Time{}, fmt.Errorf("start barrier at %s: start_at %q: %w", base, rep.StartAt, perr)
			}
			return at, nil
		case err == nil && code == http.StatusAccepted:
			if rep.CheckedIn != said {
				fmt.Fprintf(stderr, "hypobench: shard %d/%d: %d of %d shards ready; waiting for the rest\n", index, count, rep.CheckedIn, rep.Count)
				said = rep.CheckedIn
			}
			continue
		case err == nil:
			return time.Time{}, fmt.Errorf("%w: %s answered %d: %s", errBarrier, base, code, rep.Error)
		}
		if ctx.Err() != nil {
			return time.Time{}, fmt.Errorf("start barrier at %s: not every shard checked in within %s (--start-wait): %w", base, wait, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func askStart(ctx context.Context, u string) (startReply, int, error) {
	var rep startReply
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return rep, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rep, 0, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&rep); err != nil {
		return rep, 0, fmt.Errorf("start barrier reply (HTTP %d): %w", resp.StatusCode, err)
	}
	return rep, resp.StatusCode, nil
}
