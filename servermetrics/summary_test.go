package servermetrics

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
)

const sec = int64(1e9)

// scenario builds scrapes, phases and records for three phases:
// phase 0 fully scraped, phase 1 never scraped, phase 2 across a restart.
func scenario() ([]ScrapeLine, []record.Phase, []record.Record) {
	f := newFakeVLLM("m")
	var scrapes []ScrapeLine
	at := func(t int64, phase int, edge Edge) {
		scrapes = append(scrapes, ScrapeLine{UnixNs: t * sec, TookNs: 1e6, Phase: phase, Edge: edge, Samples: f.samples()})
	}
	// Warm-up before phase 0: in the start scrape, so not in any delta.
	f.request(100, 10, 0.05, 0.1, 0.3)
	f.request(100, 10, 0.05, 0.1, 0.3)
	f.set(0, 0, 0.1)
	at(1000, 0, EdgeStart)
	for _, p := range []int{50, 60, 70, 80} {
		f.request(p, 20, 0.1, 0.2, 1.0)
	}
	for range 10 {
		f.observe("vllm:iteration_tokens_total", 26)
	}
	f.set(4, 2, 0.5)
	at(1001, 0, EdgeTick)
	f.set(3, 0, 0.7)
	at(1002, 0, EdgeTick)
	f.set(0, 0, 0.2)
	at(1003, 0, EdgeEnd)
	// A failed scrape is skipped.
	scrapes = append(scrapes, ScrapeLine{UnixNs: 1003500 * sec / 1000, Phase: -1, Edge: EdgeTick, Error: "scraping: unreachable"})

	// Phase 2 runs across a server restart: counters start again from 0.
	f.request(10, 5, 0.1, 0.1, 0.1)
	at(1010, 2, EdgeStart)
	restarted := newFakeVLLM("m")
	restarted.created += 3600
	restarted.request(7, 3, 0.1, 0.1, 0.1)
	f = restarted
	at(1012, 2, EdgeEnd)

	phases := []record.Phase{
		{Index: 0, Profile: "short_short", Concurrency: 4, Requests: 4, StartUnixNs: 1000*sec + 2e6, EndUnixNs: 1003 * sec},
		{Index: 1, Profile: "short_long", Concurrency: 4, Requests: 1, StartUnixNs: 1005 * sec, EndUnixNs: 1006 * sec},
		{Index: 2, Profile: "long_short", Concurrency: 1, Requests: 1, StartUnixNs: 1010*sec + 2e6, EndUnixNs: 1012 * sec},
	}
	rec := func(phase int, startS float64, ttft float64, prompt, out int) record.Record {
		return record.Record{Phase: phase, Model: "m", StartUnixNs: int64(startS * 1e9), TTFT: record.F(ttft),
			PromptTokens: record.I(prompt), OutputTokens: record.I(out)}
	}
	recs := []record.Record{
		rec(0, 999.5, 0.3, 100, 10), // warm-up, before the phase start
		rec(0, 1000.1, 0.35, 50, 20),
		rec(0, 1000.2, 0.36, 60, 20),
		rec(0, 1000.3, 0.37, 70, 20),
		rec(0, 1000.4, 0.40, 80, 20),
		rec(1, 1005.1, 0.5, 10, 10),
		rec(2, 1010.5, 0.3, 7, 3),
	}
	return scrapes, phases, recs
}

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s not available, want %v", what, want)
		return
	}
	if math.Abs(*got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v, want %v", what, *got, want)
	}
}

func TestSummarizePhaseDeltas(t *testing.T) {
	t.Parallel()
	scrapes, phases, recs := scenario()
	sums := Summarize(scrapes, phases, recs)
	if len(sums) != 3 {
		t.Fatalf("got %d summaries, want 3", len(sums))
	}
	s := sums[0]
	if s.Dialect != "vllm" || s.Model != "m" || s.Bracket != "edges" || s.Scrapes != 4 || s.WindowS != 3 {
		t.Errorf("dialect %q model %q bracket %q scrapes %d window %v", s.Dialect, s.Model, s.Bracket, s.Scrapes, s.WindowS)
	}
	near(t, "prompt Δ", s.PromptTokens, 260)
	near(t, "generation Δ", s.GenerationTokens, 80)
	near(t, "preemptions Δ", s.Preemptions, 0)
	near(t, "prompt diff", s.PromptTokensDiff, 0)
	near(t, "generation diff", s.GenerationTokenDiff, 0)
	if s.ClientRequests != 4 || s.ClientPromptTokens != 260 || s.ClientOutputTokens != 80 || s.ClientUsageMissing != 0 {
		t.Errorf("client: %d requests, %d prompt, %d output, %d missing", s.ClientRequests, s.ClientPromptTokens, s.ClientOutputTokens, s.ClientUsageMissing)
	}
	if s.TTFT == nil || s.TTFT.Count != 4 {
		t.Fatalf("TTFT = %+v, want 4 observations", s.TTFT)
	}
	near(t, "server TTFT mean", s.TTFT.Mean, 0.3)
	near(t, "server TTFT p50", s.TTFT.P50, 0.375) // 4 obs in (0.25, 0.5]: rank 2 of 4
	near(t, "queue mean", s.Queue.Mean, 0.1)
	near(t, "prefill mean", s.Prefill.Mean, 0.2)
	near(t, "decode mean", s.Decode.Mean, 1.0)
	near(t, "e2e mean", s.E2E.Mean, 1.3)
	near(t, "ITL mean", s.ITL.Mean, 1.0/19)
	near(t, "tokens per step", s.StepTokens.Mean, 26)
	near(t, "prefill share", s.PrefillShare, 0.8/4.8)
	near(t, "queue share of TTFT", s.QueueShareOfTTFT, 1.0/3)
	near(t, "client TTFT mean", s.ClientTTFTMean, 0.37)
	near(t, "client TTFT median", s.ClientTTFTMedian, 0.365)
	near(t, "TTFT gap mean", s.TTFTGapMean, 0.07)
	near(t, "TTFT gap median", s.TTFTGapMedian, 0.365-0.375)
	near(t, "KV peak", s.KVUsagePeak, 0.7)
	if s.Running == nil || s.Running.N != 4 || s.Running.Max != 4 || s.Running.Mean != 1.75 {
		t.Errorf("running = %+v, want n 4 mean 1.75 max 4", s.Running)
	}
	if s.Waiting == nil || s.Waiting.Max != 2 || s.Waiting.Mean != 0.5 {
		t.Errorf("waiting = %+v, want mean 0.5 max 2", s.Waiting)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("unexpected warnings %q", s.Warnings)
	}

	none := sums[1]
	if none.Bracket != "" || none.Dialect != "" || none.PromptTokens != nil || none.TTFT != nil || none.Running != nil {
		t.Errorf("unscraped phase has server data: %+v", none)
	}
	if len(none.Warnings) != 1 || !strings.Contains(none.Warnings[0], "not available") {
		t.Errorf("unscraped phase warnings %q", none.Warnings)
	}
	near(t, "unscraped phase client mean", none.ClientTTFTMean, 0.5)

	reset := sums[2]
	if reset.PromptTokens != nil || reset.GenerationTokens != nil || reset.TTFT != nil {
		t.Errorf("deltas across a restart were reported: prompt %v gen %v ttft %+v", reset.PromptTokens, reset.GenerationTokens, reset.TTFT)
	}
	if reset.Preemptions != nil || !strings.Contains(strings.Join(reset.Warnings, "\n"), "restarted") {
		t.Errorf("restart not warned about: %q", reset.Warnings)
	}
}

// TestSummarizeCounterReset covers a restart on a server without _created
// series: a counter that went backwards makes its delta unavailable.
func TestSummarizeCounterReset(t *testing.T) {
	t.Parallel()
	page := func(prompt, gen float64) []Sample {
		return []Sample{
			{Name: "vllm:prompt_tokens_total", Value: prompt},
			{Name: "vllm:generation_tokens_total", Value: gen},
		}
	}
	scrapes := []ScrapeLine{
		{UnixNs: 1, Phase: 0, Edge: EdgeStart, Samples: page(500, 100)},
		{UnixNs: 2, Phase: 0, Edge: EdgeEnd, Samples: page(40, 120)},
	}
	s := Summarize(scrapes, []record.Phase{{Index: 0}}, nil)[0]
	if s.PromptTokens != nil {
		t.Errorf("prompt Δ = %v across a reset, want not available", *s.PromptTokens)
	}
	near(t, "generation Δ", s.GenerationTokens, 20)
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "prompt_tokens") {
		t.Errorf("warnings %q", s.Warnings)
	}
}

func TestSummarizeTickFallback(t *testing.T) {
	t.Parallel()
	f := newFakeVLLM("m")
	tick := func(t int64) ScrapeLine {
		return ScrapeLine{UnixNs: t * sec, Phase: -1, Edge: EdgeTick, Samples: f.samples()}
	}
	a := tick(10)
	f.request(30, 4, 0, 0.1, 0.2)
	b := tick(12)
	phases := []record.Phase{{Index: 0, StartUnixNs: 11 * sec, EndUnixNs: 12 * sec}}
	s := Summarize([]ScrapeLine{a, b}, phases, nil)[0]
	if s.Bracket != "ticks" {
		t.Fatalf("bracket %q, want ticks", s.Bracket)
	}
	near(t, "prompt Δ", s.PromptTokens, 30)
	if len(s.Warnings) == 0 || !strings.Contains(s.Warnings[0], "neighbouring") {
		t.Errorf("tick bracket not warned about: %q", s.Warnings)
	}
}

func TestSummarizeUnknownServer(t *testing.T) {
	t.Parallel()
	page := []Sample{{Name: "my_server_requests_total", Value: 3}}
	scrapes := []ScrapeLine{
		{UnixNs: 1, Phase: 0, Edge: EdgeStart, Samples: page},
		{UnixNs: 2, Phase: 0, Edge: EdgeEnd, Samples: page},
	}
	s := Summarize(scrapes, []record.Phase{{Index: 0}}, nil)[0]
	if s.Dialect != "" || s.PromptTokens != nil || len(s.Warnings) != 1 {
		t.Errorf("unknown server summary %+v", s)
	}
}

func TestFormatMarkdownGolden(t *testing.T) {
	t.Parallel()
	scrapes, phases, recs := scenario()
	var buf bytes.Buffer
	if err := FormatMarkdown(&buf, Summarize(scrapes, phases, recs)); err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/summary.md", buf.Bytes())

	buf.Reset()
	if err := FormatMarkdown(&buf, Summarize(nil, phases[:1], recs)); err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/summary-unavailable.md", buf.Bytes())
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	scrapes, _, _ := scenario()
	tl := Timeline(scrapes, "m")
	if len(tl) != 6 {
		t.Fatalf("got %d points, want 6 (failed scrape skipped)", len(tl))
	}
	if tl[1].Running == nil || *tl[1].Running != 4 || tl[2].KVUsage == nil || *tl[2].KVUsage != 0.7 {
		t.Errorf("points %+v %+v", tl[1], tl[2])
	}
	if Timeline([]ScrapeLine{{Samples: []Sample{{Name: "x"}}}}, "") != nil {
		t.Error("timeline of an unknown server is not nil")
	}
}

// TestOpenLoopPhaseLabelledByRate: an open-loop phase (concurrency 0) is
// labelled by its target rate, a closed-loop one by its workers.
func TestOpenLoopPhaseLabelledByRate(t *testing.T) {
	t.Parallel()
	scrapes, phases, recs := scenario()
	phases[2].Concurrency, phases[2].Arrival, phases[2].TargetRate = 0, "poisson", 20
	sums := Summarize(scrapes, phases, recs)
	if got := sums[2].Load(); got != "20 req/s" || sums[2].TargetRate != 20 {
		t.Errorf("open-loop phase load %q (rate %v), want 20 req/s", got, sums[2].TargetRate)
	}
	if got := sums[0].Load(); got != "c=4" {
		t.Errorf("closed-loop phase load %q, want c=4", got)
	}
	var buf bytes.Buffer
	if err := FormatMarkdown(&buf, sums); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "| 2 | long_short | 20 req/s |") || strings.Contains(buf.String(), "c=0") {
		t.Errorf("open-loop phase not labelled by rate:\n%s", buf.String())
	}
}
