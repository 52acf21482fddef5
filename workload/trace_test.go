package workload

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const arrivalsDir = "../fixtures/arrivals"

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// TestParseTraceFixtures reproduces every fixture's offsets and lengths
// exactly, as written in the files.
func TestParseTraceFixtures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file   string
		format TraceFormat
		want   []Due
	}{
		{"hypobench-sample.jsonl", TraceHypobench, []Due{
			{0, 128, 16}, {ms(125), 512, 64}, {ms(125), 40, 8}, {ms(500), 2048, 128}, {ms(1750), 96, 300}, {ms(2000), 1000, 1},
		}},
		{"mooncake-sample.jsonl", TraceMooncake, []Due{
			{0, 6120, 412}, {0, 1530, 37}, {ms(2000), 9901, 254}, {ms(2000), 880, 5}, {ms(3001), 6120, 90}, {ms(6000), 23010, 618}, {ms(9000), 412, 1},
		}},
		{"azure-sample.csv", TraceAzure, []Due{
			{0, 4810, 12}, {ms(51.24), 3177, 9}, {ms(51.24), 112, 27}, {1500000100 * time.Nanosecond, 7430, 14},
			{59999999900 * time.Nanosecond, 36, 230}, {60 * time.Second, 1146, 7},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(arrivalsDir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := ParseTrace(tc.file, tc.format, f)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("arrivals (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseTraceErrors(t *testing.T) {
	t.Parallel()
	type testCase struct {
		name     string
		format   TraceFormat
		in       string
		wantLine int
		wantMsg  string
	}
	run := func(t *testing.T, tc testCase) {
		_, err := ParseTrace("t.in", tc.format, strings.NewReader(tc.in))
		var te *TraceError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v, want *TraceError", err)
		}
		if te.File != "t.in" || te.Line != tc.wantLine || !strings.Contains(te.Msg, tc.wantMsg) {
			t.Errorf("err = %v; want file t.in, line %d, message containing %q", err, tc.wantLine, tc.wantMsg)
		}
	}
	const hb = `{"at_s": 0, "prompt_tokens": 1, "output_tokens": 1}` + "\n"
	const mc = `{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [1]}` + "\n"
	const az = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,4808,10\n"
	for _, tc := range []testCase{
		{"empty", TraceHypobench, "", 0, "no requests"},
		{"hb syntax", TraceHypobench, hb + `{"at_s": 1,` + "\n", 2, "unexpected EOF"},
		{"hb unknown field", TraceHypobench, `{"at_s": 0, "prompt_tokens": 1, "output_tokens": 1, "atS": 2}`, 1, "unknown field"},
		{"hb missing at", TraceHypobench, `{"prompt_tokens": 1, "output_tokens": 1}`, 1, `"at_s" missing`},
		{"hb missing output", TraceHypobench, `{"at_s": 0, "prompt_tokens": 1}`, 1, `"output_tokens" missing`},
		{"hb negative offset", TraceHypobench, `{"at_s": -1, "prompt_tokens": 1, "output_tokens": 1}`, 1, "out of range"},
		{"hb huge offset", TraceHypobench, `{"at_s": 1e300, "prompt_tokens": 1, "output_tokens": 1}`, 1, "out of range"},
		{"hb wrong type", TraceHypobench, `{"at_s": "0", "prompt_tokens": 1, "output_tokens": 1}`, 1, `"at_s": want float64`},
		{"hb zero prompt", TraceHypobench, `{"at_s": 0, "prompt_tokens": 0, "output_tokens": 1}`, 1, "prompt length 0"},
		{"hb out of order", TraceHypobench, `{"at_s": 2, "prompt_tokens": 1, "output_tokens": 1}` + "\n\n" + hb, 3, "before the previous"},
		{"hb trailing", TraceHypobench, `{"at_s": 0, "prompt_tokens": 1, "output_tokens": 1} 7`, 1, "trailing"},
		{"mc missing timestamp", TraceMooncake, mc + `{"input_length": 1, "output_length": 1}`, 2, `"timestamp" missing`},
		{"mc bad hash ids", TraceMooncake, `{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": ["a"]}`, 1, "hash_ids"},
		{"mc fractional length", TraceMooncake, `{"timestamp": 0, "input_length": 1.5, "output_length": 1}`, 1, "input_length"},
		{"mc zero output", TraceMooncake, `{"timestamp": 0, "input_length": 1, "output_length": 0}`, 1, "output length 0"},
		{"az empty", TraceAzure, "", 0, "empty file"},
		{"az wrong header", TraceAzure, "TIME,ContextTokens,GeneratedTokens\n", 1, `no column "TIMESTAMP"`},
		{"az duplicate column", TraceAzure, "TIMESTAMP,ContextTokens,GeneratedTokens,TIMESTAMP\n", 1, "twice"},
		{"az bad time", TraceAzure, az + "2023-11-16T18:17:04,1,1\n", 3, "TIMESTAMP"},
		{"az bad count", TraceAzure, az + "2023-11-16 18:17:04.0,x,1\n", 3, "want integers"},
		{"az short row", TraceAzure, az + "2023-11-16 18:17:04.0,1\n", 3, "2 fields"},
		{"az out of order", TraceAzure, az + "2023-11-16 18:17:03.0,1,1\n", 3, "before the previous"},
		{"az quote", TraceAzure, az + "\"2023,1,1\n", 3, "quote"},
		{"az header only", TraceAzure, "TIMESTAMP,ContextTokens,GeneratedTokens\n", 0, "no requests"},
	} {
		t.Run(tc.name, func(t *testing.T) { t.Parallel(); run(t, tc) })
	}
	if _, err := ParseTrace("t.in", "csv", strings.NewReader(hb)); !errors.Is(err, ErrBadTraceFormat) {
		t.Errorf("unknown format: err = %v", err)
	}
}

func FuzzParseTrace(f *testing.F) {
	for i, file := range []string{"hypobench-sample.jsonl", "mooncake-sample.jsonl", "azure-sample.csv"} {
		b, err := os.ReadFile(filepath.Join(arrivalsDir, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(2), []byte("TIMESTAMP,ContextTokens,GeneratedTokens\n0001-01-01 00:00:00.0,1,1\n9999-12-31 23:59:59.9,1,1\n"))
	f.Add(uint8(1), []byte(`{"timestamp": 1e20, "input_length": 1, "output_length": 1}`))
	formats := []TraceFormat{TraceHypobench, TraceMooncake, TraceAzure}
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		format := formats[int(which)%len(formats)]
		ds, err := ParseTrace("fuzz.in", format, bytes.NewReader(b))
		if err != nil {
			var te *TraceError
			if !errors.As(err, &te) || te.File != "fuzz.in" || te.Line < 0 {
				t.Fatalf("error %v does not name the file", err)
			}
			if te.Line > bytes.Count(b, []byte("\n"))+bytes.Count(b, []byte("\r"))+1 {
				t.Fatalf("error line %d past the input's end", te.Line)
			}
			return
		}
		if len(ds) == 0 {
			t.Fatal("accepted an empty trace")
		}
		for i, d := range ds {
			if d.At < 0 || d.PromptTokens < 1 || d.OutputTokens < 1 || (i > 0 && d.At < ds[i-1].At) {
				t.Fatalf("accepted a bad row %d: %+v", i, d)
			}
		}
	})
}
