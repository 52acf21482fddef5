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

// Write writes a prediction as a run directory, the files a live run
// leaves and the report package reads: requests.jsonl, phases.jsonl and
// config.json, marked as a prediction there (see config). meta is merged
// into config.json's meta (it may add, not replace, target and engine).
// dir is created if missing.
func Write(dir string, opts Options, res *Result, meta map[string]any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing prediction: %w", err)
	}
	reqs, err := record.OpenAppend(filepath.Join(dir, record.RequestsFile))
	if err != nil {
		return fmt.Errorf("writing prediction: %w", err)
	}
	for i := range res.Records {
		if err := reqs.Write(&res.Records[i]); err != nil {
			reqs.Close()
			return fmt.Errorf("writing prediction: %w", err)
		}
	}
	phases, err := record.OpenAppend(filepath.Join(dir, record.PhasesFile))
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
	m := map[string]json.RawMessage{}
	set := func(k string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("writing prediction: encoding meta.%s: %w", k, err)
		}
		m[k] = b
		return nil
	}
	for k, v := range meta {
		if err := set(k, v); err != nil {
			return err
		}
	}
	sim := map[string]any{"time": "simulated (the modelled GPU's seconds; no client overhead)",
		"duration_s": res.Duration.Seconds(), "closed_loop": opts.Rate == 0,
		"client_turnaround_s": opts.ClientTurnaround.Seconds()}
	if opts.Rate > 0 {
		sim["rate_per_s"] = opts.Rate
	}
	for k, v := range map[string]any{"target": Target, "engine": res.Engine, "model": res.Engine.ServedModelName, "prediction": sim} {
		if err := set(k, v); err != nil {
			return err
		}
	}
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
	suite, err := json.Marshal(opts.Suite)
	if err != nil {
		return fmt.Errorf("writing prediction: encoding the suite: %w", err)
	}
	ended := start.Add(res.Duration).UTC()
	c := &record.RunConfig{RunID: runID, Prediction: true, Status: record.StatusComplete, Started: start.UTC(),
		Ended: &ended, Model: model, Seed: opts.Seed, Suite: suite, Records: len(res.Records), Meta: m}
	if err := record.WriteConfig(dir, c); err != nil {
		return fmt.Errorf("writing prediction: %w", err)
	}
	return nil
}
