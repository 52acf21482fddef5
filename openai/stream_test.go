package openai

import (
	"context"
	"path/filepath"
	"slices"
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
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"r\"}}],\"usage\":null}\n\ndata: [DONE]\n\n"))
	known := []record.ErrorClass{"", record.ClassNoDone, record.ClassEmptyOutput, record.ClassMalformed, record.ClassStreamError,
		record.ClassLineTooLong, record.ClassInvalidUTF8, record.ClassReset}
	f.Fuzz(func(t *testing.T, body []byte) {
		c := &Client{maxLine: 256}
		t0 := time.Now()
		res := &Result{T0: t0}
		c.readStream(context.Background(), res, &chunkReader{b: body, n: 7}, 0)
		// The same body through encoding/json alone gives the same result,
		// arrivals aside (they are clock readings).
		ref := &Result{T0: t0}
		(&Client{maxLine: 256, noScan: true}).readStream(context.Background(), ref, &chunkReader{b: body, n: 7}, 4)
		if d := cmp.Diff(ref, res, cmpopts.IgnoreFields(Result{}, "Events", "Content", "FirstChoice", "End")); d != "" {
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
