package clocksync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hypobench/hypobench/record"
)

// Path is the coordinator's endpoint for the exchange.
const Path = "/clock"

// DefaultSamples is how many exchanges Estimate makes when Options.Samples
// is zero.
const DefaultSamples = 8

// Reply is the coordinator's answer: t1 and t2 of the exchange, in
// nanoseconds since the Unix epoch on the coordinator's wall clock.
type Reply struct {
	RecvUnixNs int64 `json:"recv_unix_ns"` // t1
	SendUnixNs int64 `json:"send_unix_ns"` // t2
}

// Handler serves the coordinator's side of the exchange at any path it is
// mounted on: GET returns a Reply as JSON. now is the coordinator's clock
// (time.Now when nil).
func Handler(now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t1 := now()
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		t2 := now()
		b, _ := json.Marshal(Reply{RecvUnixNs: t1.UnixNano(), SendUnixNs: t2.UnixNano()})
		w.Write(b)
	})
}

// Sample is one exchange's result.
type Sample struct {
	At     time.Time     // t0 on the shard's clock
	Offset time.Duration // coordinator − shard
	Delay  time.Duration // round trip less the coordinator's hold time
}

// Compute returns the sample of one exchange from its four timestamps; t0
// and t3 are the shard's (their difference uses the monotonic reading
// when both carry one), t1 and t2 the coordinator's, in Unix nanoseconds.
func Compute(t0 time.Time, t1, t2 int64, t3 time.Time) Sample {
	w0, w3 := t0.UnixNano(), t3.UnixNano()
	return Sample{
		At:     t0,
		Offset: time.Duration(((t1 - w0) + (t2 - w3)) / 2),
		Delay:  t3.Sub(t0) - time.Duration(t2-t1),
	}
}

// Options tunes Estimate. The zero value makes DefaultSamples exchanges
// with a private client on the real clock.
type Options struct {
	// Samples is how many exchanges to make (DefaultSamples when zero).
	Samples int
	// Label is copied into the estimate ("start", "end").
	Label string
	// Client makes the requests (a client with its own keep-alive
	// transport when nil).
	Client *http.Client
	// Now is the shard's clock (time.Now when nil). A test injects a
	// clock offset into a shard by shifting it, as Skewed does.
	Now func() time.Time
}

// ErrNoSample is returned when no exchange completed.
var ErrNoSample = errors.New("no clock exchange completed")

// Estimate makes opts.Samples exchanges with the coordinator at baseURL
// (its Path is appended) and returns the one with the smallest delay as a
// record.ClockEstimate. Exchanges that fail are skipped as long as one
// succeeds; if none does, the error wraps ErrNoSample and the last failure.
func Estimate(ctx context.Context, baseURL string, opts Options) (record.ClockEstimate, error) {
	n := opts.Samples
	if n <= 0 {
		n = DefaultSamples
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
		defer client.CloseIdleConnections()
	}
	url := strings.TrimSuffix(baseURL, "/") + Path
	var (
		best    Sample
		got     int
		lastErr error
	)
	for range n {
		if err := ctx.Err(); err != nil {
			lastErr = err
			break
		}
		s, err := exchange(ctx, client, url, now)
		if err != nil {
			lastErr = err
			continue
		}
		if got == 0 || s.Delay < best.Delay {
			best = s
		}
		got++
	}
	if got == 0 {
		return record.ClockEstimate{}, fmt.Errorf("clock exchange with %s: %w: %v", url, ErrNoSample, lastErr)
	}
	return record.ClockEstimate{
		Label: opts.Label, AtUnixNs: best.At.UnixNano(),
		OffsetNs: int64(best.Offset), DelayNs: int64(best.Delay), Samples: got,
	}, nil
}

func exchange(ctx context.Context, client *http.Client, url string, now func() time.Time) (Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Sample{}, err
	}
	t0 := now()
	resp, err := client.Do(req)
	if err != nil {
		return Sample{}, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	t3 := now()
	resp.Body.Close()
	if err != nil {
		return Sample{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Sample{}, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	var r Reply
	if err := json.Unmarshal(body, &r); err != nil {
		return Sample{}, fmt.Errorf("GET %s: decoding reply: %w", url, err)
	}
	if r.RecvUnixNs == 0 || r.SendUnixNs < r.RecvUnixNs {
		return Sample{}, fmt.Errorf("GET %s: reply has no valid timestamps: %s", url, body)
	}
	s := Compute(t0, r.RecvUnixNs, r.SendUnixNs, t3)
	if s.Delay < 0 {
		return Sample{}, fmt.Errorf("GET %s: negative delay %v (the coordinator's clock stepped)", url, s.Delay)
	}
	return s, nil
}

// Skewed returns a clock that reads d later than time.Now (earlier for a
// negative d), keeping the monotonic reading: the test hook that injects
// a clock offset into a shard. A shard on it is estimated at offset −d.
func Skewed(d time.Duration) func() time.Time {
	return func() time.Time { return time.Now().Add(d) }
}
