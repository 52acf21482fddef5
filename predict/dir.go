package predict

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hypobench/hypobench/record"
)

// Target is the value of config.json's meta.target in a prediction's run
// directory, where a live run has "embedded" or the server's URL.
const Target = "prediction"

// config is a prediction's config.json: the live run's shape (run_id,
// status, started, ended, model, seed, suite, records, errors, meta) with
// "prediction": true at the top, meta.target "prediction" and meta.engine
// the simulated engine (its speed 1: records are in simulated time).
type config struct {
	RunID      string         `json:"run_id"`
	Prediction bool           `json:"prediction"`
	Status     string         `json:"status"`
	Started    time.Time      `json:"started"`
	Ended      time.Time      `json:"ended"`
	Model      string         `json:"model"`
	Seed       uint64         `json:"seed"`
	Suite      any            `json:"suite"`
	Records    int            `json:"records"`
	Errors     int            `json:"errors"`
	Meta       map[string]any `json:"meta"`
}

// Write writes a prediction as a run directory, the files a live run
// leaves and the report package reads: requests.jsonl, phases.jsonl and
// config.json, marked as a prediction there (see config). meta is merged
// into config.json's meta (it may add, not replace, target and engine).
// dir is created if missing.
func Write(dir string, opts Options, res *Result, meta map[string]any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing prediction: %w", err)
	}
	reqs, err := record.Create(filepath.Join(dir, "requests.jsonl"))
	if err != nil {
		return fmt.Errorf("writing prediction: %w", err)
	}
	for i := range res.Records {
		if err := reqs.Write(&res.Records[i]); err != nil {
			reqs.Close()
			return fmt.Errorf("writing prediction: %w", err)
		}
	}
	phases, err := record.Create(filepath.Join(dir, "phases.jsonl"))
	if err != nil {
		reqs.Close()
		return fmt.Errorf("writing prediction: %w", err)
	}
	for _, ph := range res.Phases {
		if err := phases.Write(ph); err != nil {
			return errors.Join(fmt.Errorf("writing prediction: %w", err), reqs.Close(), phases.Close())
		}
	}
	if err := errors.Join(reqs.Close(), phases.Close()); err != nil {
		return fmt.Errorf("writing prediction: %w", err)
	}
	m := map[string]any{}
	for k, v := range meta {
		m[k] = v
	}
	m["target"] = Target
	m["engine"] = res.Engine
	m["model"] = res.Engine.ServedModelName
	sim := map[string]any{"time": "simulated (the modelled GPU's seconds; no client overhead)",
		"duration_s": res.Duration.Seconds(), "closed_loop": opts.Rate == 0,
		"client_turnaround_s": opts.ClientTurnaround.Seconds()}
	if opts.Rate > 0 {
		sim["rate_per_s"] = opts.Rate
	}
	m["prediction"] = sim
	start := opts.Start
	if start.IsZero() {
		start = time.Unix(0, 0)
	}
	model := opts.Model
	if model == "" {
		model = res.Engine.ServedModelName
	}
	runID := opts.RunID
	if runID == "" {
		runID = "prediction"
	}
	c := config{RunID: runID, Prediction: true, Status: "complete", Started: start.UTC(),
		Ended: start.Add(res.Duration).UTC(), Model: model, Seed: opts.Seed, Suite: opts.Suite,
		Records: len(res.Records), Meta: m}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("writing prediction: encoding config.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing prediction: %w", err)
	}
	return nil
}
