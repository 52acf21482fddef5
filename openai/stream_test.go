package openai

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
)

// FuzzStream feeds arbitrary bodies through the client's whole event path
// (SSE parsing, JSON decoding, bookkeeping) and checks that it never panics,
// always ends with a known class or success, and keeps its invariants.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob("../fixtures/sse/*/*.txt")
	if len(files) < 10 {
		f.Fatalf("committed fixtures missing: %d ../fixtures/sse/*/*.txt", len(files))
	}
	for _, fn := range files {
		f.Add(testutil.Fixture(f, fn))
	}
	f.Add([]byte("data: {\"choices\":[{\"text\":\"a\"}],\"hb_sent_ns\":5}\n\ndata: {\"error\":{\"message\":\"x\"}}\n\n"))
	f.Add([]byte("data: {\"object\":\"error\",\"message\":\"m\"}\n\ndata: [DONE]\n\n"))
	f.Add([]byte(simStream))
	f.Add([]byte("data: {\"choices\":[{\"text\":\"a\"}],\"hb_sim_ns\":5}\n\ndata: {\"choices\":[{\"text\":\"b\"}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"r\"}}],\"usage\":null}\n\ndata: [DONE]\n\n"))
	known := []record.ErrorClass{"", record.ClassNoDone, record.ClassEmptyOutput, record.ClassMalformed, record.ClassStreamError,
		record.ClassLineTooLong, record.ClassInvalidUTF8, record.ClassReset}
	f.Fuzz(func(t *testing.T, body []byte) {
		c := &Client{maxLine: 256}
		t0 := time.Now()
		res := &Result{T0: t0}
		c.readStream(context.Background(), res, &chunkReader{b: body, n: 7}, 0)
		// The same body through encoding/json alone gives the same result,
		// arrivals and read→parse delays aside (they are clock readings).
		ref := &Result{T0: t0}
		(&Client{maxLine: 256, noScan: true}).readStream(context.Background(), ref, &chunkReader{b: body, n: 7}, 4)
		if d := cmp.Diff(ref, res, cmpopts.IgnoreFields(Result{}, "Events", "Content", "FirstChoice", "End", "ParseDelay", "ParseMax")); d != "" {
			t.Fatalf("scan and encoding/json paths differ (-json +scan):\n%s", d)
		}
		if len(ref.Events) != len(res.Events) || len(ref.Content) != len(res.Content) {
			t.Fatalf("event counts differ: json %d/%d, scan %d/%d", len(ref.Events), len(ref.Content), len(res.Events), len(res.Content))
		}
		if !slices.Contains(known, res.ErrorClass) {
			t.Fatalf("unexpected class %q (%s)", res.ErrorClass, res.Error)
		}
		if res.ErrorClass == "" && (!res.Done || len(res.Content) == 0) {
			t.Fatalf("success without [DONE] or content: %+v", res)
		}
		if res.SentNs != nil && len(res.SentNs) != len(res.Content) {
			t.Fatalf("%d stamps for %d content events", len(res.SentNs), len(res.Content))
		}
		if res.ChunkTokens != nil && (len(res.ChunkTokens) != len(res.Content) || slices.Min(res.ChunkTokens) <= 0) {
			t.Fatalf("chunk tokens %v for %d content events", res.ChunkTokens, len(res.Content))
		}
		if res.Sim != nil && len(res.Sim) != len(res.Content) {
			t.Fatalf("%d sim stamps for %d content events", len(res.Sim), len(res.Content))
		}
		if !slices.IsSorted(res.Events) || !slices.IsSorted(res.Content) || len(res.Content) > res.ChoiceEvents {
			t.Fatalf("arrivals out of order or more content than choice events: %+v", res)
		}
		var rec record.Record
		res.Fill(&rec)
		if rec.TPOT != nil && rec.N() < 2 {
			t.Fatalf("TPOT defined with N = %d", rec.N())
		}
	})
}

// simStream is a chat stream as the embedded engine sends it: a role event
// and the first token stamped alike, then two more tokens, usage unstamped.
const simStream = `data: {"choices":[{"delta":{"role":"assistant","content":""}}],"hb_sim_ns":50000000}

data: {"choices":[{"delta":{"content":" a"}}],"hb_sim_ns":50000000}

data: {"choices":[{"delta":{"content":" b"}}],"hb_sim_ns":62000000}

data: {"choices":[{"delta":{"content":" c"},"finish_reason":"length"}],"hb_sim_ns":75000000}

data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3}}

data: [DONE]

`

// TestSimStampsFill checks that the engine's "hb_sim_ns" stamps land in
// the record (sim TTFT from the first choice event, the rest from content
// events) and that a stream missing one stamp gives none rather than a
// partial set.
func TestSimStampsFill(t *testing.T) {
	t.Parallel()
	res := &Result{T0: time.Now()}
	(&Client{}).readStream(context.Background(), res, &chunkReader{b: []byte(simStream), n: 13}, 3)
	var rec record.Record
	res.Fill(&rec)
	if !res.OK() || rec.SimTTFT == nil || rec.SimE2E == nil || rec.SimTTFTText == nil {
		t.Fatalf("no sim timings: %+v (%s)", rec, res.Error)
	}
	if *rec.SimTTFT != 0.05 || *rec.SimTTFTText != 0.05 || *rec.SimE2E != 0.075 {
		t.Errorf("sim ttft %v, ttft_text %v, e2e %v; want 0.05, 0.05, 0.075", *rec.SimTTFT, *rec.SimTTFTText, *rec.SimE2E)
	}
	if d := cmp.Diff([]float64{0.012, 0.013}, rec.SimITL, cmpopts.EquateApprox(0, 1e-12)); d != "" {
		t.Errorf("sim ITL (-want +got):\n%s", d)
	}
	partial := strings.Replace(simStream, `,"hb_sim_ns":62000000`, "", 1)
	res = &Result{T0: time.Now()}
	(&Client{}).readStream(context.Background(), res, &chunkReader{b: []byte(partial), n: 13}, 3)
	rec = record.Record{}
	res.Fill(&rec)
	if res.Sim != nil || rec.SimTTFT != nil || rec.SimITL != nil {
		t.Errorf("a stream with an unstamped token gave sim timings: %v, %+v", res.Sim, rec)
	}
}

// TestReadParseDelay checks the read→parse clock: with the read instants
// shifted a second into the past every parsed event's delay is at least a
// second; with the real clock it is far below. [DONE] is not parsed.
func TestReadParseDelay(t *testing.T) {
	t.Parallel()
	for _, shift := range []time.Duration{0, time.Second} {
		c := &Client{readClock: func() time.Time { return time.Now().Add(-shift) }}
		res := &Result{T0: time.Now()}
		c.readStream(context.Background(), res, &chunkReader{b: []byte(simStream), n: 13}, 3)
		if !res.OK() {
			t.Fatalf("shift %v: %s", shift, res.Error)
		}
		mean, ok := res.ParseMean()
		if !ok || res.Parsed != 5 {
			t.Fatalf("shift %v: parsed %d events (ok %v), want 5 (the JSON ones)", shift, res.Parsed, ok)
		}
		if mean > res.ParseMax {
			t.Errorf("shift %v: mean %v > max %v", shift, mean, res.ParseMax)
		}
		if shift > 0 && mean < shift {
			t.Errorf("read instants a second early: mean read→parse %v, want ≥ %v", mean, shift)
		}
		if shift == 0 && res.ParseMax >= time.Second {
			t.Errorf("real clock: max read→parse %v, want far under a second", res.ParseMax)
		}
	}
}
