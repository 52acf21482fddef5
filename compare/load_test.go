package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
)

const testConfig = `{
  "run_id": "%s",
  "status": "complete",
  "model": "Qwen/Qwen2.5-7B-Instruct",
  "seed": 1,
  "suite": {"name": "tiny"},
  "client": {"hostname": "ci-1", "os": "linux", "arch": "amd64", "cpus": 8, "cpu_model": "Xeon", "go": "go1.26.8"},
  "meta": {"target": "embedded", "model": "Qwen/Qwen2.5-7B-Instruct", "engine": {"gpu": {"name": "rtx4090"}, "speed": %s}}
}`

func config(id, speed string) string {
	return strings.Replace(strings.Replace(testConfig, "%s", id, 1), "%s", speed, 1)
}

func TestLoad(t *testing.T) {
	root := t.TempDir()
	recs := fakerun.Records(1, 12, 1, 0.1)
	dir := fakerun.WriteRun(t, filepath.Join(root, "run-a"), recs, config("run-a", "20"))
	bare := fakerun.WriteRun(t, filepath.Join(root, "run-bare"), recs[:3], "")
	// A truncated last line is skipped with a warning.
	f, _ := os.OpenFile(filepath.Join(bare, record.RequestsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":"req_0000`)
	f.Close()
	abab := filepath.Join(root, "abab")
	fakerun.WriteRun(t, filepath.Join(abab, "round-1"), recs[:10], config("r1", "20"))
	fakerun.WriteRun(t, filepath.Join(abab, "round-2"), recs[10:], config("r2", "20"))
	os.Symlink("round-2", filepath.Join(abab, "latest"))
	empty := fakerun.WriteRun(t, filepath.Join(root, "empty"), nil, config("e", "20"))

	for _, tc := range []struct {
		name     string
		path     string
		n        int
		runID    string
		warnings int
		config   bool
		err      error
	}{
		{name: "run directory", path: dir, n: 24, runID: "run-a", config: true},
		{name: "requests.jsonl", path: filepath.Join(dir, record.RequestsFile), n: 24, runID: "run-a", config: true},
		{name: "no config, bad line", path: bare, n: 3, warnings: 2},
		{name: "pooled rounds skip latest", path: abab, n: 24, runID: "pooled rounds", config: true},
		{name: "no records", path: empty, err: record.ErrNoRecords},
		{name: "missing", path: filepath.Join(root, "nope"), err: os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load(tc.path)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Load: %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Requests != tc.n || len(s.Records) != tc.n {
				t.Errorf("%d requests, want %d", s.Requests, tc.n)
			}
			if s.RunID != tc.runID {
				t.Errorf("run id %q, want %q", s.RunID, tc.runID)
			}
			if len(s.Warnings) != tc.warnings {
				t.Errorf("warnings %q, want %d", s.Warnings, tc.warnings)
			}
			if (s.Config != nil) != tc.config {
				t.Errorf("config %v, want present %v", s.Config, tc.config)
			}
		})
	}
}

func TestIdentityWarnings(t *testing.T) {
	parse := func(s string) *record.RunConfig {
		c, err := record.ParseConfig("config.json", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	base := parse(config("a", "20"))
	for _, tc := range []struct {
		name string
		cand *record.RunConfig
		want []string // substrings, one per warning
	}{
		{name: "same", cand: parse(config("b", "20"))},
		{name: "engine speed", cand: parse(config("b", "10")), want: []string{"DIFFERENT ENGINE", "speed 20 → 10"}},
		{name: "host and target", cand: parse(strings.NewReplacer(`"ci-1"`, `"laptop"`, `"target": "embedded"`, `"target": "http://10.0.0.2:8000"`).Replace(config("b", "20"))),
			want: []string{"DIFFERENT CLIENT HOST: baseline ci-1, new laptop", "DIFFERENT TARGET: baseline embedded, new http://10.0.0.2:8000"}},
		{name: "no config", cand: nil, want: []string{"UNKNOWN MACHINE/TARGET"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := IdentityWarnings(base, tc.cand)
			all := strings.Join(got, "\n")
			if len(tc.want) == 0 && len(got) > 0 {
				t.Errorf("warnings %q, want none", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("warnings %q lack %q", got, w)
				}
			}
		})
	}
}

// TestGolden holds the text table and compare.json to files in testdata/.
func TestGolden(t *testing.T) {
	root := t.TempDir()
	base := fakerun.Records(1, 40, 1, 0.1, fakerun.Group{Profile: "short_long", Concurrency: 1}, fakerun.Group{Profile: "long_short", Concurrency: 8})
	cand := fakerun.Records(2, 40, 1.2, 0.1, fakerun.Group{Profile: "short_long", Concurrency: 1}, fakerun.Group{Profile: "long_short", Concurrency: 8}, fakerun.Group{Profile: "long_long", Concurrency: 8})
	cand[3].ErrorClass = record.ClassTimeout
	bs, err := Load(fakerun.WriteRun(t, filepath.Join(root, "base"), base, config("base", "20")))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Load(fakerun.WriteRun(t, filepath.Join(root, "new"), cand, config("new", "10")))
	if err != nil {
		t.Fatal(err)
	}
	bs.Path, cs.Path, bs.Dir, cs.Dir = "reports/baselines/base", "reports/latest", "reports/baselines/base", "reports/latest"
	rep := Runs(bs, cs, Options{Budgets: map[Metric]float64{TTFT: 0.10}})
	if rep.Outcome != verdict.Inconclusive || rep.Operating != nil {
		t.Errorf("outcome %s, operating %v; want inconclusive (one run per side) and no calibration", rep.Outcome, rep.Operating)
	}
	var text bytes.Buffer
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/table.golden", text.Bytes())
	testutil.Golden(t, "testdata/compare.json.golden", append(js, '\n'))

	// compare.json decodes back to the same checks.
	path := filepath.Join(root, JSONFile)
	if err := WriteJSON(path, rep); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Outcome != rep.Outcome || len(back.Checks) != len(rep.Checks) || back.Checks[0].CI != rep.Checks[0].CI {
		t.Errorf("compare.json round trip: %+v", back.Checks[0])
	}
}

// TestGoldenRounds holds the table and compare.json of an interleaved
// session (pooled round directories) to files in testdata/: the design,
// the rounds and the operating characteristics shown beside the verdict.
func TestGoldenRounds(t *testing.T) {
	root := t.TempDir()
	base, cand := interleave(31, 4, 40, 1.3, 0.1, 0.1)
	for side, recs := range [][]record.Record{base, cand} {
		for r := range 4 {
			var run []record.Record
			id := fmt.Sprintf("%c-r%02d", 'A'+side, r+1)
			for _, rec := range recs {
				if rec.RunID == id {
					run = append(run, rec)
				}
			}
			fakerun.WriteRun(t, filepath.Join(root, string(rune('A'+side)), fmt.Sprintf("round-%02d", r+1)), run, config(id, "10"))
		}
	}
	bs, err := Load(filepath.Join(root, "A"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Load(filepath.Join(root, "B"))
	if err != nil {
		t.Fatal(err)
	}
	bs.Path, cs.Path, bs.Dir, cs.Dir = "reports/abab/A", "reports/abab/B", "reports/abab/A", "reports/abab/B"
	rep := Runs(bs, cs, Options{})
	if rep.Outcome != verdict.Fail || rep.Operating == nil {
		t.Errorf("outcome %s, operating %v; want fail with the interleaved calibration", rep.Outcome, rep.Operating)
	}
	var text bytes.Buffer
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/table_rounds.golden", text.Bytes())
	testutil.Golden(t, "testdata/compare_rounds.json.golden", append(js, '\n'))
}

func FuzzParseBudget(f *testing.F) {
	for _, s := range []string{"5%", "0.05", " 10 % ", "-1", "1e309", "NaN", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseBudget(s)
		if err == nil && !(v > 0 && v <= MaxBudget) {
			t.Errorf("ParseBudget(%q) = %g with no error", s, v)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(config("a", "20")))
	f.Add([]byte(`{"suite": "tiny", "meta": {"engine": null}}`))
	f.Add([]byte(`{"run_id": 3}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := record.ParseConfig("config.json", b)
		if err != nil {
			var ce *record.ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *record.ConfigError", err)
			}
			return
		}
		_ = c.SuiteName()
		_ = IdentityWarnings(c, c)
		if w := IdentityWarnings(c, c); len(w) > 0 {
			t.Errorf("a config differs from itself: %q", w)
		}
	})
}
