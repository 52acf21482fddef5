package workload

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const openGood = `{"name":"o","base_text":"hi ","profiles":[{"name":"a","prompt_rep":1,"max_tokens":1},{"name":"b","prompt_rep":2,"max_tokens":4}],"rates":[1,4],"duration_s":30,"warmup":0,"seed":3}`

func TestParseSuiteOpenLoopErrors(t *testing.T) {
	t.Parallel()
	type testCase struct {
		name      string
		in        string
		wantField string
		wantMsg   string
	}
	rep := func(old, new string) string { return strings.Replace(openGood, old, new, 1) }
	for _, tc := range []testCase{
		{name: "good", in: openGood},
		{name: "good rate and gamma", in: rep(`"rates":[1,4]`, `"rate":2,"arrival":"gamma","burstiness":0.5,"max_concurrency":8`)},
		{name: "good requests only", in: rep(`"duration_s":30`, `"requests":100`)},
		{name: "good ramp only", in: rep(`"rates":[1,4],`, `"ramp":{"from_rate":1,"to_rate":5,"duration_s":60},`)},
		{name: "unknown field", in: rep(`"rates"`, `"rate_list"`), wantField: "rate_list", wantMsg: "unknown field"},
		{name: "unknown ramp field", in: rep(`"rates":[1,4],`, `"ramp":{"from":1,"to_rate":5,"duration_s":60},`), wantField: "from", wantMsg: "unknown field"},
		{name: "concurrency too", in: rep(`"rates"`, `"concurrency":[1],"rates"`), wantField: "concurrency", wantMsg: "max_concurrency"},
		{name: "rate and rates", in: rep(`"rates"`, `"rate":1,"rates"`), wantField: "rates", wantMsg: "not both"},
		{name: "no rate", in: rep(`"rates":[1,4]`, `"arrival":"poisson"`), wantField: "rate", wantMsg: "needs rate"},
		{name: "zero rate in list", in: rep(`[1,4]`, `[1,0]`), wantField: "rates[1]", wantMsg: "> 0"},
		{name: "negative rate", in: rep(`"rates":[1,4]`, `"rate":-2`), wantField: "rate", wantMsg: "> 0"},
		{name: "overflowing rate", in: rep(`"rates":[1,4]`, `"rate":1e999`), wantField: "rate", wantMsg: "float64"},
		{name: "string rate", in: rep(`"rates":[1,4]`, `"rate":"fast"`), wantField: "rate", wantMsg: "want float64"},
		{name: "bad arrival", in: rep(`"rates"`, `"arrival":"uniform","rates"`), wantField: "arrival", wantMsg: "uniform"},
		{name: "burstiness without gamma", in: rep(`"rates"`, `"burstiness":2,"rates"`), wantField: "burstiness", wantMsg: "gamma only"},
		{name: "negative burstiness", in: rep(`"rates"`, `"arrival":"gamma","burstiness":-1,"rates"`), wantField: "burstiness", wantMsg: "> 0"},
		{name: "negative duration", in: rep(`"duration_s":30`, `"duration_s":-1`), wantField: "duration_s", wantMsg: "≥ 0"},
		{name: "unbounded", in: rep(`"duration_s":30`, `"requests":0`), wantField: "duration_s", wantMsg: "duration_s > 0 or requests > 0"},
		{name: "too long", in: rep(`"duration_s":30`, `"duration_s":1e9`), wantField: "rates[0]", wantMsg: "too many"},
		{name: "negative requests", in: rep(`"duration_s":30`, `"duration_s":30,"requests":-1`), wantField: "requests", wantMsg: "≥ 0"},
		{name: "negative max_concurrency", in: rep(`"rates"`, `"max_concurrency":-1,"rates"`), wantField: "max_concurrency", wantMsg: "≥ 0"},
		{name: "ramp zero from", in: rep(`"rates":[1,4],`, `"ramp":{"from_rate":0,"to_rate":5,"duration_s":60},`), wantField: "ramp.from_rate", wantMsg: "> 0"},
		{name: "ramp no duration", in: rep(`"rates":[1,4],`, `"ramp":{"from_rate":1,"to_rate":5},`), wantField: "ramp.duration_s", wantMsg: "> 0"},
		{name: "trace with rates", in: `{"name":"t","base_text":"x","trace":{"file":"t.jsonl","format":"mooncake"},"rate":1}`, wantField: "trace", wantMsg: "own arrivals"},
		{name: "trace with profiles", in: rep(`"rates":[1,4]`, `"trace":{"file":"t.jsonl","format":"mooncake"}`), wantField: "profiles", wantMsg: "drop the profiles"},
		{name: "trace escapes", in: `{"name":"t","base_text":"x","trace":{"file":"../t.jsonl","format":"mooncake"}}`, wantField: "trace.file", wantMsg: "inside the suite's directory"},
		{name: "trace absolute", in: `{"name":"t","base_text":"x","trace":{"file":"/etc/passwd","format":"mooncake"}}`, wantField: "trace.file", wantMsg: "relative"},
		{name: "trace format", in: `{"name":"t","base_text":"x","trace":{"file":"t.csv","format":"splitwise"}}`, wantField: "trace.format", wantMsg: "splitwise"},
		{name: "trace good", in: `{"name":"t","base_text":"x","trace":{"file":"sub/t.csv","format":"azure"},"max_concurrency":4}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSuite("o.json", []byte(tc.in))
			if tc.wantField == "" && tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if !s.OpenLoop() {
					t.Fatal("suite not open-loop")
				}
				return
			}
			var se *SuiteError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SuiteError", err)
			}
			if se.File != "o.json" || se.Field != tc.wantField || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %v; want file o.json, field %q, message containing %q", err, tc.wantField, tc.wantMsg)
			}
		})
	}
}

func TestOpenPlan(t *testing.T) {
	t.Parallel()
	s, err := ParseSuite("o.json", []byte(strings.Replace(openGood, `"rates"`, `"ramp":{"from_rate":1,"to_rate":4,"duration_s":20},"max_concurrency":16,"rates"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.OpenPlan()
	if err != nil {
		t.Fatal(err)
	}
	type short struct {
		Profile  string
		Rate     float64
		EndRate  float64
		Duration time.Duration
	}
	var got []short
	seeds := map[uint64]bool{}
	for _, p := range ps {
		got = append(got, short{p.Profile.Name, p.Process.Rate, p.Process.EndRate, p.Process.Duration})
		if p.MaxConcurrency != 16 || p.Process.Arrival != Poisson {
			t.Errorf("phase %+v: max_concurrency or arrival not carried", p)
		}
		seeds[p.Seed] = true
	}
	want := []short{
		{"a", 1, 4, 20 * time.Second}, {"b", 1, 4, 20 * time.Second},
		{"a", 1, 0, 30 * time.Second}, {"b", 1, 0, 30 * time.Second},
		{"a", 4, 0, 30 * time.Second}, {"b", 4, 0, 30 * time.Second},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("plan (-want +got):\n%s", d)
	}
	if len(seeds) != len(ps) {
		t.Errorf("phases share seeds: %d distinct of %d", len(seeds), len(ps))
	}
	a, _ := ps[4].Schedule()
	b, _ := ps[4].Schedule()
	if !cmp.Equal(a, b) || len(a) < 60 || len(a) > 180 {
		t.Errorf("rate-4 phase of 30 s: %d arrivals (want ≈120, reproducible)", len(a))
	}
	if ps[4].TargetRate() != 4 || ps[0].TargetRate() != 2.5 {
		t.Errorf("target rates %v, %v; want 4 and 2.5", ps[4].TargetRate(), ps[0].TargetRate())
	}

	// Shuffled keeps the ramp first and each phase's seed with it.
	s.Order = Shuffled
	sh, err := s.OpenPlan()
	if err != nil {
		t.Fatal(err)
	}
	if sh[0].Process.EndRate == 0 || sh[1].Process.EndRate == 0 {
		t.Error("shuffle moved the ramp")
	}
	bySeed := map[uint64]OpenPhase{}
	for _, p := range ps {
		bySeed[p.Seed] = p
	}
	same := true
	for i, p := range sh {
		if q, ok := bySeed[p.Seed]; !ok || q.Profile != p.Profile || q.Process != p.Process {
			t.Errorf("shuffled phase %d has seed %d of another phase", i, p.Seed)
		}
		same = same && p.Seed == ps[i].Seed
	}
	if same {
		t.Error("shuffled plan equals ordered plan")
	}

	// Mixed: one phase per process, profiles drawn per request.
	s.Order, s.Mix = Ordered, true
	mx, err := s.OpenPlan()
	if err != nil {
		t.Fatal(err)
	}
	if len(mx) != 3 || mx[1].Profile.Name != MixedProfile {
		t.Fatalf("mixed plan: %d phases, first %q", len(mx), mx[1].Profile.Name)
	}
	count := map[string]int{}
	for k := range 1000 {
		count[mx[1].ProfileOf(k).Name]++
	}
	if count["a"] < 400 || count["b"] < 400 || mx[1].ProfileOf(7) != mx[1].ProfileOf(7) {
		t.Errorf("mixed draws %v: not uniform over a and b, or not reproducible", count)
	}

	closed, _ := LoadSuite("tiny")
	if _, err := closed.OpenPlan(); !errors.Is(err, ErrNotOpenLoop) {
		t.Errorf("closed suite: err = %v", err)
	}
}

// TestLoadSuiteTrace loads the committed trace suite; its only phase
// replays the Mooncake sample exactly.
func TestLoadSuiteTrace(t *testing.T) {
	t.Parallel()
	s, err := LoadSuite(filepath.Join(arrivalsDir, "mooncake-suite.json"))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.OpenPlan()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Profile.Name != TraceProfile || ps[0].MaxConcurrency != 64 {
		t.Fatalf("plan = %+v", ps)
	}
	got, _ := ps[0].Schedule()
	if len(got) != 7 || got[4] != (Due{At: 3001 * time.Millisecond, PromptTokens: 6120, OutputTokens: 90}) {
		t.Errorf("schedule = %+v", got)
	}
	got[0].At = time.Hour // the plan hands out copies
	if again, _ := ps[0].Schedule(); again[0].At != 0 {
		t.Error("Schedule returned the plan's own slice")
	}
	if r := ps[0].TargetRate(); r < 0.66 || r > 0.67 {
		t.Errorf("trace target rate %v, want 6/9 s", r)
	}

	dir := t.TempDir()
	bad := `{"name":"t","base_text":"x","trace":{"file":"t.jsonl","format":"hypobench"}}`
	if err := os.WriteFile(filepath.Join(dir, "s.json"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSuite(filepath.Join(dir, "s.json")); err == nil || !strings.Contains(err.Error(), "t.jsonl") {
		t.Errorf("missing trace: err = %v, want it to name the file", err)
	}
	os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(`{"at_s":0,"prompt_tokens":1,"output_tokens":1}`+"\n"+`{"at_s":-1}`), 0o644)
	var te *TraceError
	if _, err := LoadSuite(filepath.Join(dir, "s.json")); !errors.As(err, &te) || te.Line != 2 {
		t.Errorf("bad trace: err = %v, want a *TraceError at line 2", err)
	}
}
