package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
)

// Options configures Build. The zero value builds with no SLO and discards
// the progress log.
type Options struct {
	// SLO sets the goodput thresholds; zero fields set none.
	SLO SLO
	// Log receives each skipped line and note as it is found (the CLI
	// passes stderr); nil discards.
	Log io.Writer
	// Trace is a kernel trace file to analyse against the run's phases;
	// empty looks for one in the run directory (see traceGlobs).
	Trace string
	// WallClock shows an embedded engine's run in wall-clock time as
	// measured, instead of the modelled GPU's simulated time (the
	// default; see record.TimeBase).
	WallClock bool
}

// Built describes what Build wrote.
type Built struct {
	Dir     string
	Files   []string // paths relative to Dir, in the order written
	Summary Summary
	// Skipped are the undecodable lines of the JSONL files, each a
	// *record.LineError with its file and line number.
	Skipped []error
	// Notes say what the report could not include and why.
	Notes []string
}

// Build regenerates every report file of a run directory from its files
// alone: summary.json, summary.md, plots/*.png and plots/*.svg,
// hypotheses.md (when there are verdicts) and index.html. It reads requests.jsonl (required), phases.jsonl,
// config.json and hypotheses.jsonl (optional). A corrupt line is skipped,
// written to opts.Log and listed in summary.md and index.html with its line
// number. The same input gives byte-identical files.
func Build(dir string, opts Options) (*Built, error) {
	return BuildContext(context.Background(), dir, opts)
}

// BuildContext is Build with a context, which bounds the loading of a
// kernel trace.
func BuildContext(ctx context.Context, dir string, opts Options) (*Built, error) {
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	b := &Built{Dir: dir}
	note := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		b.Notes = append(b.Notes, s)
		fmt.Fprintln(logw, "report:", s)
	}
	skip := func(bad []error) {
		for _, e := range bad {
			b.Skipped = append(b.Skipped, e)
			fmt.Fprintln(logw, "report: skipped", SkippedLine(e))
		}
	}

	phases, phaseBad, phaseErr := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	var runCfg *record.RunConfig
	if c, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile)); err == nil {
		runCfg = c
	}
	tb := record.TimeBaseOf(runCfg, opts.WallClock)
	t, bad, err := readTable(filepath.Join(dir, record.RequestsFile), phases, &tb)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("building the report of %s: %s is missing: %w", dir, record.RequestsFile, record.ErrNoRecords)
	}
	if err != nil {
		return nil, fmt.Errorf("building the report of %s: %w", dir, err)
	}
	if len(bad) > len(t.rows) {
		// Mostly garbage: a summary of the few readable lines would replace
		// a good report with a wrong one.
		return nil, fmt.Errorf("building the report of %s: %d of %d lines of %s are unreadable (first: %v); existing reports left as they were: %w",
			dir, len(bad), len(bad)+len(t.rows), record.RequestsFile, bad[0], record.ErrNoRecords)
	}
	skip(bad)
	switch {
	case errors.Is(phaseErr, os.ErrNotExist):
		note("no %s: rates use the span of each group's records", record.PhasesFile)
	case phaseErr != nil:
		return nil, fmt.Errorf("building the report of %s: %w", dir, phaseErr)
	}
	skip(phaseBad)
	verdicts, verdictBad, err := verdict.Read(dir)
	if err != nil {
		return nil, fmt.Errorf("building the report of %s: reading verdicts: %w", dir, err)
	}
	skip(verdictBad)
	cfg, err := ConfigRows(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		note("configuration left out: %v", err)
	}
	title := "hypobench run"
	for _, r := range cfg {
		if r.Key == "run_id" {
			title += " " + r.Value
		}
	}

	b.Summary = summarize(t, phases, opts.SLO)
	if t.spilled {
		note("ITL: the run's %d pooled gaps exceed %d, so they were held as float32: each ITL quantile is within a relative 6e-8 of the exact one (the mean is a compensated sum of the exact gaps)", t.gaps, t.itlBudget)
	}
	if tb.Simulated && !tb.Prediction {
		stretch(&b.Summary, t)
	}
	b.Summary.Time, b.Summary.Banner = tb, tb.Banner()
	showRates(&b.Summary, tb)
	if tb.Embedded && !tb.Prediction {
		b.Summary.ClientOverhead = clientOverhead(t)
	}
	extra, extraPlots, bad, extraNotes := sections(ctx, dir, opts.Trace, t, phases, tb)
	skip(bad)
	for _, n := range extraNotes {
		note("%s", n)
	}

	js, err := json.MarshalIndent(b.Summary, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", record.SummaryJSONFile, err)
	}
	if err := b.write(record.SummaryJSONFile, append(js, '\n')); err != nil {
		return nil, err
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, b.Summary, b.Skipped, extra); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", record.SummaryMDFile, err)
	}
	if err := b.write(record.SummaryMDFile, md.Bytes()); err != nil {
		return nil, err
	}
	if left := t.left; len(left) > 0 {
		note("%d record(s) with durations that cannot be plotted (not finite, negative or above %g s) left out of the plots: %s",
			len(left), MaxPlottable, strings.Join(left[:min(len(left), 5)], ", "))
	}
	plots, err := plots(b.Summary, t.rows, t.names)
	if err != nil {
		return nil, fmt.Errorf("building the report of %s: %w", dir, err)
	}
	plots = append(plots, extraPlots...)
	if err := os.MkdirAll(filepath.Join(dir, record.PlotsDir), 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", record.PlotsDir, err)
	}
	for _, p := range plots {
		if err := b.write(filepath.Join(record.PlotsDir, p.Name+".png"), p.PNG); err != nil {
			return nil, err
		}
		if err := b.write(filepath.Join(record.PlotsDir, p.Name+".svg"), p.SVG); err != nil {
			return nil, err
		}
	}
	if len(verdicts) > 0 || len(verdictBad) > 0 {
		var hm bytes.Buffer
		if err := verdict.WriteMarkdown(&hm, verdicts, verdictBad); err != nil {
			return nil, fmt.Errorf("rendering %s: %w", record.HypothesesMDFile, err)
		}
		if err := b.write(record.HypothesesMDFile, hm.Bytes()); err != nil {
			return nil, err
		}
	}
	var page bytes.Buffer
	err = WriteHTML(&page, Page{Title: title, Banner: tb.Banner(), Tested: tested(runCfg, tb, b.Summary), Verdicts: verdictRows(verdicts), Calibration: calibrationSections(verdicts), Config: cfg, Summary: b.Summary,
		Plots: plots, Extra: extra, Skipped: b.Skipped, Notes: b.Notes})
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", record.HTMLFile, err)
	}
	if err := b.write(record.HTMLFile, page.Bytes()); err != nil {
		return nil, err
	}
	return b, nil
}

// write replaces dir/rel with data atomically, so a reader never sees half
// a file, and lists it in b.Files.
func (b *Built) write(rel string, data []byte) error {
	if err := record.WriteFileAtomic(filepath.Join(b.Dir, rel), data); err != nil {
		return err
	}
	b.Files = append(b.Files, rel)
	return nil
}

// tested lists what a run tested, for the top of the page: target, model,
// GPU, time scale, suite and the run's identity.
func tested(c *record.RunConfig, tb record.TimeBase, s Summary) []ConfigRow {
	var rows []ConfigRow
	add := func(k, v string) {
		if v != "" {
			rows = append(rows, ConfigRow{Key: k, Value: v})
		}
	}
	if c == nil {
		add("target", "unknown (no config.json)")
	} else {
		var target string
		_ = json.Unmarshal(c.Meta["target"], &target)
		switch {
		case tb.Prediction:
			target = "prediction by the embedded engine's virtual-time core (no server measured)"
		case target == "embedded":
			target = "embedded engine (hypobench's simulated vLLM-like server)"
		}
		add("target", target)
		add("model", c.Model)
	}
	if tb.Embedded {
		add("GPU and model profile", tb.GPU+" · "+tb.Model)
	}
	switch {
	case tb.Prediction:
		add("time", "simulated (the modelled GPU's seconds)")
	case tb.Embedded && tb.Simulated:
		add("time", fmt.Sprintf("simulated: the run was compressed ×%g; figures are the engine's stamped server time plus the client's measured overhead", tb.Scale))
	case tb.Embedded:
		add("time", fmt.Sprintf("wall clock as measured, compressed ×%g", tb.Scale))
	default:
		add("time", "wall clock as measured on the client")
	}
	if c != nil {
		suite := c.SuiteName()
		if suite != "" {
			suite = fmt.Sprintf("%s: %d records in %d groups (profile × concurrency)", suite, s.Records, len(s.Groups))
		}
		add("suite", suite)
		add("run", fmt.Sprintf("%s (%s), started %s", c.RunID, c.Status, c.Started.UTC().Format("2006-01-02 15:04:05 UTC")))
	}
	return rows
}

// readTable streams a requests.jsonl into a table, converting each record
// to tb's view as it goes (record.SimTime for a live embedded run shown in
// simulated time, counting the unstamped ones in tb.Unstamped), so no
// record is held after its row is taken. Undecodable lines come back as
// *record.LineError values in bad.
func readTable(path string, phases []record.Phase, tb *record.TimeBase) (*table, []error, error) {
	t := newTable(phases)
	// Size the rows once: growing a slice of a million rows by doubling
	// would hold two copies at the last step.
	if n, err := record.CountLines(path); err == nil {
		t.rows = make([]row, 0, n)
	}
	convert := tb.Simulated && !tb.Prediction && tb.Scale > 0
	scale := 0.0
	if tb.Embedded && !tb.Prediction {
		scale = tb.Scale
	}
	tb.Unstamped = 0
	sel := rowFields
	if convert {
		sel = sel.With(simFields...)
	}
	bad, err := record.ScanFields(path, sel, func(_ int, r *record.Record) error {
		if !convert {
			t.add(r, r, scale)
			return nil
		}
		if r.OK() && r.SimTTFT == nil {
			tb.Unstamped++
		}
		v := record.SimTime(*r, tb.Scale)
		t.add(r, &v, scale)
		return nil
	})
	if err != nil {
		return nil, bad, err
	}
	return t, bad, nil
}

// rowFields are the fields of a record a report reads (table.add,
// plottable, record.ClientOverhead); simFields are the engine's stamps
// that record.SimTime adds to them.
var (
	rowFields = record.FieldsOf("id", "suite", "profile", "model", "error_class", "phase", "concurrency",
		"output_chunks", "target_rate", "start_unix_ns", "end_unix_ns", "queue_s", "total_s",
		"ttft_s", "ttft_text_s", "e2e_s", "tpot_s", "ttft_intended_s", "total_intended_s",
		"prompt_tokens", "output_tokens", "token_mismatch", "itl_s", "sim_ttft_s")
	simFields = []string{"sim_ttft_text_s", "sim_e2e_s", "sim_itl_s"}
)
