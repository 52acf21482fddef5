package workload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hypobench/hypobench/fixtures"
)

// Profile is one workload shape: the prompt is the base text repeated
// PromptRep times, and the output is capped at MaxTokens.
type Profile struct {
	Name      string `json:"name"`
	PromptRep int    `json:"prompt_rep"`
	MaxTokens int    `json:"max_tokens"`
}

// Order values for Suite.Order.
const (
	// Ordered runs the profiles in the suite's order at each concurrency
	// level (SS → SL → LS → LL for the seed's suites), so phases can be told
	// apart in a kernel timeline.
	Ordered = "ordered"
	// Shuffled runs the phases in a seeded random order.
	Shuffled = "shuffled"
)

// Suite is a complete workload design.
type Suite struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	BaseText    string    `json:"base_text"`
	Nonce       bool      `json:"nonce"`
	Endpoint    string    `json:"endpoint"` // completions or chat
	IgnoreEOS   bool      `json:"ignore_eos"`
	Profiles    []Profile `json:"profiles"`
	Concurrency []int     `json:"concurrency"`
	// Requests is the number of measured requests per profile per
	// concurrency level; at least MinPerWorker × concurrency are sent.
	Requests     int    `json:"requests"`
	MinPerWorker int    `json:"min_per_worker,omitempty"`
	Warmup       int    `json:"warmup"`
	Order        string `json:"order"`
	// Mix runs all profiles of a concurrency level in one phase, each
	// request's profile drawn in a seeded random order (Requests of each
	// profile), so a ladder's levels are interleaved in time and drift
	// cannot masquerade as an effect. Records keep their own profile; the
	// phase's profile is "mixed".
	Mix bool `json:"mix,omitempty"`
	// Rounds, when positive, runs the whole ladder Rounds times, each
	// round with the concurrency levels in a fresh seeded random order
	// (Requests per profile per level per round), so a slow drift or a
	// warm-up effect spreads over every level instead of posing as an
	// effect, and an analysis can treat a round as its independent unit
	// (records carry their round). 0 runs the levels once in the given
	// order, as the seed's suites do.
	Rounds int    `json:"rounds,omitempty"`
	Seed   uint64 `json:"seed"`

	// The open-loop fields below make the suite open-loop (see OpenPlan):
	// requests are sent on a schedule instead of by a fixed number of
	// workers, and Concurrency must be empty.

	// Rate is the target rate in requests per second of one phase per
	// profile; Rates gives one phase per rate instead (a rate ladder).
	Rate  float64   `json:"rate,omitempty"`
	Rates []float64 `json:"rates,omitempty"`
	// Arrival is the inter-arrival process: poisson (the default),
	// constant or gamma.
	Arrival Arrival `json:"arrival,omitempty"`
	// Burstiness is the gamma shape (arrival gamma only; 1 = Poisson,
	// lower = burstier), as in vLLM's bench serve.
	Burstiness float64 `json:"burstiness,omitempty"`
	// DurationS bounds each rate phase in seconds; Requests (when > 0) caps
	// its count too, whichever ends first.
	DurationS float64 `json:"duration_s,omitempty"`
	// Ramp, when set, adds a first phase whose rate rises linearly.
	Ramp *Ramp `json:"ramp,omitempty"`
	// MaxConcurrency caps the requests in flight (0 = no cap); a request
	// due while the cap is reached waits, and its wait is send lag.
	MaxConcurrency int `json:"max_concurrency,omitempty"`
	// Trace replays a request trace: its offsets and lengths replace rate,
	// profiles and arrival.
	Trace *TraceSpec `json:"trace,omitempty"`

	traceDues []Due // loaded by LoadTrace
}

// Ramp is a phase whose target rate rises (or falls) linearly from FromRate
// to ToRate over DurationS seconds.
type Ramp struct {
	FromRate  float64 `json:"from_rate"`
	ToRate    float64 `json:"to_rate"`
	DurationS float64 `json:"duration_s"`
}

// TraceSpec names a trace file, relative to the suite file's directory and
// confined to it, and its format (hypobench, mooncake or azure).
type TraceSpec struct {
	File   string      `json:"file"`
	Format TraceFormat `json:"format"`
}

// SuiteError names the suite file and the offending field.
type SuiteError struct {
	File  string
	Field string
	Msg   string
}

func (e *SuiteError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("suite %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("suite %s: field %q: %s", e.File, e.Field, e.Msg)
}

// ErrUnknownSuite is returned by LoadSuite for a name that is neither a
// built-in suite nor a file.
var ErrUnknownSuite = errors.New("unknown suite")

// BuiltinSuites lists the names of the embedded suites.
func BuiltinSuites() []string {
	entries, _ := fs.ReadDir(fixtures.Suites, "suites")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(names)
	return names
}

// LoadSuite loads a built-in suite by name ("tiny", "huge") or a suite file
// by path. A malformed suite is rejected with the file and the field.
func LoadSuite(nameOrPath string) (*Suite, error) {
	if nameOrPath == "" {
		nameOrPath = "tiny"
	}
	if !strings.ContainsAny(nameOrPath, "/\\.") {
		b, err := readBuiltin(nameOrPath)
		if err != nil {
			return nil, fmt.Errorf("%w %q (built-in: %s; or give a file path)", ErrUnknownSuite, nameOrPath, strings.Join(BuiltinSuites(), ", "))
		}
		return ParseSuite(nameOrPath+".json (built-in)", b)
	}
	b, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("loading suite: %w", err)
	}
	s, err := ParseSuite(nameOrPath, b)
	if err != nil {
		return nil, err
	}
	if s.Trace != nil {
		if err := s.LoadTrace(os.DirFS(filepath.Dir(nameOrPath))); err != nil {
			return nil, fmt.Errorf("loading suite %s: %w", nameOrPath, err)
		}
	}
	return s, nil
}

// ParseSuite decodes and validates a suite. file labels errors. Unknown
// fields are rejected so a typo does not silently fall back to a default.
func ParseSuite(file string, b []byte) (*Suite, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	s := Suite{Nonce: true, Endpoint: "completions", Order: Ordered, MinPerWorker: 1}
	if err := dec.Decode(&s); err != nil {
		return nil, jsonError(file, b, err)
	}
	if dec.More() {
		return nil, &SuiteError{File: file, Msg: "trailing data after the suite object"}
	}
	if err := s.Validate(); err != nil {
		var se *SuiteError
		if errors.As(err, &se) {
			se.File = file
		}
		return nil, err
	}
	return &s, nil
}

func jsonError(file string, b []byte, err error) error {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		return &SuiteError{File: file, Field: ute.Field, Msg: fmt.Sprintf("want %s, got JSON %s (line %d)", ute.Type, ute.Value, lineOf(b, ute.Offset))}
	case errors.As(err, &se):
		return &SuiteError{File: file, Msg: fmt.Sprintf("line %d: %v", lineOf(b, se.Offset), se)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &SuiteError{File: file, Field: f, Msg: "unknown field"}
	}
	return &SuiteError{File: file, Msg: err.Error()}
}

func lineOf(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return 1 + bytes.Count(b[:off], []byte("\n"))
}

// Validate checks the suite's fields. The returned *SuiteError names the
// field.
func (s *Suite) Validate() error {
	bad := func(field, format string, a ...any) error {
		return &SuiteError{Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if s.Name == "" {
		return bad("name", "missing")
	}
	if s.BaseText == "" {
		return bad("base_text", "missing")
	}
	if s.Endpoint != "completions" && s.Endpoint != "chat" {
		return bad("endpoint", "want completions or chat, got %q", s.Endpoint)
	}
	open := s.OpenLoop()
	if open && s.Trace != nil && len(s.Profiles) > 0 {
		return bad("profiles", "a trace gives every request's lengths; drop the profiles")
	}
	if len(s.Profiles) == 0 && !(open && s.Trace != nil) {
		return bad("profiles", "at least one profile is needed")
	}
	seen := map[string]bool{}
	for i, p := range s.Profiles {
		f := fmt.Sprintf("profiles[%d]", i)
		switch {
		case p.Name == "":
			return bad(f+".name", "missing")
		case seen[p.Name]:
			return bad(f+".name", "duplicate profile %q", p.Name)
		case p.PromptRep < 1:
			return bad(f+".prompt_rep", "must be ≥ 1, got %d", p.PromptRep)
		case p.MaxTokens < 1:
			return bad(f+".max_tokens", "must be ≥ 1, got %d", p.MaxTokens)
		}
		seen[p.Name] = true
	}
	if open {
		if err := s.validateOpen(); err != nil {
			return err
		}
	} else {
		if len(s.Concurrency) == 0 {
			return bad("concurrency", "at least one level is needed")
		}
		for i, c := range s.Concurrency {
			if c < 1 {
				return bad(fmt.Sprintf("concurrency[%d]", i), "must be ≥ 1, got %d", c)
			}
		}
		if s.Requests < 1 {
			return bad("requests", "must be ≥ 1, got %d", s.Requests)
		}
	}
	if s.Rounds < 0 {
		return bad("rounds", "must be ≥ 0, got %d", s.Rounds)
	}
	if s.Rounds > 0 && open {
		return bad("rounds", "rounds apply to closed-loop suites only")
	}
	if s.MinPerWorker < 0 {
		return bad("min_per_worker", "must be ≥ 0, got %d", s.MinPerWorker)
	}
	if s.Warmup < 0 {
		return bad("warmup", "must be ≥ 0, got %d", s.Warmup)
	}
	if s.Order != Ordered && s.Order != Shuffled {
		return bad("order", "want %q or %q, got %q", Ordered, Shuffled, s.Order)
	}
	return nil
}

// Profile returns the named profile.
func (s *Suite) Profile(name string) (Profile, bool) {
	for _, p := range s.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

func readBuiltin(name string) ([]byte, error) {
	return fixtures.Suites.ReadFile(path.Join("suites", name+".json"))
}
