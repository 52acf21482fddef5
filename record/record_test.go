package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hypobench/hypobench/internal/testutil"
)

func sample() []Record {
	return []Record{
		{
			ID: RequestID(1), Profile: "short_short", TTFT: F(0.038), Total: 0.56, Concurrency: 16,
			RunID: "run1", Suite: "tiny", Phase: 0, Seq: 0, PromptRep: 40, MaxTokens: 8, Endpoint: "completions", Model: "m",
			PromptTokens: I(45), OutputTokens: I(8), OutputChunks: 8, TokenSource: TokensFromUsage,
			Queue: 0.0001, StartUnixNs: 1795888020000000000, EndUnixNs: 1795888020560000000,
			TTFTText: F(0.038), E2E: F(0.55), TPOT: F(0.073), ITL: []float64{0.07, 0.071, 0.072, 0.073, 0.074, 0.075, 0.076},
			FinishReason: "length", HTTPStatus: 200, ServerRequestID: "cmpl-1",
		},
		{
			ID: RequestID(2), Profile: "long_short", Total: 0.002, Concurrency: 16, RunID: "run1", Suite: "tiny", Phase: 2,
			PromptRep: 400, MaxTokens: 1, Endpoint: "chat", HTTPStatus: 503, ErrorClass: ClassHTTPStatus, Error: "HTTP 503: overloaded",
		},
	}
}

func TestRecordGolden(t *testing.T) {
	var buf bytes.Buffer
	for _, r := range sample() {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	testutil.Golden(t, filepath.Join("testdata", "records.golden.jsonl"), buf.Bytes())
	// The seed's five fields keep their names.
	var m map[string]any
	if err := json.Unmarshal(bytes.SplitN(buf.Bytes(), []byte("\n"), 2)[0], &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "profile", "ttft_s", "total_s", "concurrency"} {
		if _, ok := m[k]; !ok {
			t.Errorf("seed field %q missing", k)
		}
	}
	// Undefined quantities are null, not 0.
	if !strings.Contains(buf.String(), `"tpot_s":null`) {
		t.Error("a failed request's TPOT should encode as null")
	}
}

func TestWriterAndReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	w, err := OpenAppend(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := sample()[0]
			r.ID = RequestID(i + 1)
			if err := w.Write(r); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash mid-write leaves a truncated last line: it is reported with
	// its line number and skipped, the rest is kept.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\n{\"id\":\"req_000051\",\"prof")
	f.Close()
	recs, bad, err := ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 50 {
		t.Errorf("read %d records, want 50", len(recs))
	}
	if len(bad) != 1 {
		t.Fatalf("bad = %v, want one corrupt line", bad)
	}
	var le *LineError
	if !errors.As(bad[0], &le) || le.Line != 52 || le.File != path {
		t.Errorf("bad[0] = %v, want %s:52", bad[0], path)
	}
}

func FuzzDecode(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "records.golden.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("{}\n\n{\"ttft_s\":null}\n"))
	f.Add([]byte("{\"id\":1}\n{"))
	f.Fuzz(func(t *testing.T, in []byte) {
		n := 0
		bad, err := Decode(bytes.NewReader(in), "fuzz.jsonl", func(line int, r Record) {
			if line < 1 {
				t.Fatalf("line %d", line)
			}
			n++
		})
		if err != nil {
			return // a line over the scanner's limit
		}
		lines := bytes.Count(in, []byte("\n")) + 1
		if n+len(bad) > lines {
			t.Fatalf("%d records + %d bad from %d lines", n, len(bad), lines)
		}
		for _, e := range bad {
			var le *LineError
			if !errors.As(e, &le) || le.File != "fuzz.jsonl" || le.Line < 1 || le.Line > lines {
				t.Fatalf("bad error %v", e)
			}
		}
	})
}
