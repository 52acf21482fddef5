package engine

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

type traceFile struct {
	TraceEvents []struct {
		Ph, Cat, Name string
		Ts, Dur       float64
		Pid, Tid      int
		Args          struct{ Device, Stream int }
	}
	BaseTimeNanoseconds int64
}

func readTrace(t *testing.T, path string) traceFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var tf traceFile
	if err := json.NewDecoder(r).Decode(&tf); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return tf
}

// TestProfileTrace: /start_profile, one request of 1 prefill and 7 decode
// steps, /stop_profile; the file is a kineto-style trace of those steps.
func TestProfileTrace(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "gzip"}[gz], func(t *testing.T) {
			dir := t.TempDir()
			_, url, _ := testServer(t, Config{Speed: 200, ProfileDir: dir, TraceGzip: gz}, false)
			if resp, b := post(t, url+"/stop_profile", ""); resp.StatusCode != 400 {
				t.Errorf("stop before start: %d %s, want 400", resp.StatusCode, b)
			}
			before := time.Now()
			if resp, b := post(t, url+"/start_profile", ""); resp.StatusCode != 200 {
				t.Fatalf("start_profile: %d %s", resp.StatusCode, b)
			}
			post(t, url+"/v1/completions", `{"prompt": "`+strings.Repeat("hi ", 400)+`", "max_tokens": 8}`)
			resp, b := post(t, url+"/stop_profile", "")
			var out struct{ Trace string }
			if err := json.Unmarshal(b, &out); err != nil || resp.StatusCode != 200 {
				t.Fatalf("stop_profile: %d %s", resp.StatusCode, b)
			}
			if !strings.HasPrefix(out.Trace, dir) || strings.HasSuffix(out.Trace, ".gz") != gz {
				t.Errorf("trace written to %s", out.Trace)
			}
			tf := readTrace(t, out.Trace)
			if tf.BaseTimeNanoseconds < before.UnixNano() || tf.BaseTimeNanoseconds > time.Now().UnixNano() {
				t.Errorf("baseTimeNanoseconds %d outside the profile", tf.BaseTimeNanoseconds)
			}
			if want := 8 * (10*28 + 4); len(tf.TraceEvents) != want {
				t.Fatalf("%d kernels, want %d (8 steps)", len(tf.TraceEvents), want)
			}
			last := 0.0
			for i, e := range tf.TraceEvents {
				if e.Ph != "X" || e.Cat != "kernel" || e.Name == "" || e.Tid != 7 || e.Args.Stream != 7 || e.Dur <= 0 {
					t.Fatalf("event %d: %+v", i, e)
				}
				if e.Ts < last-2e-3 { // ts and dur are rounded to ns
					t.Fatalf("event %d starts at %.3f µs before the previous end %.3f", i, e.Ts, last)
				}
				last = e.Ts + e.Dur
			}
			// The first step is the 400-token prefill: its GEMMs dwarf the decode steps'.
			if first, lastGemm := tf.TraceEvents[7].Dur, tf.TraceEvents[len(tf.TraceEvents)-277].Dur; first < 3*lastGemm {
				t.Errorf("gate_up GEMM: prefill %.1f µs, decode %.1f µs", first, lastGemm)
			}
		})
	}
}

func TestStartServesOnLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, Config{Speed: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") || srv.ModelName() != "Qwen/Qwen2.5-7B-Instruct" {
		t.Errorf("URL %s, model %s", srv.URL(), srv.ModelName())
	}
	resp, err := http.Get(srv.URL() + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()
	post(t, srv.URL()+"/v1/completions", `{"prompt": "hi", "max_tokens": 20}`)
	// An idle loop blocks on its inbox: no wakeups while nothing happens.
	for deadline := time.Now().Add(30 * time.Second); !srv.loop.idle.Load(); { // hang guard
		if time.Now().After(deadline) {
			t.Fatal("the loop never went idle")
		}
		time.Sleep(time.Millisecond)
	}
	w := srv.loop.wakeups.Load()
	time.Sleep(50 * time.Millisecond)
	if got := srv.loop.wakeups.Load(); got != w {
		t.Errorf("idle loop woke %d times", got-w)
	}
	cancel() // cancelling Start's context closes the server
	<-srv.loop.done
	if err := srv.Close(); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
	if _, err := http.Get(srv.URL() + "/health"); err == nil {
		t.Error("server still answers after its context ended")
	}
}

// TestClientDisconnectAborts: a client that goes away frees its request.
func TestClientDisconnectAborts(t *testing.T) {
	_, url, _ := testServer(t, Config{Speed: 1}, false)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/completions",
		strings.NewReader(`{"prompt": "hi", "max_tokens": 3000, "stream": true}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	lbl := `{engine="0",finished_reason="abort",model_name="Qwen/Qwen2.5-7B-Instruct"}`
	deadline := time.Now().Add(30 * time.Second) // a hang guard, not a speed check
	for scrape(t, url)["vllm:request_success_total"+lbl] != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the aborted request was never counted")
		}
		time.Sleep(5 * time.Millisecond)
	}
	m := scrape(t, url)
	for _, g := range []string{"vllm:num_requests_running", "vllm:kv_cache_usage_perc"} {
		if v := m[g+`{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"}`]; v != 0 {
			t.Errorf("%s = %g after the only request was aborted", g, v)
		}
	}
}
