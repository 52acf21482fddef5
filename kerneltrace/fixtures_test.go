package kerneltrace

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
)

const fixtureDir = "../fixtures/traces"

// fixtureSeed is the seed of the committed fixtures' timeline.
const fixtureSeed = 20260101

var fixtureFiles = map[Format]string{
	FormatSQLite: "nsys.sqlite",
	FormatCSV:    "nsys_cuda_gpu_trace.csv",
	FormatKineto: "kineto.pt.trace.json.gz",
}

// TestGenerateFixtures rewrites fixtures/traces with -update, and otherwise
// checks that every committed fixture holds exactly the generator's kernels.
func TestGenerateFixtures(t *testing.T) {
	ctx := context.Background()
	s := genSynth(fixtureSeed, false)
	if testutil.Update() {
		if err := os.MkdirAll(fixtureDir, 0o755); err != nil {
			t.Fatal(err)
		}
		write := func(name string, b []byte) {
			if err := os.WriteFile(filepath.Join(fixtureDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(record.PhasesFile, s.phasesJSONL())
		write(fixtureFiles[FormatCSV], s.csvBytes())
		write(fixtureFiles[FormatKineto], s.kinetoBytes())
		if err := s.writeSQLite(ctx, filepath.Join(fixtureDir, fixtureFiles[FormatSQLite])); err != nil {
			t.Fatal(err)
		}
	}
	phases, bad, err := record.ReadPhases(filepath.Join(fixtureDir, record.PhasesFile))
	if err != nil || len(bad) > 0 {
		t.Fatalf("reading phases: %v %v", err, bad)
	}
	if diff := cmp.Diff(s.phases, phases); diff != "" {
		t.Errorf("phases.jsonl differs from the generator (-want +got):\n%s", diff)
	}
	for f, name := range fixtureFiles {
		t.Run(string(f), func(t *testing.T) {
			tr := loadFixture(t, f)
			if diff := cmp.Diff(s.events, tr.Events); diff != "" {
				t.Errorf("%s differs from the generator (run go test ./kerneltrace -run TestGenerateFixtures -update) (-want +got):\n%s", name, diff)
			}
		})
	}
}

// loadFixture loads one committed fixture with auto-detection, giving the
// CSV its capture start.
func loadFixture(t *testing.T, f Format) *Trace {
	t.Helper()
	tr, err := Load(context.Background(), filepath.Join(fixtureDir, fixtureFiles[f]), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Format != f {
		t.Fatalf("detected %s, want %s", tr.Format, f)
	}
	if f == FormatCSV {
		if tr.HasBase {
			t.Fatal("csv trace claims a time base")
		}
		if err := tr.SetBase(synthSessionStart, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func fixturePhases(t *testing.T) []record.Phase {
	t.Helper()
	ps, bad, err := record.ReadPhases(filepath.Join(fixtureDir, record.PhasesFile))
	if err != nil || len(bad) > 0 {
		t.Fatalf("reading phases: %v %v", err, bad)
	}
	return ps
}

// TestFormatsAgree loads the three fixtures and asserts equal per-phase
// statistics, including the sqlite one cut by its NVTX ranges.
func TestFormatsAgree(t *testing.T) {
	phases := fixturePhases(t)
	var want *Analysis
	for _, f := range []Format{FormatSQLite, FormatCSV, FormatKineto} {
		tr := loadFixture(t, f)
		a, err := Analyze(tr, phases, Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		wantAlign := AlignWallClock
		if f == FormatSQLite {
			wantAlign = AlignNVTX
		}
		if a.Alignment != wantAlign {
			t.Errorf("%s: alignment %s, want %s", f, a.Alignment, wantAlign)
		}
		if want == nil {
			want = &a
			continue
		}
		if diff := cmp.Diff(want.Phases, a.Phases, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s phases differ from sqlite (-sqlite +%s):\n%s", f, f, diff)
		}
		if a.Outside != want.Outside || a.Threshold != want.Threshold {
			t.Errorf("%s: outside %d threshold %v, sqlite: %d %v", f, a.Outside, a.Threshold, want.Outside, want.Threshold)
		}
	}
	if want.Outside != 10*7+3*7 {
		t.Errorf("outside = %d, want the warm-up and gap steps (%d)", want.Outside, 10*7+3*7)
	}
	for _, f := range []Format{FormatCSV, FormatKineto} {
		if tr := loadFixture(t, f); tr.Skipped != 2 && f == FormatCSV || tr.Skipped != 1 && f == FormatKineto {
			t.Errorf("%s: skipped %d memory rows", f, tr.Skipped)
		}
	}
}
