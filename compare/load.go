package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/hypobench/hypobench/record"
)

// File names read from and written to a run directory.
const (
	RequestsFile = "requests.jsonl"
	PhasesFile   = "phases.jsonl"
	ConfigFile   = "config.json"
	JSONFile     = "compare.json"
)

// ErrNoRecords is returned by Load for a run without a single decodable
// request.
var ErrNoRecords = errors.New("no request records")

// Identity is the client machine as written by run into config.json.
type Identity struct {
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model,omitempty"`
	Go       string `json:"go"`
}

// RunConfig is the part of a run's config.json the comparison reads.
type RunConfig struct {
	RunID  string          `json:"run_id"`
	Status string          `json:"status"`
	Model  string          `json:"model"`
	Seed   uint64          `json:"seed"`
	Suite  json.RawMessage `json:"suite,omitempty"`
	Client Identity        `json:"client"`
	// Meta holds the target's identity: "target" (a URL or "embedded"),
	// "engine" (the embedded engine's resolved configuration), "model".
	Meta map[string]json.RawMessage `json:"meta,omitempty"`
}

// SuiteName returns the suite's name from the config, or "".
func (c *RunConfig) SuiteName() string {
	var s struct {
		Name string `json:"name"`
	}
	if len(c.Suite) == 0 || json.Unmarshal(c.Suite, &s) != nil {
		var name string
		_ = json.Unmarshal(c.Suite, &name)
		return name
	}
	return s.Name
}

// Source is one side of a comparison: where its records came from.
type Source struct {
	// Path is the run directory or requests.jsonl given.
	Path string `json:"path"`
	// Dir is the run directory (the file's directory for a .jsonl path).
	Dir      string     `json:"dir"`
	RunID    string     `json:"run_id,omitempty"`
	Requests int        `json:"requests"`
	Config   *RunConfig `json:"config,omitempty"`
	// Warnings are problems found while loading (bad lines, no config).
	Warnings []string        `json:"warnings,omitempty"`
	Records  []record.Record `json:"-"`
}

// Load reads a run: path is a run directory (its requests.jsonl and
// config.json are read) or a requests.jsonl file (config.json beside it is
// read when present). Undecodable lines are skipped with a warning; a run
// with no records at all is an error wrapping ErrNoRecords.
func Load(path string) (*Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("loading run %s: %w", path, err)
	}
	s := &Source{Path: path, Dir: path}
	file := filepath.Join(path, RequestsFile)
	if !st.IsDir() {
		file, s.Dir = path, filepath.Dir(path)
	} else if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		if rounds, _ := filepath.Glob(filepath.Join(path, "*", RequestsFile)); len(rounds) > 0 {
			return loadPooled(path, rounds)
		}
	}
	recs, bad, err := record.ReadRecords(file)
	if err != nil {
		return nil, fmt.Errorf("loading run %s: %w", path, err)
	}
	for i, e := range bad {
		if i == 5 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: %d more undecodable lines skipped", file, len(bad)-5))
			break
		}
		s.Warnings = append(s.Warnings, "skipped: "+e.Error())
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("loading run %s: %s: %w", path, file, ErrNoRecords)
	}
	s.Records, s.Requests = recs, len(recs)
	cfg, err := ReadConfig(filepath.Join(s.Dir, ConfigFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s has no %s: the machine and target it ran on are unknown", s.Dir, ConfigFile))
	case err != nil:
		s.Warnings = append(s.Warnings, err.Error())
	default:
		s.Config, s.RunID = cfg, cfg.RunID
		if cfg.Status != "" && cfg.Status != "complete" {
			s.Warnings = append(s.Warnings, fmt.Sprintf("run %s has status %q, not complete", cfg.RunID, cfg.Status))
		}
	}
	if s.RunID == "" && len(recs) > 0 {
		s.RunID = recs[0].RunID
	}
	return s, nil
}

// loadPooled reads every round of an interleaved (ABAB) session: the run
// directories one level below path, pooled into one sample. The identity
// is the first round's; rounds that ran elsewhere are warned about.
func loadPooled(path string, files []string) (*Source, error) {
	sort.Strings(files)
	pooled := &Source{Path: path, Dir: path}
	for _, f := range files {
		// Skip the "latest" link NewDir leaves beside the rounds: it
		// points at one of them.
		if fi, err := os.Lstat(filepath.Dir(f)); err != nil || fi.Mode()&os.ModeSymlink != 0 {
			continue
		}
		s, err := Load(filepath.Dir(f))
		if err != nil {
			return nil, err
		}
		if pooled.Config == nil {
			pooled.Config = s.Config
		} else if ws := IdentityWarnings(pooled.Config, s.Config); len(ws) > 0 {
			pooled.Warnings = append(pooled.Warnings, fmt.Sprintf("round %s ran elsewhere than the first round: %s", s.Dir, strings.Join(ws, "; ")))
		}
		pooled.Warnings = append(pooled.Warnings, s.Warnings...)
		pooled.Records = append(pooled.Records, s.Records...)
	}
	if len(pooled.Records) == 0 {
		return nil, fmt.Errorf("loading run %s: %w", path, ErrNoRecords)
	}
	pooled.Requests = len(pooled.Records)
	pooled.RunID = "pooled rounds"
	return pooled, nil
}

// ReadConfig reads a run's config.json.
func ReadConfig(path string) (*RunConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, b)
}

// ConfigError is a config.json that does not decode.
type ConfigError struct {
	File   string
	Offset int64 // byte offset of the error, when known
	Err    error
}

func (e *ConfigError) Error() string {
	if e.Offset > 0 {
		return fmt.Sprintf("%s: offset %d: %v", e.File, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// ParseConfig decodes a config.json; file names it in errors.
func ParseConfig(file string, b []byte) (*RunConfig, error) {
	var c RunConfig
	if err := json.Unmarshal(b, &c); err != nil {
		ce := &ConfigError{File: file, Err: err}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			ce.Offset = se.Offset
		case errors.As(err, &te):
			ce.Offset = te.Offset
		}
		return nil, ce
	}
	return &c, nil
}

// IdentityWarnings compares where two runs ran: the client machine
// (hostname, CPU, OS, architecture, Go version), the target (URL or
// embedded), the embedded engine's resolved configuration and the model.
// Each difference is one warning; a run without config.json is one too.
func IdentityWarnings(base, cand *RunConfig) []string {
	if base == nil || cand == nil {
		return []string{"DIFFERENT OR UNKNOWN MACHINE/TARGET: a run has no config.json, so the two cannot be checked to have run on the same hardware and target"}
	}
	var w []string
	diff := func(what, a, b string) {
		if a != b {
			w = append(w, fmt.Sprintf("DIFFERENT %s: baseline %s, new %s", what, orUnknown(a), orUnknown(b)))
		}
	}
	bc, cc := base.Client, cand.Client
	diff("CLIENT HOST", bc.Hostname, cand.Client.Hostname)
	diff("CLIENT CPU", fmt.Sprintf("%s ×%d", bc.CPUModel, bc.CPUs), fmt.Sprintf("%s ×%d", cc.CPUModel, cc.CPUs))
	diff("CLIENT OS/ARCH", bc.OS+"/"+bc.Arch, cc.OS+"/"+cc.Arch)
	diff("CLIENT GO VERSION", bc.Go, cc.Go)
	diff("TARGET", metaString(base.Meta["target"]), metaString(cand.Meta["target"]))
	diff("MODEL", firstNonEmpty(metaString(base.Meta["model"]), base.Model), firstNonEmpty(metaString(cand.Meta["model"]), cand.Model))
	if !sameJSON(base.Meta["engine"], cand.Meta["engine"]) {
		w = append(w, "DIFFERENT ENGINE: the embedded engine's configuration (GPU, model, speed, knobs, …) differs: "+
			jsonDiff(base.Meta["engine"], cand.Meta["engine"]))
	}
	diff("SUITE", base.SuiteName(), cand.SuiteName())
	return w
}

func orUnknown(s string) string {
	if s == "" || s == " ×0" {
		return "(unknown)"
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func metaString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

func decodeAny(raw json.RawMessage) any {
	var v any
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &v)
	}
	return v
}

func sameJSON(a, b json.RawMessage) bool {
	return reflect.DeepEqual(decodeAny(a), decodeAny(b))
}

// jsonDiff names the top-level (and one nested level of) fields that
// differ between two JSON objects.
func jsonDiff(a, b json.RawMessage) string {
	am, aok := decodeAny(a).(map[string]any)
	bm, bok := decodeAny(b).(map[string]any)
	if !aok || !bok {
		return fmt.Sprintf("baseline %s, new %s", orUnknown(string(a)), orUnknown(string(b)))
	}
	var out []string
	var walk func(prefix string, x, y map[string]any)
	walk = func(prefix string, x, y map[string]any) {
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		for k := range keys {
			if reflect.DeepEqual(x[k], y[k]) {
				continue
			}
			xm, xok := x[k].(map[string]any)
			ym, yok := y[k].(map[string]any)
			if xok && yok && prefix == "" {
				walk(k+".", xm, ym)
				continue
			}
			out = append(out, fmt.Sprintf("%s%s %v → %v", prefix, k, x[k], y[k]))
		}
	}
	walk("", am, bm)
	sort.Strings(out)
	if len(out) > 6 {
		out = append(out[:6], "…")
	}
	return fmt.Sprint(out)
}
