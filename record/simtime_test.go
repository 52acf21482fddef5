package record

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestSimTime checks the conversion on a hand-computed record: a server
// that simulated 50 ms to the first token and 10 ms per gap at speed 10,
// seen by a client that added 0.3 ms of its own to every event.
func TestSimTime(t *testing.T) {
	t.Parallel()
	const S = 10.0
	wall := Record{TTFT: F(0.005 + 0.0003), TTFTText: F(0.005 + 0.0003), E2E: F(0.007 + 0.0003), Total: 0.0075,
		ITL: []float64{0.001, 0.001}, OutputTokens: I(3), TPOT: F(0.001),
		SimTTFT: F(0.05), SimTTFTText: F(0.05), SimE2E: F(0.07), SimITL: []float64{0.01, 0.01}}
	got := SimTime(wall, S)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"ttft", *got.TTFT, 0.05 + 0.0003}, // the overhead stays 0.3 ms, not 3 ms
		{"ttft_text", *got.TTFTText, 0.05 + 0.0003},
		{"e2e", *got.E2E, 0.07 + 0.0003},
		{"total", got.Total, 0.0075 + 0.07*0.9},
		{"itl0", got.ITL[0], 0.01},
		{"tpot", *got.TPOT, 0.01},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %.9g, want %.9g", c.name, c.got, c.want)
		}
	}
	if wall.ITL[0] != 0.001 {
		t.Errorf("SimTime changed its argument's ITL slice: %v", wall.ITL)
	}
	if o, ok := ClientOverhead(&wall, S); !ok || !near(o, 0.0003) {
		t.Errorf("client overhead %v %v, want 0.0003", o, ok)
	}

	// Without stamps the whole figure is scaled, overhead included.
	plain := Record{TTFT: F(0.0053), E2E: F(0.0073), Total: 0.0075, ITL: []float64{0.001}}
	got = SimTime(plain, S)
	if !near(*got.TTFT, 0.053) || !near(got.Total, 0.075) || !near(got.ITL[0], 0.01) {
		t.Errorf("unstamped record scaled to ttft %v total %v itl %v", *got.TTFT, got.Total, got.ITL)
	}
	if got := SimTime(wall, 1); !near(*got.TTFT, *wall.TTFT) {
		t.Errorf("scale 1 changed TTFT to %v", *got.TTFT)
	}
}

func TestTimeBaseOf(t *testing.T) {
	t.Parallel()
	meta := func(target string, speed float64) map[string]json.RawMessage {
		tb, _ := json.Marshal(target)
		eb, _ := json.Marshal(map[string]any{"gpu": map[string]any{"name": "rtx4090"}, "model": map[string]any{"name": "qwen2.5-7b"}, "speed": speed})
		return map[string]json.RawMessage{"target": tb, "engine": eb}
	}
	embedded := &RunConfig{Meta: meta("embedded", 10)}
	tb := TimeBaseOf(embedded, false)
	if !tb.Simulated || tb.Scale != 10 || tb.GPU != "rtx4090" || tb.Model != "qwen2.5-7b" {
		t.Fatalf("embedded: %+v", tb)
	}
	const want = "simulated time: rtx4090 · qwen2.5-7b · run compressed ×10; wall-clock figures: hypobench report --wall-clock"
	if tb.Banner() != want {
		t.Errorf("banner %q, want %q", tb.Banner(), want)
	}
	if wc := TimeBaseOf(embedded, true); wc.Simulated || !strings.HasPrefix(wc.Banner(), "wall-clock time as measured: rtx4090") {
		t.Errorf("wall clock: %+v %q", wc, wc.Banner())
	}
	if ext := TimeBaseOf(&RunConfig{Meta: meta("http://127.0.0.1:8000", 10)}, false); ext.Simulated || ext.Embedded {
		t.Errorf("external target shown as %+v", ext)
	}
	pred := TimeBaseOf(&RunConfig{Prediction: true, Meta: meta("prediction", 1)}, true)
	if !pred.Simulated || !pred.Prediction || !strings.HasPrefix(pred.Banner(), "predicted") {
		t.Errorf("prediction: %+v %q", pred, pred.Banner())
	}
	recs := []Record{{TTFT: F(1), Total: 1}}
	if v := pred.View(recs); &v[0] != &recs[0] {
		t.Error("a prediction's records were converted again")
	}
	if TimeBaseOf(nil, false).Simulated {
		t.Error("no config shown as simulated")
	}
}
