package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer serves cfg's engine on httptest. With paused, the step loop
// starts only when release is called, so requests sent before it arrive
// in the same step whatever the machine's load.
func testServer(t *testing.T, cfg Config, paused bool) (s *Server, url string, release func()) {
	t.Helper()
	cfg, info, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	s = newServer(cfg, info, systemClock{})
	ts := httptest.NewServer(s.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	release = func() { once.Do(func() { go s.loop.run(ctx) }) }
	if !paused {
		release()
	}
	t.Cleanup(func() {
		release()
		cancel()
		<-s.loop.done
		ts.Close()
	})
	return s, ts.URL, release
}

func post(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// sseEvents returns the data payloads of an SSE body.
func sseEvents(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "data: ") {
			out = append(out, strings.TrimPrefix(line, "data: "))
		}
	}
	return out
}

func keysOf(m map[string]any) string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return strings.Join(k, ",")
}

func TestStreamingCompletions(t *testing.T) {
	_, url, _ := testServer(t, Config{Speed: 1000}, false)
	prompt := "[n1] " + strings.Repeat("hi ", 40)
	resp, body := post(t, url+"/v1/completions", fmt.Sprintf(`{"model": "Qwen/Qwen2.5-7B-Instruct", "prompt": %q,
		"max_tokens": 37, "ignore_eos": true, "stream": true, "stream_options": {"include_usage": true}}`, prompt))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ev := sseEvents(t, body)
	if len(ev) != 37+2 || ev[len(ev)-1] != "[DONE]" {
		t.Fatalf("%d events, last %q; want 37 tokens, usage, [DONE]", len(ev), ev[len(ev)-1])
	}
	for i, e := range ev[:37] {
		var m map[string]any
		if err := json.Unmarshal([]byte(e), &m); err != nil {
			t.Fatal(err)
		}
		if got := keysOf(m); got != "choices,created,hb_sim_ns,id,model,object" {
			t.Fatalf("event %d keys %s", i, got)
		}
		c := m["choices"].([]any)[0].(map[string]any)
		if got := keysOf(c); got != "finish_reason,index,logprobs,stop_reason,text" || m["object"] != "text_completion" {
			t.Fatalf("event %d choice keys %s, object %v", i, got, m["object"])
		}
		if fr := c["finish_reason"]; (i < 36 && fr != nil) || (i == 36 && fr != "length") {
			t.Errorf("event %d finish_reason %v", i, fr)
		}
	}
	var u struct {
		Choices []any
		Usage   usage
	}
	if err := json.Unmarshal([]byte(ev[37]), &u); err != nil || u.Choices == nil || len(u.Choices) != 0 {
		t.Fatalf("usage event %s: %v", ev[37], err)
	}
	_, tb := post(t, url+"/tokenize", fmt.Sprintf(`{"prompt": %q}`, prompt))
	var tok struct{ Count int }
	json.Unmarshal(tb, &tok)
	if u.Usage.CompletionTokens != 37 || u.Usage.PromptTokens != tok.Count || u.Usage.TotalTokens != tok.Count+37 {
		t.Errorf("usage %+v, /tokenize count %d", u.Usage, tok.Count)
	}
}

// TestSimStamps checks the "hb_sim_ns" stamps against the virtual-time
// core: a lone request's stamps never run ahead of the simulated timeline
// (a late host only adds virtual time, never removes it), they rise with
// every token, the usage event has none, and NoSimStamps leaves exactly
// vLLM's keys.
func TestSimStamps(t *testing.T) {
	const maxTokens = 20
	prompt := "[n2] " + strings.Repeat("hi ", 300)
	body := fmt.Sprintf(`{"model": "Qwen/Qwen2.5-7B-Instruct", "prompt": %q, "max_tokens": %d, "ignore_eos": true,
		"stream": true, "stream_options": {"include_usage": true}}`, prompt, maxTokens)
	srv, url, _ := testServer(t, Config{Speed: 20}, false)
	_, b := post(t, url+"/v1/completions", body)
	ev := sseEvents(t, b)
	if len(ev) != maxTokens+2 {
		t.Fatalf("%d events, want %d", len(ev), maxTokens+2)
	}
	stamps := make([]int64, maxTokens)
	for i, e := range ev[:maxTokens] {
		var m struct {
			SimNs *int64 `json:"hb_sim_ns"`
		}
		if err := json.Unmarshal([]byte(e), &m); err != nil || m.SimNs == nil {
			t.Fatalf("event %d has no hb_sim_ns stamp: %s", i, e)
		}
		stamps[i] = *m.SimNs
		if i > 0 && stamps[i] <= stamps[i-1] {
			t.Fatalf("stamp %d (%d ns) does not rise after %d ns", i, stamps[i], stamps[i-1])
		}
	}
	if strings.Contains(ev[maxTokens], "hb_sim_ns") {
		t.Errorf("usage event carries a stamp: %s", ev[maxTokens])
	}
	var tok struct{ Count int }
	_, tb := post(t, url+"/tokenize", fmt.Sprintf(`{"prompt": %q}`, prompt))
	json.Unmarshal(tb, &tok)
	info := srv.Describe()
	sim, _, err := Simulate(Config{Spec: info.GPU.Name + ":" + info.Model.Name, FrontEnd: &FrontEnd{}},
		[]SimRequest{{PromptTokens: tok.Count, MaxTokens: maxTokens, IgnoreEOS: true, Key: 1}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ttft, decode := sim[0].EngineFirstToken-sim[0].EngineArrival, sim[0].EngineEnd-sim[0].EngineFirstToken
	if got := time.Duration(stamps[0]); got < ttft {
		t.Errorf("first stamp %v is earlier than the core's TTFT %v", got, ttft)
	}
	if got := time.Duration(stamps[maxTokens-1] - stamps[0]); got < decode {
		t.Errorf("stamps span %v from first to last token, less than the core's %v", got, decode)
	}

	_, url, _ = testServer(t, Config{Speed: 1000, NoSimStamps: true}, false)
	_, b = post(t, url+"/v1/completions", body)
	for i, e := range sseEvents(t, b)[:maxTokens] {
		if strings.Contains(e, "hb_sim_ns") {
			t.Fatalf("event %d is stamped with NoSimStamps: %s", i, e)
		}
	}
}

func TestStreamingChat(t *testing.T) {
	_, url, _ := testServer(t, Config{Speed: 1000}, false)
	_, body := post(t, url+"/v1/chat/completions", `{"messages": [{"role": "user", "content": "hi hi hi"}],
		"max_tokens": 5, "stream": true}`)
	ev := sseEvents(t, body)
	if len(ev) != 1+5+1 || ev[6] != "[DONE]" {
		t.Fatalf("events %q; want role, 5 tokens, [DONE] (no usage without include_usage)", ev)
	}
	var first struct {
		Object  string
		Choices []struct{ Delta map[string]any }
	}
	json.Unmarshal([]byte(ev[0]), &first)
	if first.Object != "chat.completion.chunk" || first.Choices[0].Delta["role"] != "assistant" {
		t.Errorf("first chunk %s", ev[0])
	}
	if !strings.Contains(ev[5], `"finish_reason":"length"`) {
		t.Errorf("last token chunk %s", ev[5])
	}
}

func TestNonStreaming(t *testing.T) {
	_, url, _ := testServer(t, Config{Speed: 1000}, false)
	for _, tc := range []struct{ path, body, object string }{
		{"/v1/completions", `{"prompt": "hi hi", "max_tokens": 9, "ignore_eos": true}`, "text_completion"},
		{"/v1/chat/completions", `{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 9}`, "chat.completion"},
	} {
		t.Run(tc.object, func(t *testing.T) {
			resp, b := post(t, url+tc.path, tc.body)
			var r struct {
				Object  string
				Choices []struct {
					Text         string
					Message      struct{ Content string }
					FinishReason string `json:"finish_reason"`
				}
				Usage usage
			}
			if err := json.Unmarshal(b, &r); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
			}
			text := r.Choices[0].Text + r.Choices[0].Message.Content
			if r.Object != tc.object || r.Usage.CompletionTokens != 9 || CountTokens(text) != 9 || r.Choices[0].FinishReason != "length" {
				t.Errorf("response %s", b)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	_, url, _ := testServer(t, Config{Speed: 1000, MaxRequestBytes: 64 << 10}, false)
	long := strings.Repeat("hi ", 4200)
	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"bad json", "POST", "/v1/completions", `{"prompt": `, 400, "JSON"},
		{"unknown model", "POST", "/v1/completions", `{"model": "gpt-9", "prompt": "hi"}`, 404, "The model `gpt-9` does not exist."},
		{"too long", "POST", "/v1/completions", `{"prompt": "hi hi", "max_tokens": 4095}`, 400,
			"'max_tokens' or 'max_completion_tokens' is too large: 4095. This model's maximum context length is 4096 tokens and your request has 2 input tokens (4095 > 4096 - 2)."},
		{"prompt too long", "POST", "/v1/completions", fmt.Sprintf(`{"prompt": %q}`, long), 400,
			"This model's maximum context length is 4096 tokens. However, your request has 4201 input tokens."},
		{"body too large", "POST", "/v1/completions", fmt.Sprintf(`{"prompt": %q}`, long+long+long+long+long+long), 413, "exceeds"},
		{"empty prompt", "POST", "/v1/completions", `{"prompt": ""}`, 400, "empty"},
		{"n=2", "POST", "/v1/completions", `{"prompt": "hi", "n": 2}`, 400, "n=2"},
		{"zero max_tokens", "POST", "/v1/chat/completions", `{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}`, 400, "at least 1"},
		{"GET completions", "GET", "/v1/completions", "", 405, "POST"},
		{"no such path", "GET", "/v2/x", "", 404, "Not Found"},
		{"profiler off", "POST", "/start_profile", "", 400, "profiler is not enabled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, url+tc.path, strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct {
				Error struct {
					Message string
					Type    string
					Code    int
				}
			}
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatalf("status %d, body not an error object: %v", resp.StatusCode, err)
			}
			if resp.StatusCode != tc.status || e.Error.Code != tc.status || e.Error.Type == "" {
				t.Errorf("status %d, error %+v; want %d", resp.StatusCode, e.Error, tc.status)
			}
			if !strings.Contains(e.Error.Message, tc.contains) {
				t.Errorf("message %q does not contain %q", e.Error.Message, tc.contains)
			}
		})
	}
}

var metricLine = regexp.MustCompile(`^([a-zA-Z0-9_:]+)\{([^}]*)\} (\S+)$`)

// scrape returns /metrics samples keyed by "name{labels}".
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if m := metricLine.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[3], 64)
			out[m[1]+"{"+m[2]+"}"] = v
		}
	}
	return out
}

// TestPreemptionsInMetrics: four requests of 2020 tokens in a 4096-token
// KV cache must preempt, and /metrics must say so.
func TestPreemptionsInMetrics(t *testing.T) {
	s, url, release := testServer(t, Config{Speed: 500, NumGPUBlocksOverride: 256}, true)
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, b := post(t, url+"/v1/completions", fmt.Sprintf(`{"prompt": "[%d] hi hi", "max_tokens": 2000,
				"ignore_eos": true, "stream": true}`, i))
			counts[i] = len(sseEvents(t, b)) - 1
		}()
	}
	for len(s.loop.inbox) < 4 {
		time.Sleep(time.Millisecond)
	}
	release()
	wg.Wait()
	for i, n := range counts {
		if n != 2000 {
			t.Errorf("request %d streamed %d tokens, want 2000", i, n)
		}
	}
	m := scrape(t, url)
	lbl := `engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"`
	if m["vllm:num_preemptions_total{"+lbl+"}"] == 0 {
		t.Errorf("vllm:num_preemptions_total is 0 after KV exhaustion")
	}
	if got := m["vllm:generation_tokens_total{"+lbl+"}"]; got != 8000 {
		t.Errorf("generation tokens %g, want 8000", got)
	}
	if got := m[`vllm:request_success_total{engine="0",finished_reason="length",model_name="Qwen/Qwen2.5-7B-Instruct"}`]; got != 4 {
		t.Errorf("request_success_total length %g, want 4", got)
	}
}

func TestMetricsNamesAndBuckets(t *testing.T) {
	_, url, _ := testServer(t, Config{Speed: 1000}, false)
	post(t, url+"/v1/completions", `{"prompt": "hi hi", "max_tokens": 3}`)
	m := scrape(t, url)
	lbl := `engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"`
	want := []string{
		"vllm:num_requests_running{" + lbl + "}",
		"vllm:num_requests_waiting{" + lbl + "}",
		"vllm:kv_cache_usage_perc{" + lbl + "}",
		"vllm:prompt_tokens_total{" + lbl + "}",
		"vllm:generation_tokens_total{" + lbl + "}",
		"vllm:num_preemptions_total{" + lbl + "}",
		"vllm:prefix_cache_queries_total{" + lbl + "}",
		"vllm:prefix_cache_hits_total{" + lbl + "}",
		"hypobench:engine_host_stall_seconds_total{" + lbl + "}",
		`vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct",le="2560"}`,
		`vllm:inter_token_latency_seconds_bucket{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct",le="80"}`,
		`vllm:e2e_request_latency_seconds_bucket{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct",le="7680"}`,
		`vllm:request_queue_time_seconds_bucket{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct",le="0.3"}`,
		`vllm:request_prefill_time_seconds_bucket{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct",le="1920"}`,
		`vllm:request_decode_time_seconds_bucket{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct",le="0.8"}`,
		`vllm:iteration_tokens_total_bucket{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct",le="16384"}`,
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
	if got := m["vllm:prompt_tokens_total{"+lbl+"}"]; got != 2 {
		t.Errorf("prompt tokens %g, want 2", got)
	}
	if got := m["vllm:time_to_first_token_seconds_count{"+lbl+"}"]; got != 1 {
		t.Errorf("TTFT count %g, want 1", got)
	}
}
