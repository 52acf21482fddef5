package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestStartBarrier drives the barrier's handler with a fixed clock: check-ins
// before the last are answered 202 with the count so far once the hold
// ends; the last fixes the start at its instant + delay and every shard,
// asking again or late, gets that same start; a shard of another count,
// an index out of range and a malformed query are refused.
func TestStartBarrier(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	b := newStartBarrier(0, 7*time.Second, 10*time.Millisecond, clock)
	srv := httptest.NewServer(b)
	defer srv.Close()
	ask := func(query string) (int, startReply) {
		t.Helper()
		resp, err := http.Get(srv.URL + StartPath + "?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rep startReply
		body, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatalf("%s: %v in %q", query, err, body)
		}
		return resp.StatusCode, rep
	}
	if code, rep := ask("shard=0&count=3"); code != http.StatusAccepted || rep.CheckedIn != 1 || rep.Count != 3 || rep.StartAt != "" {
		t.Errorf("first check-in: %d %+v", code, rep)
	}
	if code, rep := ask("shard=0&count=3"); code != http.StatusAccepted || rep.CheckedIn != 1 {
		t.Errorf("the same shard again counts once: %d %+v", code, rep)
	}
	if code, rep := ask("shard=1&count=4"); code != http.StatusConflict || rep.Error == "" {
		t.Errorf("another count: %d %+v", code, rep)
	}
	for _, q := range []string{"shard=3&count=3", "shard=-1&count=3", "shard=x&count=3", "count=3", ""} {
		if code, _ := ask(q); code != http.StatusBadRequest {
			t.Errorf("%q: %d, want 400", q, code)
		}
	}
	if code, _ := ask("shard=1&count=3"); code != http.StatusAccepted {
		t.Errorf("second check-in: %d", code)
	}
	mu.Lock()
	now = now.Add(time.Minute) // the last shard checks in a minute later
	last := now
	mu.Unlock()
	want := last.Add(7 * time.Second).Format(time.RFC3339Nano)
	if code, rep := ask("shard=2&count=3"); code != http.StatusOK || rep.StartAt != want || rep.CheckedIn != 3 {
		t.Errorf("last check-in: %d %+v, want start %s", code, rep, want)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if code, rep := ask("shard=0&count=3"); code != http.StatusOK || rep.StartAt != want {
		t.Errorf("asking again later: %d %+v, want the same start %s", code, rep, want)
	}
}

// TestWaitStart runs four shards' waitStart against one barrier at once
// (each shard held and asking again until the last arrives): all get the
// same start; a shard of another count is refused at once, not retried.
func TestWaitStart(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newStartBarrier(4, time.Second, 20*time.Millisecond, nil))
	defer srv.Close()
	const n = 4
	starts := make([]time.Time, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 30 * time.Millisecond) // arrive one by one, each held past a hold
			starts[i], errs[i] = waitStart(context.Background(), srv.URL+"/", i, n, time.Minute, io.Discard)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !starts[i].Equal(starts[0]) || starts[i].IsZero() {
			t.Errorf("shard %d: start %v, %v; shard 0: %v", i, starts[i], errs[i], starts[0])
		}
	}
	if _, err := waitStart(context.Background(), srv.URL, 0, 5, time.Minute, io.Discard); !errors.Is(err, errBarrier) {
		t.Errorf("shard of another count: %v, want a refusal", err)
	}
	if _, err := waitStart(context.Background(), "http://127.0.0.1:1", 0, 2, 50*time.Millisecond, io.Discard); err == nil {
		t.Error("no coordinator: no error")
	}
}
