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
	CapacityFile      = "capacity.json"        // a capacity sweep's estimate (package capacity)
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
	// ClientCheck is the client's check on itself (see ClientCheck); nil
	// in runs written before it existed and in predictions.
	ClientCheck *ClientCheck `json:"client_check,omitempty"`
	// WriteErrors lists files of the run directory that could not be
	// written whole (a full disk): their content is incomplete.
	WriteErrors []string `json:"write_errors,omitempty"`
	// Meta holds the target's identity: "target" (a URL or "embedded"),
	// "engine" (the embedded engine's resolved configuration), "model",
	// and whatever else the caller recorded.
	Meta map[string]json.RawMessage `json:"meta,omitempty"`

	// Shard is set in the run directory of one shard of a sharded run:
	// which shard, of how many, and its clock against the coordinator.
	Shard *Shard `json:"shard,omitempty"`
	// Shards is set in a run directory merged from the shards of a
	// sharded run (package merge): one entry per shard, in index order.
	Shards []MergedShard `json:"shards,omitempty"`
}

// Shard identifies one shard of a sharded run in its config.json.
type Shard struct {
	Index int `json:"index"` // from 0, as Kubernetes' JOB_COMPLETION_INDEX
	Count int `json:"count"` // shards in the run
	// Coordinator is the URL of the clock coordinator the estimates in
	// Clock were taken against, or "" when none was given.
	Coordinator string `json:"coordinator,omitempty"`
	// Clock holds the clock-offset estimates taken against the
	// coordinator, in the order they were taken (the runner takes one
	// when the run starts and one when it ends).
	Clock []ClockEstimate `json:"clock,omitempty"`
	// StartAt is the common instant the shard's phases were timed from
	// (on the coordinator's clock), nil when none was given;
	// PhaseDurationNs is their time slot, 0 for none. The shards of one
	// run share both (package merge checks).
	StartAt         *time.Time `json:"start_at,omitempty"`
	PhaseDurationNs int64      `json:"phase_duration_ns,omitempty"`
}

// ClockEstimate is one NTP-style clock-offset estimate of this machine's
// wall clock against a coordinator's: the kept sample (the one with the
// smallest round-trip delay) of several exchanges of four timestamps —
// t0 client send, t1 coordinator receive, t2 coordinator send, t3 client
// receive — with offset = ((t1−t0)+(t2−t3))/2 and delay =
// (t3−t0)−(t2−t1). The true offset lies within ±delay/2 of the estimate.
type ClockEstimate struct {
	// Label says when the estimate was taken ("start", "end").
	Label string `json:"label,omitempty"`
	// AtUnixNs is t0 of the kept sample on this machine's wall clock.
	AtUnixNs int64 `json:"at_unix_ns"`
	// OffsetNs is the coordinator's clock minus this machine's: add it to
	// a wall-clock time written here to get the coordinator's time.
	OffsetNs int64 `json:"offset_ns"`
	// DelayNs is the round-trip delay of the kept sample, less the time
	// the coordinator held the request.
	DelayNs int64 `json:"delay_ns"`
	// Samples is how many exchanges completed; the smallest-delay one
	// was kept.
	Samples int `json:"samples"`
}

// MergedShard describes one shard in a merged run's config.json.
type MergedShard struct {
	Index int    `json:"index"`
	Dir   string `json:"dir"` // the shard's run directory as given to the merge
	RunID string `json:"run_id"`
	// Status is the shard's own status; StatusRunning means its process
	// ended without finishing the run (it died mid-run).
	Status   Status `json:"status"`
	Hostname string `json:"hostname,omitempty"`
	Records  int    `json:"records"` // records merged from this shard
	Errors   int    `json:"errors"`
	// OffsetStartNs and OffsetEndNs are the clock offsets applied to the
	// shard's wall-clock times (interpolated linearly between them by
	// time); both zero with Clock false when the shard had no estimate.
	OffsetStartNs int64 `json:"offset_start_ns"`
	OffsetEndNs   int64 `json:"offset_end_ns"`
	// DelayNs is the largest round-trip delay of the estimates used: the
	// offsets are known to within ±DelayNs/2.
	DelayNs int64 `json:"delay_ns"`
	// Clock reports whether the shard carried a clock estimate.
	Clock bool `json:"clock"`
	// SkippedLines counts undecodable lines of the shard's JSONL files.
	SkippedLines int `json:"skipped_lines,omitempty"`
}

// ClientLimited returns the reasons the client, not the server, may have
// limited the run's measurements; none when the run was not flagged.
func (c *RunConfig) ClientLimited() []ClientReason {
	if c == nil || c.ClientCheck == nil {
		return nil
	}
	return c.ClientCheck.Reasons
}

// ClientCheck is the runner's check on its own client, sampled through the
// whole run (closed or open loop). Reasons is non-empty when the client,
// not the server, may have limited the measurement; every hypothesis
// verdict on such a run is inconclusive (package verdict). Other checks of
// the client's own limits (e.g. running out of file descriptors) add their
// Reasons here under their own code.
type ClientCheck struct {
	Reasons []ClientReason `json:"reasons,omitempty"`
	// CPUShare is the process's CPU time (user + system, getrusage) over
	// the run's wall time times the cores it may use (min of GOMAXPROCS
	// and the CPU count). Nil when the server ran in the same process (the
	// embedded engine), where the CPU is not the client's alone.
	CPUShare *float64 `json:"cpu_share,omitempty"`
	// Cores is the number of cores CPUShare is relative to.
	Cores int `json:"cores"`
	// SchedLag is the Go scheduler's lateness: how much later than asked a
	// sleeping goroutine woke, sampled every SchedPeriodS seconds.
	SchedLag     *Lag    `json:"sched_lag,omitempty"`
	SchedPeriodS float64 `json:"sched_period_s"`
	// SendLag is the client's own share of open-loop send lag: t0 minus
	// the later of the due instant and the instant a max_concurrency slot
	// was free (so a cap's queueing, caused by the server, is left out).
	SendLag *Lag `json:"send_lag,omitempty"`
	// Turnaround is the closed loop's counterpart: t0 minus the instant
	// the worker became free (its previous request ended and was written).
	Turnaround *Lag `json:"turnaround,omitempty"`
	// ParseLag is the read→parse delay: per request, the mean time from a
	// read returning to its event's JSON being parsed (openai.Result
	// ParseMean), so it is one sample per request.
	ParseLag *Lag `json:"parse_lag,omitempty"`
	// Phases holds the open-loop phases' own send lag, judged phase by
	// phase: a starved phase is diluted in the run-wide SendLag.
	Phases []PhaseCheck `json:"phases,omitempty"`
	// MedianTTFTS and MedianTotalS are the medians of the run's successful
	// requests' TTFT and total_s, the scales the lag thresholds are
	// relative to (TTFT for what delays a measured latency, total_s for a
	// closed loop's turnaround, which delays the next request's start).
	MedianTTFTS  float64 `json:"median_ttft_s"`
	MedianTotalS float64 `json:"median_total_s,omitempty"`
	// EngineStallShare is the share of the run's virtual time (wall time
	// × speed) the in-process engine lost to host stalls: steps its loop
	// started later than it can absorb, placed at the wall clock instead
	// of after the previous step (engine.Server.HostStalls). Nil for an
	// external target, and in runs written before it existed.
	EngineStallShare *float64 `json:"engine_stall_share,omitempty"`
	// Thresholds states the rules Reasons were decided by.
	Thresholds string `json:"thresholds"`
}

// PhaseCheck is one open-loop phase's client signals: its client send
// lag (as ClientCheck.SendLag) and its successful requests' median TTFT.
type PhaseCheck struct {
	Index       int     `json:"index"`
	TargetRate  float64 `json:"target_rate"`
	SendLag     *Lag    `json:"send_lag,omitempty"`
	MedianTTFTS float64 `json:"median_ttft_s"`
}

// ClientReason is one way the client limited a run: a stable code
// (ReasonCPU, ReasonSchedLag, ReasonSendLag, ReasonRate, or another
// check's own) and the figures in words.
type ClientReason struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
	// Phase is the index of the open-loop phase the reason was found in,
	// nil for a run-wide reason.
	Phase *int `json:"phase,omitempty"`
}

// The codes of ClientReason written by the runner.
const (
	ReasonCPU      = "cpu"       // the client's CPU was near its cores' capacity
	ReasonSchedLag = "sched_lag" // goroutines woke late
	ReasonSendLag  = "send_lag"  // requests went out late for the client's own reasons
	ReasonRate     = "rate"      // an open-loop phase sent under 95% of its offered rate
	ReasonParseLag = "parse_lag" // read events waited to be parsed
	// ReasonEngineStall: the in-process engine lost more than the
	// threshold of its virtual time to host stalls — the machine, not the
	// client, distorted the server's timings.
	ReasonEngineStall = "engine_stall"
	// ReasonFD is written by the runner when requests failed with
	// ClassClientLimit: the client ran out of file descriptors.
	ReasonFD = "fd"
)

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
