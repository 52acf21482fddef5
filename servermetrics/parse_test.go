package servermetrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const fixtureDir = "../fixtures/metrics"

func readFixture(t testing.TB, name string) []Sample {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Parse(f, name)
	if err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
	return s
}

func seriesLines(t testing.TB, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			n++
		}
	}
	return n
}

func find(samples []Sample, name string, labels map[string]string) (float64, bool) {
	for _, s := range samples {
		if s.Name != name {
			continue
		}
		match := true
		for k, v := range labels {
			if s.Labels[k] != v {
				match = false
			}
		}
		if match {
			return s.Value, true
		}
	}
	return 0, false
}

func TestParseFixtures(t *testing.T) {
	t.Parallel()
	type want struct {
		name   string
		labels map[string]string
		value  float64
	}
	tests := []struct {
		file    string
		dialect string
		samples int
		want    []want
	}{
		{
			file: "vllm-v1-sample.txt", dialect: "vllm", samples: 42,
			want: []want{
				{"vllm:num_requests_running", map[string]string{"engine": "0"}, 12},
				{"vllm:kv_cache_usage_perc", nil, 0.4375},
				{"vllm:prompt_tokens_total", nil, 51234},
				{"vllm:prompt_tokens_created", nil, 1.7648e9},
				{"vllm:request_success_total", map[string]string{"finished_reason": "length"}, 40},
				{"vllm:time_to_first_token_seconds_bucket", map[string]string{"le": "0.04"}, 7},
				{"vllm:time_to_first_token_seconds_bucket", map[string]string{"le": "1"}, 40},
				{"vllm:time_to_first_token_seconds_bucket", map[string]string{"le": "+Inf"}, 40},
				{"vllm:time_to_first_token_seconds_sum", nil, 3.91},
				{"vllm:iteration_tokens_total_count", nil, 2300},
				{"vllm:iteration_tokens_total_sum", nil, 71714},
			},
		},
		{
			file: "vllm-v0-older-names.txt", dialect: "vllm", samples: 170,
			want: []want{
				{"vllm:gpu_cache_usage_perc", nil, 0.62},
				{"vllm:time_per_output_token_seconds_count", nil, 7680},
				{"process_resident_memory_bytes", nil, 2.1474836e9},
				{"python_gc_objects_collected_total", map[string]string{"generation": "2"}, 123},
			},
		},
		{
			file: "sglang-sample.txt", dialect: "sglang", samples: 131,
			want: []want{
				{"sglang:num_queue_reqs", nil, 7},
				{"sglang:token_usage", nil, 0.38},
				{"sglang:queue_time_seconds_bucket", map[string]string{"le": "0"}, 0},
				{"sglang:e2e_request_latency_seconds_count", nil, 64},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			s := readFixture(t, tc.file)
			// Flattening must give back exactly the series on the page.
			if n := seriesLines(t, tc.file); len(s) != n || n != tc.samples {
				t.Errorf("got %d samples, page has %d series lines, want %d", len(s), n, tc.samples)
			}
			for _, w := range tc.want {
				v, ok := find(s, w.name, w.labels)
				if !ok {
					t.Errorf("%s%v missing", w.name, w.labels)
					continue
				}
				if v != w.value {
					t.Errorf("%s%v = %v, want %v", w.name, w.labels, v, w.value)
				}
			}
			d, ok := Detect(s)
			if !ok || d.Name != tc.dialect {
				t.Errorf("Detect = %q, %v; want %q", d.Name, ok, tc.dialect)
			}
		})
	}
}

// TestParseBucketOrder checks that a histogram's buckets come out in
// numeric order of le, not string order.
func TestParseBucketOrder(t *testing.T) {
	t.Parallel()
	s := readFixture(t, "vllm-v1-sample.txt")
	var les []string
	for _, x := range s {
		if x.Name == "vllm:request_decode_time_seconds_bucket" {
			les = append(les, x.Labels["le"])
		}
	}
	if diff := cmp.Diff([]string{"0.3", "10", "+Inf"}, les); diff != "" {
		t.Errorf("bucket order (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		line     int
	}{
		{"html", "<!DOCTYPE html>\n<html><body>Not Found</body></html>\n", 1},
		{"bad value", "# TYPE a counter\na 1\nb{x=\"y\"} notanumber\n", 3},
		{"unterminated labels", "a{x=\"1\" 2\n", 1},
		{"bad type", "# TYPE a flavour\n", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(strings.NewReader(tc.in), "page")
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if pe.Line != tc.line || pe.Source != "page" {
				t.Errorf("error at %s:%d, want page:%d (%v)", pe.Source, pe.Line, tc.line, err)
			}
		})
	}
}

func TestParseUntypedAndSummary(t *testing.T) {
	t.Parallel()
	in := "plain 3\n# TYPE rpc summary\nrpc{quantile=\"0.5\"} 0.2\nrpc{quantile=\"0.99\"} 0.9\nrpc_sum 12\nrpc_count 40\n"
	got, err := Parse(strings.NewReader(in), "x")
	if err != nil {
		t.Fatal(err)
	}
	want := []Sample{
		{Name: "plain", Value: 3},
		{Name: "rpc", Labels: map[string]string{"quantile": "0.5"}, Value: 0.2},
		{Name: "rpc", Labels: map[string]string{"quantile": "0.99"}, Value: 0.9},
		{Name: "rpc_count", Value: 40},
		{Name: "rpc_sum", Value: 12},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSampleJSONNonFinite(t *testing.T) {
	t.Parallel()
	in := []Sample{
		{Name: "a", Value: math.Inf(1)},
		{Name: "b", Value: math.Inf(-1)},
		{Name: "c", Labels: map[string]string{"k": "v"}, Value: 1.5},
		{Name: "d", Value: math.NaN()},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"value":"+Inf"`)) {
		t.Errorf("encoded %s, want +Inf as a string", b)
	}
	var out []Sample
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 || !math.IsInf(out[0].Value, 1) || !math.IsInf(out[1].Value, -1) ||
		out[2].Value != 1.5 || out[2].Labels["k"] != "v" || !math.IsNaN(out[3].Value) {
		t.Errorf("round trip gave %+v", out)
	}
}
