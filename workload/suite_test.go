package workload

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestBuiltinSuitesMatchSeed(t *testing.T) {
	want := map[string][4][2]int{
		"tiny": {{40, 8}, {40, 512}, {400, 8}, {400, 512}},
		"huge": {{40, 1}, {40, 512}, {1000, 1}, {1000, 512}},
	}
	names := []string{"short_short", "short_long", "long_short", "long_long"}
	for suite, w := range want {
		s, err := LoadSuite(suite)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Profiles) != 4 {
			t.Fatalf("%s: %d profiles", suite, len(s.Profiles))
		}
		for i, p := range s.Profiles {
			if p.Name != names[i] || p.PromptRep != w[i][0] || p.MaxTokens != w[i][1] {
				t.Errorf("%s profile %d = %+v, want %s rep %d max %d", suite, i, p, names[i], w[i][0], w[i][1])
			}
		}
		if !s.Nonce || s.Order != Ordered {
			t.Errorf("%s: nonce %v order %q, want nonce on and ordered", suite, s.Nonce, s.Order)
		}
	}
}

func TestParseSuiteErrors(t *testing.T) {
	const good = `{"name":"x","base_text":"hi ","profiles":[{"name":"a","prompt_rep":1,"max_tokens":1}],"concurrency":[1],"requests":1,"warmup":0,"order":"ordered","seed":1}`
	type testCase struct {
		name      string
		in        string
		wantField string
		wantMsg   string
	}
	run := func(t *testing.T, tc testCase) {
		_, err := ParseSuite("s.json", []byte(tc.in))
		if tc.wantField == "" && tc.wantMsg == "" {
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		var se *SuiteError
		if !errors.As(err, &se) {
			t.Fatalf("err = %v, want *SuiteError", err)
		}
		if se.File != "s.json" {
			t.Errorf("File = %q", se.File)
		}
		if se.Field != tc.wantField {
			t.Errorf("Field = %q, want %q (%v)", se.Field, tc.wantField, err)
		}
		if !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("error %q does not contain %q", err, tc.wantMsg)
		}
	}
	for _, tc := range []testCase{
		{name: "good", in: good},
		{name: "syntax", in: `{"name":`, wantMsg: "unexpected EOF"},
		{name: "unknown field", in: strings.Replace(good, `"seed"`, `"sede"`, 1), wantField: "sede", wantMsg: "unknown field"},
		{name: "wrong type", in: strings.Replace(good, `"requests":1`, `"requests":"many"`, 1), wantField: "requests", wantMsg: "want int"},
		{name: "no name", in: strings.Replace(good, `"name":"x",`, ``, 1), wantField: "name", wantMsg: "missing"},
		{name: "zero rep", in: strings.Replace(good, `"prompt_rep":1`, `"prompt_rep":0`, 1), wantField: "profiles[0].prompt_rep", wantMsg: "≥ 1"},
		{name: "zero max", in: strings.Replace(good, `"max_tokens":1`, `"max_tokens":0`, 1), wantField: "profiles[0].max_tokens", wantMsg: "≥ 1"},
		{name: "bad order", in: strings.Replace(good, `"ordered"`, `"random"`, 1), wantField: "order", wantMsg: "random"},
		{name: "bad concurrency", in: strings.Replace(good, `"concurrency":[1]`, `"concurrency":[1,0]`, 1), wantField: "concurrency[1]", wantMsg: "≥ 1"},
		{name: "empty concurrency", in: strings.Replace(good, `"concurrency":[1]`, `"concurrency":[]`, 1), wantField: "concurrency", wantMsg: "at least one"},
		{name: "bad endpoint", in: strings.Replace(good, `"name":"x",`, `"name":"x","endpoint":"embeddings",`, 1), wantField: "endpoint", wantMsg: "embeddings"},
		{name: "duplicate profile", in: strings.Replace(good, `[{"name":"a","prompt_rep":1,"max_tokens":1}]`, `[{"name":"a","prompt_rep":1,"max_tokens":1},{"name":"a","prompt_rep":2,"max_tokens":1}]`, 1), wantField: "profiles[1].name", wantMsg: "duplicate"},
		{name: "trailing", in: good + `{}`, wantMsg: "trailing"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestLoadSuiteUnknown(t *testing.T) {
	if _, err := LoadSuite("nope"); !errors.Is(err, ErrUnknownSuite) {
		t.Fatalf("err = %v, want ErrUnknownSuite", err)
	}
	if _, err := LoadSuite("./does-not-exist.json"); err == nil || !strings.Contains(err.Error(), "does-not-exist.json") {
		t.Fatalf("err = %v, want it to name the file", err)
	}
}

func TestPlanAndPrompt(t *testing.T) {
	s, err := LoadSuite("tiny")
	if err != nil {
		t.Fatal(err)
	}
	s.Concurrency = []int{1, 32}
	ps := s.Plan()
	if len(ps) != 8 {
		t.Fatalf("%d phases, want 8", len(ps))
	}
	if ps[0].Profile.Name != "short_short" || ps[3].Profile.Name != "long_long" || ps[4].Concurrency != 32 {
		t.Errorf("ordered plan wrong: %+v", ps)
	}
	if ps[4].Requests != s.MinPerWorker*32 {
		t.Errorf("requests at c=32 = %d, want %d", ps[4].Requests, s.MinPerWorker*32)
	}
	s.Order = Shuffled
	sh := s.Plan()
	same := true
	for i := range sh {
		same = same && sh[i].Profile == ps[i].Profile && sh[i].Concurrency == ps[i].Concurrency
	}
	if same {
		t.Error("shuffled plan equals ordered plan")
	}
	p := s.Prompt(s.Profiles[2], Nonce(1, 7))
	if !strings.HasPrefix(p, Nonce(1, 7)+" ") || strings.Count(p, "hi ") != 400 {
		t.Errorf("prompt %.40q... wrong", p)
	}
	if Nonce(1, 7) == Nonce(1, 8) || Nonce(1, 7) != Nonce(1, 7) {
		t.Error("nonce not unique per request or not reproducible")
	}
	s.Nonce = false
	if got := s.Prompt(s.Profiles[0], "[x]"); strings.Contains(got, "[x]") {
		t.Error("nonce used although the suite switched it off")
	}
}

func FuzzParseSuite(f *testing.F) {
	for _, n := range BuiltinSuites() {
		b, _ := readBuiltin(n)
		f.Add(b)
	}
	f.Add([]byte(`{"name":1}`))
	f.Add([]byte(openGood))
	f.Add([]byte(`{"name":"r","base_text":"x","profiles":[{"name":"a","prompt_rep":1,"max_tokens":1}],"ramp":{"from_rate":1,"to_rate":9,"duration_s":5},"arrival":"gamma","burstiness":0.5,"seed":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSuite("fuzz.json", b)
		if err != nil {
			var se *SuiteError
			if !errors.As(err, &se) || se.File != "fuzz.json" {
				t.Fatalf("error %v does not name the file", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted suite fails validation: %v", err)
		}
		for _, p := range s.Plan() {
			if p.Requests < 1 || p.Concurrency < 1 {
				t.Fatalf("bad phase %+v", p)
			}
		}
		if s.OpenLoop() && s.Trace == nil {
			ps, err := s.OpenPlan()
			if err != nil || len(ps) == 0 {
				t.Fatalf("accepted open-loop suite has no plan: %v", err)
			}
			for _, p := range ps {
				if err := p.Process.Validate(); err != nil {
					t.Fatalf("phase %+v: %v", p, err)
				}
			}
		}
	})
}

func TestPlanMixed(t *testing.T) {
	s, err := LoadSuite("tiny")
	if err != nil {
		t.Fatal(err)
	}
	s.Mix = true
	s.Concurrency = []int{1}
	s.Requests = 5
	ps := s.Plan()
	if len(ps) != 1 || ps[0].Requests != 20 || ps[0].Profile.Name != MixedProfile {
		t.Fatalf("mixed plan = %+v", ps)
	}
	count := map[string]int{}
	runs := 0
	for k := range ps[0].Requests {
		p := ps[0].ProfileOf(k)
		count[p.Name]++
		if k > 0 && p.Name != ps[0].ProfileOf(k-1).Name {
			runs++
		}
	}
	for _, p := range s.Profiles {
		if count[p.Name] != 5 {
			t.Errorf("profile %s has %d requests, want 5", p.Name, count[p.Name])
		}
	}
	if runs < 5 {
		t.Errorf("only %d profile changes in 20 requests: not interleaved", runs)
	}
}

func TestPlanRounds(t *testing.T) {
	s, err := LoadSuite("tiny")
	if err != nil {
		t.Fatal(err)
	}
	s.Rounds = 4
	ps := s.Plan()
	per := len(s.Concurrency) * len(s.Profiles)
	if len(ps) != 4*per {
		t.Fatalf("%d phases, want %d", len(ps), 4*per)
	}
	orders := map[string]bool{}
	for r := 1; r <= 4; r++ {
		round := ps[(r-1)*per : r*per]
		var levels []int
		seen := map[int]bool{}
		for i, p := range round {
			if p.Round != r {
				t.Fatalf("phase %d of round %d has round %d", i, r, p.Round)
			}
			if !seen[p.Concurrency] {
				seen[p.Concurrency] = true
				levels = append(levels, p.Concurrency)
			}
			// Within a level, the profiles keep the suite's order.
			if p.Profile.Name != s.Profiles[i%len(s.Profiles)].Name {
				t.Errorf("round %d phase %d: profile %s out of order", r, i, p.Profile.Name)
			}
		}
		if len(levels) != len(s.Concurrency) {
			t.Errorf("round %d runs levels %v, want each of %v once", r, levels, s.Concurrency)
		}
		orders[fmt.Sprint(levels)] = true
	}
	if len(orders) < 3 {
		t.Errorf("the level order is not drawn afresh per round: %d distinct orders in 4 rounds", len(orders))
	}
	// Reproducible from the seed; a suite without rounds is unchanged.
	if fmt.Sprint(s.Plan()) != fmt.Sprint(ps) {
		t.Error("the plan with rounds is not reproducible")
	}
	s.Rounds = 0
	for _, p := range s.Plan() {
		if p.Round != 0 {
			t.Fatalf("a suite without rounds has a phase in round %d", p.Round)
		}
	}
	s.Rounds = -1
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "rounds") {
		t.Errorf("rounds -1: %v, want an error naming the field", err)
	}
}
