package servermetrics

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse measures parsing and flattening one vLLM page (the V0
// fixture: 170 series). Run: go test -bench Parse ./servermetrics/
func BenchmarkParse(b *testing.B) {
	page, err := os.ReadFile(filepath.Join(fixtureDir, "vllm-v0-older-names.txt"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(page), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummarize measures the per-phase summary of the test scenario.
func BenchmarkSummarize(b *testing.B) {
	scrapes, phases, recs := scenario()
	b.ReportAllocs()
	for b.Loop() {
		Summarize(scrapes, phases, recs)
	}
}
