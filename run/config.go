package run

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// Env holds the HYPOBENCH_* configuration. Environment variables are used
// because flags do not travel through `go test ./...`; the CLI's flags of
// the same names (BindFlags) override them through the same parsers.
type Env struct {
	Target      string // HYPOBENCH_TARGET: base URL root (no /v1); empty starts the embedded engine
	Model       string // HYPOBENCH_MODEL: empty asks the target's /v1/models
	APIKey      string `json:"-"` // HYPOBENCH_API_KEY, falling back to OPENAI_API_KEY
	Suite       string // HYPOBENCH_SUITE: built-in name or file
	Concurrency []int  // HYPOBENCH_CONCURRENCY: e.g. 1,2,4,8
	Requests    int    // HYPOBENCH_REQUESTS: requests per profile per level
	Out         string // HYPOBENCH_OUT: reports root (default "reports")
	Seed        uint64 // HYPOBENCH_SEED
	SeedSet     bool
	Engine      string        // HYPOBENCH_ENGINE: embedded engine gpu:model
	Speed       float64       // HYPOBENCH_SPEED: embedded engine time compression
	Trace       string        // HYPOBENCH_TRACE: kernel trace file, or "profile"
	Endpoint    string        // HYPOBENCH_ENDPOINT: completions or chat
	Timeout     time.Duration // HYPOBENCH_TIMEOUT: per request; 0 means openai.DefaultTimeout
	// MetricsAuth (HYPOBENCH_METRICS_AUTH=1) sends the API key to the
	// target's /metrics too; by default the scraper sends no key there.
	MetricsAuth bool
	// Budget (HYPOBENCH_BUDGET, e.g. 5m) is the wall-clock time a
	// hypothesis design may take, its pilot included; 0 runs designs as
	// given. See SizeDesign. A HYPOBENCH_BUDGET that is a percentage or a
	// fraction (5%, 0.05) is the regression gate's allowed slowdown
	// instead and leaves Budget 0.
	Budget time.Duration
}

// ErrSetting is wrapped by every error of a setting's parser.
var ErrSetting = errors.New("invalid setting")

// setting is one configuration value: its variable, its flag, and the one
// parser both go through. A parser rejects a malformed value with a
// message saying what it wants.
type setting struct {
	env, flag, usage string
	set              func(e *Env, v string) error
}

var settings = []setting{
	{"HYPOBENCH_TARGET", "target", "base URL of an OpenAI-compatible server, with or without /v1 (empty: the embedded engine)", func(e *Env, v string) error {
		if v == "" {
			e.Target = ""
			return nil
		}
		root, err := openai.ParseBaseURL(v)
		e.Target = root
		return err
	}},
	{"HYPOBENCH_MODEL", "model", "model name (empty: the first listed by /v1/models)", func(e *Env, v string) error {
		e.Model = v
		return nil
	}},
	{"HYPOBENCH_SUITE", "suite", "suite: tiny, huge, or a suite file", func(e *Env, v string) error {
		e.Suite = v
		return nil
	}},
	{"HYPOBENCH_CONCURRENCY", "concurrency", "comma-separated concurrency levels, overriding the suite's", func(e *Env, v string) (err error) {
		e.Concurrency, err = ParseInts(v)
		return err
	}},
	{"HYPOBENCH_REQUESTS", "requests", "requests per profile per level, overriding the suite's", func(e *Env, v string) (err error) {
		e.Requests, err = positiveInt(v)
		return err
	}},
	{"HYPOBENCH_ENDPOINT", "endpoint", "completions or chat, overriding the suite's", func(e *Env, v string) error {
		if v != "" && v != "completions" && v != "chat" {
			return fmt.Errorf("%w: want completions or chat", ErrSetting)
		}
		e.Endpoint = v
		return nil
	}},
	{"HYPOBENCH_OUT", "out", "reports root; the run lands in OUT/<run-id>", func(e *Env, v string) error {
		if v == "" || strings.ContainsRune(v, 0) {
			return fmt.Errorf("%w: want a directory", ErrSetting)
		}
		e.Out = v
		return nil
	}},
	{"HYPOBENCH_SEED", "seed", "seed for nonces and statistics", func(e *Env, v string) (err error) {
		if e.Seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return fmt.Errorf("%w: want an unsigned integer", ErrSetting)
		}
		e.SeedSet = true
		return nil
	}},
	{"HYPOBENCH_ENGINE", "engine", "embedded engine gpu:model, e.g. rtx4090:qwen2.5-7b", func(e *Env, v string) error {
		e.Engine = v
		return nil
	}},
	{"HYPOBENCH_SPEED", "speed", "embedded engine time compression (10 = ten times faster than the modelled GPU)", func(e *Env, v string) (err error) {
		e.Speed, err = PositiveFloat(v)
		return err
	}},
	{"HYPOBENCH_TRACE", "", "", func(e *Env, v string) error {
		e.Trace = v
		return nil
	}},
	{"HYPOBENCH_TIMEOUT", "timeout", "per-request timeout (default 10m)", func(e *Env, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%w: want a positive duration such as 90s or 10m", ErrSetting)
		}
		e.Timeout = d
		return nil
	}},
	{"HYPOBENCH_BUDGET", "", "", func(e *Env, v string) (err error) {
		// A duration is a design's time budget; a percentage or a
		// fraction (5%, 0.05) is the regression gate's allowed slowdown,
		// which TestRegression and compare parse (compare.ParseBudget).
		if isRegressionBudget(v) {
			return nil
		}
		e.Budget, err = ParseBudget(v)
		return err
	}},
	{"HYPOBENCH_METRICS_AUTH", "metrics-auth", "send the API key to the target's /metrics too (default: no key there)", func(e *Env, v string) (err error) {
		if e.MetricsAuth, err = strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%w: want true or false", ErrSetting)
		}
		return nil
	}},
}

// LoadEnv reads the HYPOBENCH_* variables. A malformed value is an error
// naming the variable.
func LoadEnv() (Env, error) { return ParseEnv(os.LookupEnv) }

// ParseEnv is LoadEnv reading variables through lookup.
func ParseEnv(lookup func(string) (string, bool)) (Env, error) {
	e := Env{Out: "reports"}
	e.APIKey, _ = lookup("HYPOBENCH_API_KEY")
	if e.APIKey == "" {
		e.APIKey, _ = lookup("OPENAI_API_KEY")
	}
	for _, s := range settings {
		v, ok := lookup(s.env)
		if !ok || v == "" {
			continue
		}
		if err := s.set(&e, v); err != nil {
			return e, fmt.Errorf("%s=%q: %w", s.env, openai.StripCredentials(v), err)
		}
	}
	return e, nil
}

// BindFlags defines on fs the flags of the named settings (all that have a
// flag when names is empty), each parsed into e by the same parser as its
// variable, so `--speed NaN` and HYPOBENCH_SPEED=NaN fail alike.
func (e *Env) BindFlags(fs *flag.FlagSet, names ...string) {
	for _, s := range settings {
		if s.flag == "" || len(names) > 0 && !contains(names, s.flag) {
			continue
		}
		if s.flag == "metrics-auth" {
			fs.BoolFunc(s.flag, s.usage, func(v string) error { return s.set(e, v) })
			continue
		}
		fs.Func(s.flag, s.usage, func(v string) error { return s.set(e, v) })
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// ParseInts parses a comma-separated list of positive integers.
func ParseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := positiveInt(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not a positive integer", ErrSetting, f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty list", ErrSetting)
	}
	return out, nil
}

func positiveInt(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: want a positive integer", ErrSetting)
	}
	return n, nil
}

// PositiveFloat parses a finite number greater than zero: NaN, ±Inf, zero
// and negative values are errors. The embedded engine's --speed goes
// through it in every command.
func PositiveFloat(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return 0, fmt.Errorf("%w: want a positive finite number", ErrSetting)
	}
	return f, nil
}

// NonNegativeFloat parses a finite number ≥ 0: NaN, ±Inf and negative
// values are errors. `hypobench predict`'s engine knobs go through it.
func NonNegativeFloat(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, fmt.Errorf("%w: want a finite number ≥ 0", ErrSetting)
	}
	return f, nil
}

// NonNegativeInt parses an integer ≥ 0.
func NonNegativeInt(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: want an integer ≥ 0", ErrSetting)
	}
	return n, nil
}

// NonNegativeDuration parses a Go duration ≥ 0.
func NonNegativeDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%w: want a duration ≥ 0 such as 300us", ErrSetting)
	}
	return d, nil
}

// ApplySuite loads env's suite, applies env's overrides (concurrency,
// requests, endpoint, seed) and validates the result: the suite file's own
// checks (workload.Suite.Validate) plus the confinement of every name
// that becomes a path (the suite's name is part of the run id, a
// profile's name part of report file names).
func ApplySuite(env Env) (*workload.Suite, error) {
	s, err := workload.LoadSuite(env.Suite)
	if err != nil {
		return nil, err
	}
	if err := ConfigureSuite(s, env); err != nil {
		return nil, err
	}
	return s, nil
}

// ConfigureSuite applies env's overrides to s and validates the result
// (ValidateSuite).
func ConfigureSuite(s *workload.Suite, env Env) error {
	if len(env.Concurrency) > 0 {
		s.Concurrency = env.Concurrency
	}
	if env.Requests > 0 {
		s.Requests = env.Requests
	}
	if env.Endpoint != "" {
		s.Endpoint = env.Endpoint
	}
	if env.SeedSet {
		s.Seed = env.Seed
	}
	return ValidateSuite(s)
}

// ValidateSuite runs the suite's own checks and confines its names (see
// ApplySuite).
func ValidateSuite(s *workload.Suite) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := record.CheckName("suite name", s.Name); err != nil {
		return fmt.Errorf("suite %q: %w", s.Name, err)
	}
	for i, p := range s.Profiles {
		if err := record.CheckName(fmt.Sprintf("profiles[%d].name", i), p.Name); err != nil {
			return fmt.Errorf("suite %q: %w", s.Name, err)
		}
	}
	return nil
}
