package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// thousandTokens returns a prompt of exactly 1,000 tokens: nonce followed
// by "hi " repeated. The nonce format is workload.Nonce's, "[%08x] ".
func thousandTokens(t *testing.T, nonce string) string {
	t.Helper()
	p := nonce + strings.Repeat("hi ", 1000)
	for CountTokens(p) > 1000 {
		p = p[:len(p)-3]
	}
	if n := CountTokens(p); n != 1000 {
		t.Fatalf("prompt of %d tokens, want 1000", n)
	}
	return p
}

// streamTTFT sends a streaming completion and returns the client's TTFT
// (arrival of the first event, which carries choices) and the usage object
// of the final event.
func streamTTFT(t *testing.T, url, prompt string) (time.Duration, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"prompt": prompt, "max_tokens": 2, "stream": true,
		"stream_options": map[string]any{"include_usage": true}})
	t0 := time.Now()
	resp, err := http.Post(url+"/v1/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var ttft time.Duration
	var usage map[string]any
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || line == "[DONE]" {
			continue
		}
		if ttft == 0 {
			ttft = time.Since(t0)
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		if u, ok := ev["usage"].(map[string]any); ok {
			usage = u
		}
	}
	if ttft == 0 || usage == nil {
		t.Fatalf("stream without events or usage (status %d)", resp.StatusCode)
	}
	return ttft, usage
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// TestPrefixCacheLive: on the live server, a 1,000-token prompt sent again
// hits the prefix cache (62 full blocks, 992 tokens; the last block is
// recomputed to give logits) and its TTFT is at most a fifth of a miss's,
// while prompts that differ in a leading nonce, as the suites send them,
// never hit. /metrics counts every prompt token as a query and the cached
// ones as hits; usage reports cached_tokens only when asked and only for
// a hit, as vLLM does. With caching off nothing hits.
func TestPrefixCacheLive(t *testing.T) {
	lbl := `{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"}`
	t.Run("on", func(t *testing.T) {
		_, url, _ := testServer(t, Config{Speed: 1, EnablePromptTokensDetails: true}, false)
		same := thousandTokens(t, "")
		var miss, hit []time.Duration
		for i := range 5 {
			d, u := streamTTFT(t, url, thousandTokens(t, fmt.Sprintf("[%08x] ", 0x1000+i)))
			miss = append(miss, d)
			if _, ok := u["prompt_tokens_details"]; ok {
				t.Errorf("nonce'd prompt %d: usage has prompt_tokens_details %v, want none (no hit)", i, u)
			}
		}
		d, u := streamTTFT(t, url, same)
		miss = append(miss, d)
		if _, ok := u["prompt_tokens_details"]; ok {
			t.Errorf("first identical prompt: usage %v has prompt_tokens_details", u)
		}
		for range 5 {
			d, u := streamTTFT(t, url, same)
			hit = append(hit, d)
			det, _ := u["prompt_tokens_details"].(map[string]any)
			if det["cached_tokens"] != float64(992) {
				t.Errorf("repeat: usage %v, want prompt_tokens_details.cached_tokens 992", u)
			}
		}
		if mh, mm := median(hit), median(miss); mh*5 > mm {
			t.Errorf("median latency of repeats %v > 1/5 of misses' %v", mh, mm)
		} else {
			t.Logf("median latency: repeats %v, misses %v (ratio %.3f)", mh, mm, float64(mh)/float64(mm))
		}
		m := scrape(t, url)
		if q := m["vllm:prefix_cache_queries_total"+lbl]; q != 11*1000 {
			t.Errorf("prefix_cache_queries_total %g, want 11000 (11 prompts of 1000 tokens)", q)
		}
		if h := m["vllm:prefix_cache_hits_total"+lbl]; h != 5*992 {
			t.Errorf("prefix_cache_hits_total %g, want %d (5 repeats × 992)", h, 5*992)
		}
	})
	t.Run("off", func(t *testing.T) {
		_, url, _ := testServer(t, Config{Speed: 1000, NoPrefixCaching: true, EnablePromptTokensDetails: true}, false)
		same := thousandTokens(t, "")
		for range 3 {
			if _, u := streamTTFT(t, url, same); u["prompt_tokens_details"] != nil {
				t.Errorf("caching off: usage %v has prompt_tokens_details", u)
			}
		}
		m := scrape(t, url)
		if q, h := m["vllm:prefix_cache_queries_total"+lbl], m["vllm:prefix_cache_hits_total"+lbl]; q != 0 || h != 0 {
			t.Errorf("caching off: queries %g hits %g, want 0 0", q, h)
		}
	})
	t.Run("details off by default", func(t *testing.T) {
		_, url, _ := testServer(t, Config{Speed: 1000}, false)
		same := thousandTokens(t, "")
		streamTTFT(t, url, same)
		if _, u := streamTTFT(t, url, same); u["prompt_tokens_details"] != nil {
			t.Errorf("without EnablePromptTokensDetails usage %v has prompt_tokens_details", u)
		}
		if h := scrape(t, url)["vllm:prefix_cache_hits_total"+lbl]; h != 992 {
			t.Errorf("hits %g, want 992", h)
		}
	})
}

func hashesOf(text string) (int, []uint64) {
	ids := TokenIDs(text, Models["qwen2.5-7b"].Vocab)
	return len(ids), BlockHashes(ids)
}

// TestPrefixCacheSimulated: in virtual time a repeated prompt's TTFT is
// exactly the cost of its uncached tail on top of 992 cached tokens, and
// nonce'd prompts cost a full prefill each.
func TestPrefixCacheSimulated(t *testing.T) {
	cfg := Config{}
	n, hs := hashesOf(thousandTokens(t, ""))
	reqs := []SimRequest{{PromptTokens: n, MaxTokens: 1, BlockHashes: hs}, {PromptTokens: n, MaxTokens: 1, BlockHashes: hs}}
	for i := range 2 {
		n, hs := hashesOf(thousandTokens(t, fmt.Sprintf("[%08x] ", i)))
		reqs = append(reqs, SimRequest{PromptTokens: n, MaxTokens: 1, BlockHashes: hs})
	}
	res, st := mustSim(t, cfg, reqs, 1)
	cost := defaultCost(t, Knobs{})
	full := cost.PrefillTime(1000, 2048)
	tail := cost.Step([]SeqWork{{NewTokens: 8, Context: 992, Prefill: true, Samples: true}}).Time
	want := []struct {
		ttft   time.Duration
		cached int
	}{{full, 0}, {tail, 992}, {full, 0}, {full, 0}}
	for i, w := range want {
		if res[i].TTFT() != w.ttft || res[i].CachedTokens != w.cached {
			t.Errorf("request %d: TTFT %v cached %d, want %v %d", i, res[i].TTFT(), res[i].CachedTokens, w.ttft, w.cached)
		}
	}
	if st.CacheQueries != 4000 || st.CacheHits != 992 {
		t.Errorf("stats: queries %d hits %d, want 4000 992", st.CacheQueries, st.CacheHits)
	}
	if tail*5 > full {
		t.Errorf("cached TTFT %v is more than a fifth of the full %v", tail, full)
	}
	// Caching off: every request pays the full prefill.
	res, st = mustSim(t, Config{NoPrefixCaching: true}, reqs, 1)
	for i, r := range res {
		if r.TTFT() != full || r.CachedTokens != 0 {
			t.Errorf("caching off, request %d: TTFT %v cached %d, want %v 0", i, r.TTFT(), r.CachedTokens, full)
		}
	}
	if st.CacheQueries != 0 || st.CacheHits != 0 {
		t.Errorf("caching off: stats %+v count cache traffic", st)
	}
}

// TestBlockHashesChain: a block's hash depends on every token before it,
// only full blocks are hashed.
func TestBlockHashesChain(t *testing.T) {
	a := make([]int, 40)
	for i := range a {
		a[i] = i
	}
	b := append([]int(nil), a...)
	b[20] = 999 // second block differs
	c := append([]int(nil), a...)
	c[0] = 999 // first block differs: every hash differs
	ha, hb, hc := BlockHashes(a), BlockHashes(b), BlockHashes(c)
	if len(ha) != 2 || BlockHashes(a[:15]) != nil {
		t.Fatalf("hashes of 40 tokens: %d, of 15: %v; want 2 and none", len(ha), BlockHashes(a[:15]))
	}
	if ha[0] != hb[0] || ha[1] == hb[1] {
		t.Errorf("b differs from a in block 1 only: %x vs %x", ha, hb)
	}
	if ha[0] == hc[0] || ha[1] == hc[1] {
		t.Errorf("c differs from a in block 0, so in every chained hash: %x vs %x", ha, hc)
	}
}

// TestPrefixCacheLRU: freed cached blocks stay hittable until new
// allocations evict them, least recently freed first; blocks in use are
// never evicted and are shared.
func TestPrefixCacheLRU(t *testing.T) {
	k := newKVCache(8, true)
	mk := func(tag int, nblocks int) *seq {
		ids := make([]int, nblocks*BlockSize+1)
		for i := range ids {
			ids[i] = tag*1000 + i
		}
		return &seq{prompt: len(ids), hashes: BlockHashes(ids)}
	}
	admit := func(s *seq) int {
		h := k.lookup(s)
		if !k.admit(s, h, s.prompt) {
			t.Fatalf("admit failed with %d free", k.free)
		}
		return h
	}
	a, b := mk(1, 3), mk(2, 3) // 4 blocks each (3 full + 1 partial)
	admit(a)
	admit(b)
	if k.free != 0 {
		t.Fatalf("free %d, want 0", k.free)
	}
	a2 := mk(1, 3)
	if h := k.lookup(a2); h != 3 {
		t.Fatalf("a's twin finds %d cached blocks while a runs, want 3", h)
	}
	k.release(a) // a's blocks are free but cached
	k.release(b) // freed after a: evicted after a's
	if h := admit(a2); h != 3 {
		t.Errorf("a's twin after a finished hits %d blocks, want 3", h)
	}
	// a2 took a's 3 cached blocks and one new block (a's partial one, the
	// least recently freed); b's remain cached.
	if h := k.lookup(mk(2, 3)); h != 3 {
		t.Errorf("b's blocks: %d cached, want 3", h)
	}
	c := mk(3, 2) // 3 blocks: evicts the least recently freed of b's
	admit(c)
	// The free queue was b's partial, third, second, first block (b was
	// released last block first): c evicts the first three, so only b's
	// first block is still cached.
	if h := k.lookup(mk(2, 3)); h != 1 {
		t.Errorf("b's blocks after c evicted three: %d cached, want 1", h)
	}
	if k.free != 1 {
		t.Errorf("free %d, want 1", k.free)
	}
	k.release(a2)
	k.release(c)
	if k.usage() != 0 {
		t.Errorf("usage %g with everything released", k.usage())
	}
}
