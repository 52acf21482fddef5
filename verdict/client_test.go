package verdict

import (
	"errors"
	"os"
	"testing"

	"github.com/hypobench/hypobench/record"
)

func TestForRunDowngradesClientLimitedRuns(t *testing.T) {
	limited := &record.RunConfig{ClientCheck: &record.ClientCheck{Reasons: []record.ClientReason{
		{Code: record.ReasonSendLag, Detail: "p90 client send lag 40 ms > 12 ms"}}}}
	clean := &record.RunConfig{ClientCheck: &record.ClientCheck{}}
	for _, out := range []Outcome{Pass, Fail, Inconclusive} {
		v := Verdict{ID: "H1", Outcome: out}
		if got := ForRun(v, clean); got.Outcome != out || len(got.Warnings) != 0 {
			t.Errorf("%s on a clean run became %s %v", out, got.Outcome, got.Warnings)
		}
		if got := ForRun(v, nil); got.Outcome != out {
			t.Errorf("%s with no config became %s", out, got.Outcome)
		}
		got := ForRun(v, limited)
		if got.Outcome != Inconclusive || len(got.Warnings) != 1 || !errors.Is(got.Warnings[0], ErrClientLimited) {
			t.Errorf("%s on a limited run: %s %v", out, got.Outcome, got.Warnings)
		}
		if again := ForRun(got, limited); len(again.Warnings) != 1 {
			t.Errorf("applied twice: %v", again.Warnings)
		}
	}
}

func TestAppendWritesClientLimitedInconclusive(t *testing.T) {
	dir := t.TempDir()
	rc := &record.RunConfig{RunID: "r", ClientCheck: &record.ClientCheck{Reasons: []record.ClientReason{{Code: record.ReasonCPU, Detail: "95% of 2 cores"}}}}
	if err := record.WriteConfig(dir, rc); err != nil {
		t.Fatal(err)
	}
	if err := Append(dir, Verdict{ID: "H2", Outcome: Pass, Checks: []Check{{Name: "x", Outcome: Pass}}}); err != nil {
		t.Fatal(err)
	}
	vs, _, err := Read(dir)
	if err != nil || len(vs) != 1 {
		t.Fatal(vs, err)
	}
	if vs[0].Outcome != Inconclusive || len(vs[0].Warnings) != 1 {
		t.Errorf("written %s %v, want inconclusive with the client's reason", vs[0].Outcome, vs[0].Warnings)
	}
	// Without a config.json (a verdict on data from elsewhere) it stays.
	other := t.TempDir()
	if err := Append(other, Verdict{ID: "H2", Outcome: Pass}); err != nil {
		t.Fatal(err)
	}
	if vs, _, _ := Read(other); vs[0].Outcome != Pass {
		t.Errorf("no config: %s", vs[0].Outcome)
	}
}

// TestForRunDirFollowsRunDir: a session writes verdicts beside its
// designs' run directories; the config that counts is the design's.
func TestForRunDirFollowsRunDir(t *testing.T) {
	session := t.TempDir()
	design := session + "/concurrency"
	rc := &record.RunConfig{RunID: "r", ClientCheck: &record.ClientCheck{Reasons: []record.ClientReason{{Code: record.ReasonSchedLag, Detail: "late"}}}}
	if err := os.MkdirAll(design, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := record.WriteConfig(design, rc); err != nil {
		t.Fatal(err)
	}
	v, err := ForRunDir(session, Verdict{ID: "H3", Outcome: Pass, RunDir: "concurrency"})
	if err != nil || v.Outcome != Inconclusive {
		t.Errorf("%s, %v", v.Outcome, err)
	}
	if v, _ := ForRunDir(session, Verdict{ID: "H1", Outcome: Pass, RunDir: "H1"}); v.Outcome != Pass {
		t.Errorf("a design without config.json: %s", v.Outcome)
	}
}

// TestForRunEngineStalled: a run whose in-process engine lost too much
// of its virtual time to host stalls makes verdicts inconclusive under
// their own warning, not the client's.
func TestForRunEngineStalled(t *testing.T) {
	share := 0.12
	stalled := &record.RunConfig{ClientCheck: &record.ClientCheck{EngineStallShare: &share, Reasons: []record.ClientReason{
		{Code: record.ReasonEngineStall, Detail: "the in-process engine lost 12.0% of the run's virtual time to host stalls"}}}}
	ok := 0.001
	quiet := &record.RunConfig{ClientCheck: &record.ClientCheck{EngineStallShare: &ok}}
	for _, out := range []Outcome{Pass, Fail} {
		v := Verdict{ID: "H3", Outcome: out}
		got := ForRun(v, stalled)
		if got.Outcome != Inconclusive || len(got.Warnings) != 1 || !errors.Is(got.Warnings[0], ErrEngineStalled) || errors.Is(got.Warnings[0], ErrClientLimited) {
			t.Errorf("%s on a stalled engine's run: %s %v", out, got.Outcome, got.Warnings)
		}
		if again := ForRun(got, stalled); len(again.Warnings) != 1 {
			t.Errorf("applied twice: %v", again.Warnings)
		}
		if got := ForRun(v, quiet); got.Outcome != out {
			t.Errorf("%s on a quiet engine's run became %s", out, got.Outcome)
		}
	}
}
