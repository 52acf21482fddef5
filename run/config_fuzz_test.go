package run

import (
	"errors"
	"flag"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// FuzzConfig drives the whole configuration path — HYPOBENCH_* variables,
// the run command's flags, a suite file, and every name that becomes a
// path — with arbitrary input and asserts: a clear error or a valid
// configuration, never a panic, never a path outside OUT, never a
// credential in a message. No engine is started and nothing is written.
// `go test` runs the seeds; `make fuzz` (scripts/fuzz.sh) runs it longer,
// e.g. FUZZTIME=1000000x for a million executions.
func FuzzConfig(f *testing.F) {
	tiny := `{"name":"tiny","base_text":"hi ","profiles":[{"name":"short_short","prompt_rep":2,"max_tokens":2}],"concurrency":[1,2],"requests":4}`
	seeds := []struct{ speed, requests, timeout, conc, target, out, args, suite string }{
		{"10", "8", "90s", "1,2,4", "", "reports", "", tiny},
		{"NaN", "", "", "", "", "", "", tiny},
		{"", "-1", "-1s", "0", "", "", "--speed -1", tiny},
		{"", "", "", "", "http://user:pw@h:1", "", "--target http://u:p@x", tiny},
		{"", "", "", "", "http://h:8000/v1/", "/tmp/r", "--speed +Inf --requests 0", tiny},
		{"1e309", "99999999999999999999", "1h", "1,,2", "ftp://h", "", "--concurrency 3,4 --timeout 0s", tiny},
		{"", "", "", "", "", "../..", "", `{"name":"../../../../elsewhere/ESCAPED","base_text":"x","profiles":[{"name":"a","prompt_rep":1,"max_tokens":1}],"concurrency":[1],"requests":1}`},
		{"", "", "", "", "", "", "", `{"name":"ok","base_text":"x","profiles":[{"name":"../p","prompt_rep":1,"max_tokens":1}],"concurrency":[1],"requests":1}`},
		{"", "", "", "", "", "", "", `{"name":"open","base_text":"x","profiles":[{"name":"a","prompt_rep":1,"max_tokens":1}],"rate":1e308,"duration_s":-1}`},
	}
	for _, s := range seeds {
		f.Add(s.speed, s.requests, s.timeout, s.conc, s.target, s.out, s.args, s.suite)
	}
	f.Fuzz(func(t *testing.T, speed, requests, timeout, conc, target, out, args, suiteJSON string) {
		vars := map[string]string{"HYPOBENCH_SPEED": speed, "HYPOBENCH_REQUESTS": requests, "HYPOBENCH_TIMEOUT": timeout,
			"HYPOBENCH_CONCURRENCY": conc, "HYPOBENCH_TARGET": target, "HYPOBENCH_OUT": out}
		lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
		secret := userinfoOf(target, args)
		env, err := ParseEnv(lookup)
		if err != nil {
			checkError(t, err, secret)
			return
		}
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		env.BindFlags(fs)
		if err := fs.Parse(strings.Fields(args)); err != nil {
			checkError(t, errors.New(openai.StripCredentials(err.Error())), secret)
			return
		}
		// Whatever the parsers accepted is a valid configuration.
		if err := env.Validate(); err != nil {
			t.Fatalf("parsers accepted an Env that Validate refuses: %v (%+v)", err, env)
		}
		if math.IsNaN(env.Speed) || math.IsInf(env.Speed, 0) || env.Speed < 0 || env.Requests < 0 || env.Timeout < 0 || env.Out == "" {
			t.Fatalf("invalid Env accepted: %+v", env)
		}
		if strings.Contains(env.Target, "@") || strings.HasSuffix(env.Target, "/v1") || strings.HasSuffix(env.Target, "/") {
			t.Fatalf("target %q kept credentials or a /v1 suffix", env.Target)
		}
		s, err := workload.ParseSuite("fuzz.json", []byte(suiteJSON))
		if err != nil {
			checkError(t, err, secret)
			return
		}
		if err := ConfigureSuite(s, env); err != nil {
			checkError(t, err, secret)
			return
		}
		if !s.OpenLoop() { // an open loop's plan draws its schedule, up to workload.MaxScheduleLen
			if n, _, err := PlannedStreams(s, env.Timeout); err != nil || n < 0 {
				t.Fatalf("planned streams %d, %v", n, err)
			}
		}
		// Every name that becomes a path stays under OUT.
		dir, id, err := dirOf(env.Out, s.Name, time.Unix(0, 0), [3]byte{1, 2, 3})
		if err != nil {
			t.Fatalf("a validated suite name %q gives no run directory: %v", s.Name, err)
		}
		if !record.Within(env.Out, dir) || filepath.Dir(dir) != filepath.Clean(env.Out) || filepath.Base(dir) != id {
			t.Fatalf("run directory %q is not one level under OUT %q", dir, env.Out)
		}
		for _, p := range s.Profiles {
			if pp, err := record.Join(dir, "profile", p.Name); err != nil || !record.Within(dir, pp) {
				t.Fatalf("profile %q escapes the run directory: %q %v", p.Name, pp, err)
			}
		}
		if b, err := record.Join(filepath.Join(env.Out, "baselines"), "baseline name", id); err != nil || !record.Within(env.Out, b) {
			t.Fatalf("baseline %q escapes OUT: %v", b, err)
		}
	})
}

// userinfoOf returns the password part of any user:pw@ in the inputs, so
// messages can be checked not to repeat it.
func userinfoOf(inputs ...string) []string {
	var out []string
	for _, in := range inputs {
		for _, m := range userinfoRE.FindAllStringSubmatch(in, -1) {
			if len(m[1]) >= 4 {
				out = append(out, m[1])
			}
		}
	}
	return out
}

func checkError(t *testing.T, err error, secrets []string) {
	t.Helper()
	msg := err.Error()
	if strings.TrimSpace(msg) == "" {
		t.Fatal("an error with no message")
	}
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Fatalf("error %q repeats the credentials %q", msg, s)
		}
	}
}

var userinfoRE = regexp.MustCompile(`://[^/?#@\s"']*:([^/?#@\s"']+)@`)
