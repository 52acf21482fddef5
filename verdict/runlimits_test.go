package verdict

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/record"
)

// TestClientLimitedRunIsInconclusive: every verdict reached on a run marked
// client-limited is inconclusive with the reason (issue 20, item 3); on an
// ordinary run it is left alone.
func TestClientLimitedRunIsInconclusive(t *testing.T) {
	dir := t.TempDir()
	rc := &record.RunConfig{RunID: "r", Status: record.StatusComplete, Started: time.Now(),
		ClientLimited: true, ClientLimitedReasons: []string{"12 requests failed with client_limit"}}
	if err := record.WriteConfig(dir, rc); err != nil {
		t.Fatal(err)
	}
	for _, o := range []Outcome{Pass, Fail, Inconclusive} {
		v := Verdict{ID: "H1", Outcome: o}
		ApplyRunLimits(dir, &v)
		if v.Outcome != Inconclusive || len(v.Warnings) != 1 || !errors.Is(v.Warnings[0], ErrClientLimited) ||
			!strings.Contains(v.Warnings[0].Error(), "client_limit") {
			t.Errorf("%s on a client-limited run: %s %v", o, v.Outcome, v.Warnings)
		}
	}
	// Append writes it inconclusive too.
	if err := Append(dir, Verdict{ID: "H2", Outcome: Pass}); err != nil {
		t.Fatal(err)
	}
	vs, _, _ := Read(dir)
	if len(vs) != 1 || vs[0].Outcome != Inconclusive {
		t.Errorf("appended %+v", vs)
	}
	// Negative control: an ordinary run keeps its outcome.
	rc.ClientLimited, rc.ClientLimitedReasons = false, nil
	record.WriteConfig(dir, rc)
	v := Verdict{ID: "H1", Outcome: Pass}
	ApplyRunLimits(dir, &v)
	if v.Outcome != Pass || len(v.Warnings) != 0 {
		t.Errorf("ordinary run: %s %v", v.Outcome, v.Warnings)
	}
}
