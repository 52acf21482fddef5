// Package fakerun builds synthetic request records and run directories for
// the tests of the packages that read runs (compare, report,
// servermetrics, cmd/hypobench): deterministic from a seed, written the way
// the runner writes them. It is imported by tests only.
package fakerun

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/hypobench/hypobench/record"
)

// Group is one profile at one concurrency.
type Group struct {
	Profile     string
	Concurrency int
}

// DefaultGroups are the groups Records builds when given none.
var DefaultGroups = []Group{{"short_long", 1}, {"long_short", 4}}

// Records builds n successful requests per group (DefaultGroups when none
// is given), deterministically from seed: TTFT is 50 ms × ttftScale with
// log-normal noise (σ = sigma), TPOT 20 ms (σ = sigma/2), 64 output tokens,
// E2E = TTFT + 63·TPOT and Total = E2E + 1 ms. IDs count from req_000001
// across groups; Seq counts within a group.
func Records(seed uint64, n int, ttftScale, sigma float64, groups ...Group) []record.Record {
	rng := rand.New(rand.NewPCG(seed, 0xbe7c))
	if len(groups) == 0 {
		groups = DefaultGroups
	}
	var rs []record.Record
	for _, g := range groups {
		for i := range n {
			ttft := 0.050 * ttftScale * math.Exp(sigma*rng.NormFloat64())
			tpot := 0.020 * math.Exp(sigma/2*rng.NormFloat64())
			e2e := ttft + 63*tpot
			rs = append(rs, record.Record{
				ID: record.RequestID(len(rs) + 1), Profile: g.Profile, Concurrency: g.Concurrency, Seq: i,
				TTFT: record.F(ttft), TPOT: record.F(tpot), E2E: record.F(e2e), Total: e2e + 0.001,
				OutputTokens: record.I(64),
			})
		}
	}
	return rs
}

// WriteJSONL replaces path with vs, one JSON line each, through
// record.Writer as the runner writes its files.
func WriteJSONL[T any](t testing.TB, path string, vs []T) {
	t.Helper()
	os.Remove(path)
	w, err := record.OpenAppend(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if err := w.Write(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// WriteRun creates the run directory dir holding recs as requests.jsonl
// and, unless config is empty, config as config.json. It returns dir.
func WriteRun(t testing.TB, dir string, recs []record.Record, config string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	WriteJSONL(t, filepath.Join(dir, record.RequestsFile), recs)
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, record.ConfigFile), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
