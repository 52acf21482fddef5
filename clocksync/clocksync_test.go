package clocksync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestCompute checks the two formulas on hand-made timestamps: a shard
// 5 s behind the coordinator, 3 ms out and 1 ms back, held 2 ms.
func TestCompute(t *testing.T) {
	t.Parallel()
	base := time.Unix(1_800_000_000, 0)
	t0 := base
	t1 := base.Add(5*time.Second + 3*time.Millisecond).UnixNano() // coordinator is 5 s ahead; 3 ms out
	t2 := t1 + int64(2*time.Millisecond)                          // held 2 ms
	t3 := base.Add(6 * time.Millisecond)                          // 1 ms back: 3 + 2 + 1
	s := Compute(t0, t1, t2, t3)
	if s.Delay != 4*time.Millisecond {
		t.Errorf("delay = %v, want 4ms", s.Delay)
	}
	// Asymmetric paths (3 ms out, 1 ms back) bias the estimate by half the
	// difference, 1 ms, which is within ±delay/2.
	if want := 5*time.Second + time.Millisecond; s.Offset != want {
		t.Errorf("offset = %v, want %v", s.Offset, want)
	}
}

// TestEstimateDetectsInjectedSkew runs the exchange against a real
// coordinator on loopback with the shard's clock shifted by the test hook;
// the estimate must recover the shift to within the kept delay.
func TestEstimateDetectsInjectedSkew(t *testing.T) {
	srv := httptest.NewServer(Handler(nil))
	defer srv.Close()
	for _, skew := range []time.Duration{0, 250 * time.Millisecond, -3 * time.Second} {
		est, err := Estimate(context.Background(), srv.URL, Options{Samples: 6, Now: Skewed(skew), Label: "start"})
		if err != nil {
			t.Fatal(err)
		}
		if est.Samples != 6 || est.Label != "start" {
			t.Errorf("skew %v: estimate %+v: want 6 samples labelled start", skew, est)
		}
		if est.DelayNs < 0 {
			t.Errorf("skew %v: negative delay %d", skew, est.DelayNs)
		}
		// The true offset is −skew; the estimate is within delay/2 of it
		// (plus 1 µs for rounding to nanoseconds).
		errNs := est.OffsetNs + int64(skew)
		if errNs < 0 {
			errNs = -errNs
		}
		if errNs > est.DelayNs/2+1000 {
			t.Errorf("skew %v: offset %v, off by %v, more than delay/2 = %v", skew,
				time.Duration(est.OffsetNs), time.Duration(errNs), time.Duration(est.DelayNs/2))
		}
	}
}

// TestEstimateKeepsMinimumDelay serves replies whose hold time varies so
// that the samples' delays differ; the estimate must be the smallest.
func TestEstimateKeepsMinimumDelay(t *testing.T) {
	var n atomic.Int64
	h := Handler(nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 1 { // odd requests sit in "the network" for 200 ms before the coordinator sees them
			time.Sleep(200 * time.Millisecond)
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	est, err := Estimate(context.Background(), srv.URL, Options{Samples: 4})
	if err != nil {
		t.Fatal(err)
	}
	if est.DelayNs >= int64(200*time.Millisecond) {
		t.Errorf("kept delay %v: the 200 ms samples should have been discarded", time.Duration(est.DelayNs))
	}
}

func TestEstimateErrors(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"recv_unix_ns":0}`))
	}))
	defer bad.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	for name, url := range map[string]string{"bad reply": bad.URL, "no server": gone.URL} {
		_, err := Estimate(context.Background(), url, Options{Samples: 2})
		if !errors.Is(err, ErrNoSample) {
			t.Errorf("%s: err = %v, want ErrNoSample", name, err)
		}
	}
	post := httptest.NewRecorder()
	Handler(nil).ServeHTTP(post, httptest.NewRequest(http.MethodPost, Path, nil))
	if post.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST %s = %d, want 405", Path, post.Code)
	}
}
