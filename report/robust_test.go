package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/record"
)

// TestBuildUnplottableValues: a record with total_s 1e30 is reported and
// left out of the plots, never a panic (issue 20, item 5).
func TestBuildUnplottableValues(t *testing.T) {
	for _, v := range []float64{1e30, 1e300, -5} {
		recs := fakerun.Records(1, 1, 1, 0.2) // one record per group: its CDF axis spans nothing
		recs[0].Total, recs[0].E2E, recs[0].TTFT = v, record.F(v), record.F(v)
		dir := fakerun.WriteRun(t, filepath.Join(t.TempDir(), "run"), recs, "")
		var log bytes.Buffer
		var b *Built
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("value %g: Build panicked: %v", v, p)
				}
			}()
			b, err = Build(dir, Options{Log: &log})
		}()
		if err != nil {
			t.Fatalf("value %g: %v", v, err)
		}
		if !strings.Contains(log.String(), "left out of the plots") {
			t.Errorf("value %g: no note about the unplottable records:\n%s", v, log.String())
		}
		if len(b.Files) < 4 {
			t.Errorf("value %g: files %v", v, b.Files)
		}
	}
}

// TestBuildGarbageKeepsReports: a requests.jsonl that is mostly garbage
// fails the build and leaves the existing reports as they were (item 5).
func TestBuildGarbageKeepsReports(t *testing.T) {
	dir := fakerun.WriteRun(t, filepath.Join(t.TempDir(), "run"), fakerun.Records(1, 10, 1, 0.2), "")
	if _, err := Build(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, record.SummaryJSONFile))
	garbage := bytes.Repeat([]byte("\x00\xff\x13garbage{\n"), 200)
	os.WriteFile(filepath.Join(dir, record.RequestsFile), garbage, 0o644)
	_, err := Build(dir, Options{})
	if err == nil {
		t.Fatal("Build of a garbage requests.jsonl succeeded")
	}
	if !errors.Is(err, record.ErrNoRecords) && !errors.Is(err, record.ErrNoRecords) {
		t.Errorf("error %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, record.SummaryJSONFile)); !bytes.Equal(now, good) {
		t.Error("the good summary.json was overwritten")
	}
	// One good line among many bad ones is still mostly garbage.
	recs := fakerun.Records(1, 1, 1, 0.2)
	fakerun.WriteJSONL(t, filepath.Join(dir, record.RequestsFile), recs)
	f, _ := os.OpenFile(filepath.Join(dir, record.RequestsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.Write(garbage)
	f.Close()
	if _, err := Build(dir, Options{}); err == nil {
		t.Error("Build of a mostly-garbage requests.jsonl succeeded")
	}
}
