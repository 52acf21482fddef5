package record

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// TimeBase says in whose time a run's figures are shown. The embedded
// engine runs compressed: every step lasts its modelled (GPU) time divided
// by its speed S, so a wall-clock figure of such a run is S times too
// short for the GPU it models. Reports of an embedded run therefore show
// simulated time by default, and wall-clock time on request; a prediction
// (package predict) is in simulated time already; any other target is
// shown as measured.
type TimeBase struct {
	// Simulated is true when figures are shown in the modelled GPU's time.
	Simulated bool `json:"simulated"`
	// Embedded is true for a run of the embedded engine (live or
	// predicted), whose GPU, Model and Scale are known.
	Embedded bool `json:"embedded,omitempty"`
	// Prediction marks a run computed by the virtual-time core: no server
	// and no client were measured; its records are simulated time.
	Prediction bool `json:"prediction,omitempty"`
	// Scale is the engine's speed S: a second of wall clock stood for S
	// seconds of the modelled GPU (1 for a prediction).
	Scale float64 `json:"scale,omitempty"`
	GPU   string  `json:"gpu,omitempty"`
	Model string  `json:"model,omitempty"`
	// Unstamped counts the successful records of a simulated view that
	// carried no server stamps: their figures were multiplied by Scale
	// whole, client overhead included.
	Unstamped int `json:"unstamped,omitempty"`
}

// TimeBaseOf reads a run's time base from its config.json (nil: unknown,
// shown as measured): an embedded engine at speed S (meta.target
// "embedded", meta.engine.gpu.name, .model.name and .speed) is shown in
// simulated time, a prediction in its own (simulated) time, anything else
// as measured. wallClock asks for wall-clock figures where a choice
// exists; a prediction has no wall clock to show and stays simulated.
func TimeBaseOf(cfg *RunConfig, wallClock bool) TimeBase {
	var tb TimeBase
	if cfg == nil {
		return tb
	}
	var target string
	if raw, ok := cfg.Meta["target"]; ok {
		_ = json.Unmarshal(raw, &target)
	}
	var eng struct {
		GPU   struct{ Name string } `json:"gpu"`
		Model struct{ Name string } `json:"model"`
		Speed float64               `json:"speed"`
	}
	raw, ok := cfg.Meta["engine"]
	if !ok || json.Unmarshal(raw, &eng) != nil || eng.Speed <= 0 || (target != "embedded" && !cfg.Prediction) {
		return tb
	}
	tb = TimeBase{Embedded: true, Prediction: cfg.Prediction, Scale: eng.Speed, GPU: eng.GPU.Name, Model: eng.Model.Name}
	if tb.Prediction {
		tb.Scale = 1
	}
	tb.Simulated = tb.Prediction || !wallClock
	return tb
}

// Banner is the line a report shows above its figures, naming the time
// they are in: for an embedded run "simulated time: rtx4090 · qwen2.5-7b ·
// run compressed ×10; wall-clock figures: hypobench report --wall-clock".
func (tb TimeBase) Banner() string {
	what := tb.GPU + " · " + tb.Model
	x := strconv.FormatFloat(tb.Scale, 'g', 4, 64)
	switch {
	case tb.Prediction:
		return "predicted, simulated time: " + what + " · computed by the engine's virtual-time core (no server, no client measured)"
	case tb.Embedded && tb.Simulated:
		s := "simulated time: " + what + " · run compressed ×" + x + "; wall-clock figures: hypobench report --wall-clock"
		if tb.Unstamped > 0 {
			s += fmt.Sprintf(" (%d records without server stamps were scaled ×%s whole, client overhead included)", tb.Unstamped, x)
		}
		return s
	case tb.Embedded:
		return "wall-clock time as measured: " + what + " · run compressed ×" + x + ", so these figures are " + x + "× shorter than the modelled GPU's; simulated-time figures: hypobench report"
	}
	return "wall-clock time as measured on the client"
}

// RateFactor is what a wall-clock rate (requests per wall-clock second:
// an open-loop phase's target, offered or achieved rate, a capacity) is
// multiplied by to be shown in tb's time: 1/Scale for a live embedded run
// shown in simulated time (at speed S a wall-clock second stands for S
// simulated seconds, so R requests/s offer R/S per simulated second), 1
// otherwise.
func (tb TimeBase) RateFactor() float64 {
	if tb.Simulated && !tb.Prediction && tb.Scale > 0 {
		return 1 / tb.Scale
	}
	return 1
}

// RateUnit names the unit of rates shown in tb's time.
func (tb TimeBase) RateUnit() string {
	if tb.Simulated {
		return "requests per simulated second"
	}
	return "requests/s"
}

// View returns recs as tb shows them: SimTime(r, tb.Scale) of each record
// for a live embedded run in simulated time, recs itself otherwise. It
// counts the successful records without stamps in tb.Unstamped.
func (tb *TimeBase) View(recs []Record) []Record {
	if !tb.Simulated || tb.Prediction || tb.Scale <= 0 {
		return recs
	}
	out := make([]Record, len(recs))
	tb.Unstamped = 0
	for i := range recs {
		if recs[i].OK() && recs[i].SimTTFT == nil {
			tb.Unstamped++
		}
		out[i] = SimTime(recs[i], tb.Scale)
	}
	return out
}

// SimTime returns r's latencies in the modelled GPU's time for an engine
// that ran compressed ×scale. Each figure is the server's simulated time
// plus the client's measured overhead, unscaled:
//
//	shown = sim + (wall − sim/scale) = wall + sim × (1 − 1/scale)
//
// where wall is the client's measurement and sim the server's stamp for
// the same event (SimTTFT for TTFT, SimTTFTText for TTFTText, SimE2E for
// E2E and Total, SimITL for each ITL gap). TPOT is recomputed from the
// shown E2E and TTFT by its definition. Queue time is the client's and
// stays as measured, as do the wall-clock instants StartUnixNs and
// EndUnixNs. A record without stamps (a failed request, a server that
// does not stamp) has every duration multiplied by scale, client overhead
// included. An open-loop record's latencies from its due time are its send
// lag (the client's, never scaled) plus the converted TTFT and Total.
// scale ≤ 0 returns r unchanged.
func SimTime(r Record, scale float64) Record {
	if scale <= 0 {
		return r
	}
	r = simTime(r, scale)
	if r.TTFTIntended != nil && r.TTFT != nil {
		r.TTFTIntended = F(r.Queue + *r.TTFT)
	}
	if r.TotalIntended != nil {
		r.TotalIntended = F(r.Queue + r.Total)
	}
	return r
}

func simTime(r Record, scale float64) Record {
	r.ITL = append([]float64(nil), r.ITL...)
	if r.SimTTFT == nil || r.SimE2E == nil {
		mul := func(p *float64) *float64 {
			if p == nil {
				return nil
			}
			return F(*p * scale)
		}
		r.TTFT, r.TTFTText, r.E2E, r.TPOT = mul(r.TTFT), mul(r.TTFTText), mul(r.E2E), mul(r.TPOT)
		r.Total *= scale
		for i := range r.ITL {
			r.ITL[i] *= scale
		}
		return r
	}
	k := 1 - 1/scale
	add := func(wall, sim *float64) *float64 {
		if wall == nil || sim == nil {
			return wall
		}
		return F(*wall + *sim*k)
	}
	r.Total += *r.SimE2E * k
	r.TTFT, r.TTFTText, r.E2E = add(r.TTFT, r.SimTTFT), add(r.TTFTText, r.SimTTFTText), add(r.E2E, r.SimE2E)
	if len(r.SimITL) == len(r.ITL) {
		for i := range r.ITL {
			r.ITL[i] += r.SimITL[i] * k
		}
	}
	if r.TPOT != nil && r.TTFT != nil && r.E2E != nil {
		if n := r.N(); n >= 2 {
			r.TPOT = F((*r.E2E - *r.TTFT) / float64(n-1))
		}
	}
	return r
}

// ClientOverhead returns the client's share of r's TTFT in wall-clock
// seconds, TTFT − SimTTFT/scale: what the client, the HTTP layer and the
// host added to the server's simulated time. ok is false without stamps.
func ClientOverhead(r *Record, scale float64) (sec float64, ok bool) {
	if r.TTFT == nil || r.SimTTFT == nil || scale <= 0 {
		return 0, false
	}
	return *r.TTFT - *r.SimTTFT/scale, true
}
