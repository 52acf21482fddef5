package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
)

func build(t *testing.T, dir string, opts Options) *Built {
	t.Helper()
	b, err := Build(dir, opts)
	if err != nil {
		t.Fatalf("Build(%s): %v", dir, err)
	}
	return b
}

func TestBuildGoldenSummary(t *testing.T) {
	dir := copyFixture(t)
	b := build(t, dir, Options{})
	md, err := os.ReadFile(filepath.Join(dir, record.SummaryMDFile))
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/summary.md.golden", md)
	if len(b.Skipped) != 0 {
		t.Errorf("clean fixture skipped lines: %v", b.Skipped)
	}
	for _, want := range []string{"Hyndman-Fan type 7", "distribution-free order-statistic interval"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("summary.md does not state %q", want)
		}
	}
}

// TestBuildGoldenSummaryWallClock builds the same run in wall-clock time
// (hypobench report --wall-clock): its figures are the measured ones, and
// its banner says how far they are from the modelled GPU's.
func TestBuildGoldenSummaryWallClock(t *testing.T) {
	dir := copyFixture(t)
	b := build(t, dir, Options{WallClock: true})
	md, err := os.ReadFile(filepath.Join(dir, record.SummaryMDFile))
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/summary-wallclock.md.golden", md)
	if b.Summary.Time.Simulated {
		t.Error("wall-clock build says it is simulated")
	}
}

// TestSimulatedTime checks the simulated view against the fixture's
// construction: every TTFT is its stamp plus the client's 0.3 ms, not
// 3 ms, and the rates fall by about the speed.
func TestSimulatedTime(t *testing.T) {
	dir := copyFixture(t)
	sim := build(t, dir, Options{}).Summary
	wall := build(t, dir, Options{WallClock: true}).Summary
	if !sim.Time.Simulated || sim.Time.Scale != fixtureSpeed || !strings.HasPrefix(sim.Banner, "simulated time: h200 · qwen2.5-7b · run compressed ×10;") {
		t.Fatalf("time base %+v, banner %q", sim.Time, sim.Banner)
	}
	for i := range sim.Groups {
		s, w := sim.Groups[i], wall.Groups[i]
		if s.TTFT.Mean == nil {
			continue
		}
		want := (*w.TTFT.Mean-fixtureOverhead)*fixtureSpeed + fixtureOverhead
		if d := *s.TTFT.Mean - want; d > 1e-5 || d < -1e-5 {
			t.Errorf("%s c=%d: simulated TTFT mean %.6f, want %.6f", s.Profile, s.Concurrency, *s.TTFT.Mean, want)
		}
		r := *w.OutputTokS / *s.OutputTokS
		if r < 0.8*fixtureSpeed || r > fixtureSpeed {
			t.Errorf("%s c=%d: wall/simulated throughput %.2f, want about %d", s.Profile, s.Concurrency, r, fixtureSpeed)
		}
	}
}

// TestPredictionNotScaledAgain builds the fixture as if package predict
// had written it: the records are simulated time already, so the figures
// stay as recorded (no second scaling) and the banner says "predicted",
// with or without --wall-clock.
func TestPredictionNotScaledAgain(t *testing.T) {
	dir := copyFixture(t)
	wall := build(t, dir, Options{WallClock: true}).Summary
	cfg, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Prediction = true
	cfg.Meta["target"] = []byte(`"prediction"`)
	cfg.Meta["engine"] = []byte(`{"gpu": {"name": "h200"}, "model": {"name": "qwen2.5-7b"}, "speed": 1}`)
	if err := record.WriteConfig(dir, cfg); err != nil {
		t.Fatal(err)
	}
	for _, wc := range []bool{false, true} {
		pred := build(t, dir, Options{WallClock: wc}).Summary
		if !pred.Time.Prediction || !strings.HasPrefix(pred.Banner, "predicted, simulated time: h200 · qwen2.5-7b") {
			t.Errorf("wall clock %v: time %+v, banner %q", wc, pred.Time, pred.Banner)
		}
		if *pred.Groups[0].TTFT.Mean != *wall.Groups[0].TTFT.Mean || *pred.Groups[0].OutputTokS != *wall.Groups[0].OutputTokS {
			t.Errorf("wall clock %v: a prediction's figures were converted: TTFT mean %v (recorded %v)", wc, *pred.Groups[0].TTFT.Mean, *wall.Groups[0].TTFT.Mean)
		}
		if pred.ClientOverhead != nil {
			t.Errorf("a prediction reports a client overhead: %+v", pred.ClientOverhead)
		}
	}
}

func TestBuildGoldenSummarySLO(t *testing.T) {
	dir := copyFixture(t)
	build(t, dir, Options{SLO: SLO{TTFT: 80e6, TPOT: 15e6, E2E: 3e9}})
	md, err := os.ReadFile(filepath.Join(dir, record.SummaryMDFile))
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/summary-slo.md.golden", md)
}

// svgStructure describes an SVG by its element counts and its text, not
// its bytes: what a reader sees (titles, labels, ticks, legend).
func svgStructure(t *testing.T, svg []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	counts := map[string]int{}
	var texts []string
	inText := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			counts[el.Name.Local]++
			if el.Name.Local == "text" {
				inText++
			}
		case xml.EndElement:
			if el.Name.Local == "text" {
				inText--
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(el)); inText > 0 && s != "" {
				texts = append(texts, s)
			}
		}
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("elements:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %s %d\n", n, counts[n])
	}
	b.WriteString("texts:\n")
	for _, s := range texts {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	return b.String()
}

func TestBuildGoldenPlotStructure(t *testing.T) {
	dir := copyFixture(t)
	build(t, dir, Options{})
	for _, name := range []string{"ttft_vs_concurrency_tiny", "ttft_vs_prompt_tokens"} {
		t.Run(name, func(t *testing.T) {
			svg, err := os.ReadFile(filepath.Join(dir, record.PlotsDir, name+".svg"))
			if err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join("testdata", name+".svg.txt"), []byte(svgStructure(t, svg)))
		})
	}
}

func TestBuildWritesEveryFile(t *testing.T) {
	dir := copyFixture(t)
	b := build(t, dir, Options{})
	want := []string{record.SummaryJSONFile, record.SummaryMDFile, record.HTMLFile}
	for _, stem := range []string{"total_vs_concurrency_tiny", "ttft_vs_concurrency_tiny", "tpot_vs_concurrency_tiny",
		"ttft_vs_prompt_tokens", "e2e_vs_output_tokens", "cdf_ttft_tiny_short_short", "cdf_e2e_tiny_long_long"} {
		want = append(want, filepath.Join(record.PlotsDir, stem+".png"), filepath.Join(record.PlotsDir, stem+".svg"))
	}
	for _, w := range want {
		if _, err := os.Stat(filepath.Join(dir, w)); err != nil {
			t.Errorf("missing %s: %v", w, err)
		}
		if !contains(b.Files, w) {
			t.Errorf("Built.Files does not list %s", w)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, record.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"sk-must-not-show", "http://", "https://", "<link", "src=\"plots/"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("index.html contains %q: it must be self-contained and never show secrets", bad)
		}
	}
	pngs := 0
	for _, f := range b.Files {
		if filepath.Ext(f) == ".png" {
			pngs++
		}
	}
	if n := bytes.Count(page, []byte(`src="data:image/png;base64,`)); n != pngs || n == 0 {
		t.Errorf("index.html inlines %d images, want one per plot (%d)", n, pngs)
	}
	if !contains(b.Files, "hypotheses.md") {
		t.Errorf("hypotheses.md was not regenerated from hypotheses.jsonl")
	}
	// The fixture's H1 and H2 verdicts get the operating-characteristics
	// section (calibration_test.go checks its contents).
	if !bytes.Contains(page, []byte(`<h2 id="operating-characteristics">`)) || !bytes.Contains(page, []byte("<h3>H1</h3>")) {
		t.Error("index.html has no operating-characteristics section for the fixture's H1 and H2 verdicts")
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// readReport returns every report file (not the inputs) under dir.
func readReport(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	inputs := map[string]bool{record.RequestsFile: true, record.PhasesFile: true, record.ConfigFile: true, record.HypothesesFile: true}
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if !inputs[rel] {
			b, err := os.ReadFile(path)
			out[rel] = b
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRebuildIsIdentical(t *testing.T) {
	dir := copyFixture(t)
	build(t, dir, Options{})
	first := readReport(t, dir)
	if len(first) < 10 {
		t.Fatalf("only %d report files written", len(first))
	}
	for rel := range first {
		if err := os.Remove(filepath.Join(dir, rel)); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(dir, record.PlotsDir))
	build(t, dir, Options{})
	second := readReport(t, dir)
	// A second directory: nothing may depend on where the run lives.
	other := copyFixture(t)
	build(t, other, Options{})
	third := readReport(t, other)
	for name, again := range map[string]map[string][]byte{"rebuild": second, "other directory": third} {
		if len(again) != len(first) {
			t.Errorf("%s wrote %d files, first build %d", name, len(again), len(first))
		}
		for rel, b := range first {
			if !bytes.Equal(b, again[rel]) {
				t.Errorf("%s: %s differs from the first build", name, rel)
			}
		}
	}
}

func TestBuildCorruptLines(t *testing.T) {
	dir := copyFixture(t)
	path := filepath.Join(dir, record.RequestsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	// Line 3 becomes garbage, and the file ends in a truncated line.
	lines[2] = "{\"id\": \"req_000003\", \"profile\": \n"
	corrupt := strings.Join(lines, "") + `{"id":"req_999999","ttft_s":0.1`
	if err := os.WriteFile(path, []byte(corrupt), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	b := build(t, dir, Options{Log: &log})
	wantLines := []int{3, len(lines)}
	if len(b.Skipped) != len(wantLines) {
		t.Fatalf("skipped %d lines (%v), want %d", len(b.Skipped), b.Skipped, len(wantLines))
	}
	for i, e := range b.Skipped {
		var le *record.LineError
		if !errors.As(e, &le) || le.Line != wantLines[i] {
			t.Errorf("skipped[%d] = %v, want a *record.LineError at line %d", i, e, wantLines[i])
		}
	}
	if b.Summary.Records != 143 {
		t.Errorf("summarized %d records, want 143 (144 less the corrupt line)", b.Summary.Records)
	}
	md, err := os.ReadFile(filepath.Join(dir, record.SummaryMDFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range wantLines {
		want := fmt.Sprintf("requests.jsonl:%d:", n)
		if !bytes.Contains(md, []byte("## Skipped lines")) || !bytes.Contains(md, []byte(want)) {
			t.Errorf("summary.md does not list %q under Skipped lines", want)
		}
		if !strings.Contains(log.String(), want) {
			t.Errorf("log does not report %q:\n%s", want, log.String())
		}
	}
}

func TestBuildErrors(t *testing.T) {
	t.Run("no requests", func(t *testing.T) {
		_, err := Build(t.TempDir(), Options{})
		if !errors.Is(err, record.ErrNoRecords) {
			t.Errorf("Build on an empty directory = %v, want record.ErrNoRecords", err)
		}
	})
	t.Run("no phases, verdicts or config", func(t *testing.T) {
		dir := copyFixture(t)
		for _, f := range []string{record.PhasesFile, record.ConfigFile, record.HypothesesFile} {
			os.Remove(filepath.Join(dir, f))
		}
		b := build(t, dir, Options{})
		if g := b.Summary.Groups[0]; g.WindowSource != "records" || g.RequestsS == nil {
			t.Errorf("without phases.jsonl the window should come from the records, got %q", g.WindowSource)
		}
		page, err := os.ReadFile(filepath.Join(dir, record.HTMLFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(page, []byte("No hypotheses were run.")) {
			t.Error("index.html does not say that no hypotheses were run")
		}
	})
}
