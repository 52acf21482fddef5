package servermetrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/hypobench/hypobench/internal/testutil"
)

// FuzzParse feeds arbitrary bytes to Parse. It must never panic; an error
// must be a *ParseError or wrap the reader's error; a success must give
// sorted samples that survive the JSONL round trip and can be read through
// every dialect without panicking. Seeds: the first lines of each fixture
// (whole pages make minimization crawl) plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	fixtures, _ := filepath.Glob(filepath.Join(fixtureDir, "*.txt"))
	if len(fixtures) == 0 {
		f.Fatalf("committed fixtures missing: no %s/*.txt", fixtureDir)
	}
	for _, p := range fixtures {
		b := testutil.Fixture(f, p)
		if lines := bytes.SplitAfter(b, []byte("\n")); len(lines) > 40 {
			b = bytes.Join(lines[:40], nil)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		samples, err := Parse(bytes.NewReader(in), "fuzz")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if pe.Line < 0 {
				t.Fatalf("negative line in %v", err)
			}
			return
		}
		for i := 1; i < len(samples); i++ {
			if samples[i-1].Name > samples[i].Name {
				t.Fatalf("samples not sorted: %q before %q", samples[i-1].Name, samples[i].Name)
			}
		}
		b, err := json.Marshal(ScrapeLine{Phase: -1, Edge: EdgeTick, Samples: samples})
		if err != nil {
			t.Fatalf("encoding samples: %v", err)
		}
		var back ScrapeLine
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("decoding %s: %v", b, err)
		}
		if len(back.Samples) != len(samples) {
			t.Fatalf("round trip kept %d of %d samples", len(back.Samples), len(samples))
		}
		for i, s := range samples {
			r := back.Samples[i]
			if r.Name != s.Name || len(r.Labels) != len(s.Labels) ||
				!(r.Value == s.Value || math.IsNaN(r.Value) && math.IsNaN(s.Value)) {
				t.Fatalf("round trip changed %+v into %+v", s, r)
			}
		}
		for _, d := range Dialects {
			for q := range d.Sources {
				d.Scalar(q, samples, Filter{})
				if h, ok := d.Histogram(q, samples, Filter{}); ok {
					h.Quantile(0.5)
					h.Sub(h)
				}
			}
		}
	})
}
