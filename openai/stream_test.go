package openai

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
)

// FuzzStream feeds arbitrary bodies through the client's whole event path
// (SSE parsing, JSON decoding, bookkeeping) and checks that it never panics,
// always ends with a known class or success, and keeps its invariants.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob("../fixtures/sse/ollama-v0.17.4/*.txt")
	if len(files) == 0 {
		f.Fatal("committed fixtures missing: no ../fixtures/sse/ollama-v0.17.4/*.txt")
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
		res := &Result{T0: time.Now()}
		c.readStream(context.Background(), res, &chunkReader{b: body, n: 7})
		if !slices.Contains(known, res.ErrorClass) {
			t.Fatalf("unexpected class %q (%s)", res.ErrorClass, res.Error)
		}
		if res.ErrorClass == "" && (!res.Done || len(res.Content) == 0) {
			t.Fatalf("success without [DONE] or content: %+v", res)
		}
		if res.SentNs != nil && len(res.SentNs) != len(res.Content) {
			t.Fatalf("%d stamps for %d content events", len(res.SentNs), len(res.Content))
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
