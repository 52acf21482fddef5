package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// File names inside a run directory. The runner writes the first four;
// hypothesis tests append the verdict files; the report builder writes the
// rest from the others.
const (
	RequestsFile      = "requests.jsonl"       // one Record per line
	PhasesFile        = "phases.jsonl"         // one Phase per line
	ConfigFile        = "config.json"          // one RunConfig
	ServerMetricsFile = "server-metrics.jsonl" // the /metrics scrape log
	HypothesesFile    = "hypotheses.jsonl"     // one verdict per line
	HypothesesMDFile  = "hypotheses.md"        // the verdicts as a table
	SummaryJSONFile   = "summary.json"         // the report's summary
	SummaryMDFile     = "summary.md"           // the report's summary as a table
	HTMLFile          = "index.html"           // the report page
	PlotsDir          = "plots"                // the report's PNG and SVG plots
	LatestLink        = "latest"               // beside the run directories: a symlink to the newest run
)

// ErrNoRecords is returned when a run holds no decodable request record
// (no requests.jsonl, or one without a single valid line).
var ErrNoRecords = errors.New("no request records")

// Status is the state of a run (RunConfig.Status) or of a phase
// (Phase.Status).
type Status string

// The statuses written to config.json and phases.jsonl.
const (
	StatusRunning     Status = "running"     // the run has not ended (or its process died)
	StatusComplete    Status = "complete"    // every planned request was made
	StatusInterrupted Status = "interrupted" // the run or phase was cancelled early
)

// Identity describes the machine the client ran on; a comparison across
// different identities warns.
type Identity struct {
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model,omitempty"`
	Go       string `json:"go"`
}

// RunConfig is the content of a run's config.json. The runner writes it
// with StatusRunning when the run starts and rewrites it with the final
// status, counts and warnings when the run ends.
type RunConfig struct {
	RunID string `json:"run_id"`
	// Prediction marks a run directory written by package predict from the
	// engine's virtual-time core: no server was measured.
	Prediction bool       `json:"prediction,omitempty"`
	Status     Status     `json:"status"`
	Started    time.Time  `json:"started"`
	Ended      *time.Time `json:"ended,omitempty"`
	Model      string     `json:"model"`
	Seed       uint64     `json:"seed"`
	// Suite is the workload suite as run (an object with a "name"), or
	// its name alone.
	Suite    json.RawMessage `json:"suite"`
	Client   Identity        `json:"client"`
	Records  int             `json:"records"`
	Errors   int             `json:"errors"`
	Warnings []string        `json:"warnings,omitempty"`
	// ClientLimited marks a run whose client, not the server, was the
	// bottleneck (out of file descriptors: records of class
	// ClassClientLimit); ClientLimitedReasons says why. Every hypothesis
	// verdict on such a run is inconclusive.
	ClientLimited        bool     `json:"client_limited,omitempty"`
	ClientLimitedReasons []string `json:"client_limited_reasons,omitempty"`
	// WriteErrors lists files of the run directory that could not be
	// written whole (a full disk): their content is incomplete.
	WriteErrors []string `json:"write_errors,omitempty"`
	// Meta holds the target's identity: "target" (a URL or "embedded"),
	// "engine" (the embedded engine's resolved configuration), "model",
	// and whatever else the caller recorded.
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

// ParseConfig decodes a config.json; file names it in errors, which are
// *ConfigError values.
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

// WriteConfig writes c as dir/config.json (indented, one trailing
// newline), atomically.
func WriteConfig(dir string, c *RunConfig) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", ConfigFile, err)
	}
	return WriteFileAtomic(filepath.Join(dir, ConfigFile), append(b, '\n'))
}

// WriteFileAtomic replaces path with data through a temporary file in the
// same directory and a rename, so a reader sees the old file or the new
// one, never half of one. The file's mode is 0644.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(0o644)
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}
