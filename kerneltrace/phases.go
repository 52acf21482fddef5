package kerneltrace

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hypobench/hypobench/record"
)

// Window is one phase of the run on the trace's clock: [Start, End).
type Window struct {
	Index       int    `json:"index"`
	Profile     string `json:"profile"`
	Concurrency int    `json:"concurrency"`
	Start       int64  `json:"start_ns"`
	End         int64  `json:"end_ns"`
}

// Alignment says how phases were placed on the trace's clock.
type Alignment string

// The alignments Phases can produce.
const (
	// AlignWallClock: phases.jsonl windows (unix ns) on a trace with an
	// absolute time base.
	AlignWallClock Alignment = "wall-clock"
	// AlignNVTX: NVTX ranges named after the profiles, in the trace's own
	// clock, so no clock offset between client and GPU host matters.
	AlignNVTX Alignment = "nvtx"
	// AlignFirstKernel: a trace without a time base shifted so that its
	// first kernel starts at the first phase's start. Approximate: it
	// assumes the capture's first kernel belongs to the first phase.
	AlignFirstKernel Alignment = "first-kernel"
)

// PhaseSource chooses where phase windows come from.
type PhaseSource string

// The phase sources.
const (
	SourceAuto      PhaseSource = ""          // NVTX when ranges name the profiles, else wall-clock
	SourceWallClock PhaseSource = "wallclock" // phases.jsonl only
	SourceNVTX      PhaseSource = "nvtx"      // NVTX ranges only
)

// DefaultProfiles are the seed's four profiles, used to recognise NVTX
// phase ranges when no phases.jsonl is given.
var DefaultProfiles = []string{"short_short", "short_long", "long_short", "long_long"}

// ErrNoPhases is returned when neither phases.jsonl nor NVTX ranges give
// phase windows.
var ErrNoPhases = errors.New("no phase windows: pass phases.jsonl or capture NVTX ranges named after the profiles")

// Phases places the run's phases on the trace's clock and says how.
//
// NVTX ranges are preferred when the trace has ranges named after the
// phases' profiles (exact name, or the name as a token of the range text
// such as "phase long_short c=8"): the k-th such range of a profile is the
// k-th phase of that profile. Without phases.jsonl the NVTX ranges named
// after DefaultProfiles become the phases, in time order. Otherwise the
// phases.jsonl windows are used on a trace with an absolute time base; a
// trace without one is first aligned by its first kernel (AlignFirstKernel,
// with a warning), which may shift tr's timestamps.
func Phases(tr *Trace, phases []record.Phase, src PhaseSource) ([]Window, Alignment, []string, error) {
	var warn []string
	if src != SourceWallClock {
		if ws := nvtxWindows(tr.Ranges, phases); len(ws) > 0 {
			return ws, AlignNVTX, nil, nil
		}
		if src == SourceNVTX {
			return nil, "", nil, fmt.Errorf("%s: no NVTX ranges named after the profiles: %w", tr.Path, ErrNoPhases)
		}
	}
	if len(phases) == 0 {
		return nil, "", nil, fmt.Errorf("%s: %w", tr.Path, ErrNoPhases)
	}
	ws := make([]Window, len(phases))
	for i, p := range phases {
		ws[i] = Window{Index: p.Index, Profile: p.Profile, Concurrency: p.Concurrency, Start: p.StartUnixNs, End: p.EndUnixNs}
		if p.EndUnixNs <= p.StartUnixNs {
			return nil, "", nil, fmt.Errorf("phase %d (%s) ends at %d, not after its start %d", p.Index, p.Profile, p.EndUnixNs, p.StartUnixNs)
		}
	}
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Start < ws[j].Start })
	if tr.HasBase {
		return ws, AlignWallClock, warn, nil
	}
	if len(tr.Events) == 0 {
		return nil, "", nil, fmt.Errorf("%s: no kernels to align", tr.Path)
	}
	base := ws[0].Start - tr.Events[0].Start
	if err := tr.SetBase(base, "first kernel aligned to the first phase start"); err != nil {
		return nil, "", nil, err
	}
	warn = append(warn, fmt.Sprintf("%s has no absolute time base: its first kernel was aligned to the start of phase %d; pass the capture's start (--base-unix-ns) for an exact cut", tr.Path, ws[0].Index))
	return ws, AlignFirstKernel, warn, nil
}

// nvtxWindows matches NVTX ranges to phases by profile name; with no phases
// it makes a window of every range naming one of DefaultProfiles.
func nvtxWindows(rs []Range, phases []record.Phase) []Window {
	if len(rs) == 0 {
		return nil
	}
	if len(phases) == 0 {
		var ws []Window
		for _, r := range rs {
			for _, p := range DefaultProfiles {
				if namesProfile(r.Name, p) {
					ws = append(ws, Window{Index: len(ws), Profile: p, Concurrency: concurrencyIn(r.Name), Start: r.Start, End: r.End})
					break
				}
			}
		}
		return ws
	}
	used := make([]bool, len(rs))
	ws := make([]Window, 0, len(phases))
	for _, p := range phases {
		found := false
		for i, r := range rs {
			if !used[i] && namesProfile(r.Name, p.Profile) && r.End > r.Start {
				used[i], found = true, true
				ws = append(ws, Window{Index: p.Index, Profile: p.Profile, Concurrency: p.Concurrency, Start: r.Start, End: r.End})
				break
			}
		}
		if !found {
			return nil // partial NVTX coverage: fall back to wall-clock
		}
	}
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Start < ws[j].Start })
	return ws
}

// namesProfile reports whether the range text names profile: equal, or
// containing it between characters that cannot be part of a profile name.
func namesProfile(text, profile string) bool {
	if profile == "" {
		return false
	}
	t, p := strings.ToLower(text), strings.ToLower(profile)
	for off := 0; ; {
		i := strings.Index(t[off:], p)
		if i < 0 {
			return false
		}
		i += off
		j := i + len(p)
		if (i == 0 || !nameByte(t[i-1])) && (j == len(t) || !nameByte(t[j])) {
			return true
		}
		off = i + 1
	}
}

var reConcurrency = regexp.MustCompile(`(?i)\b(?:c|concurrency)\s*[=:]\s*(\d+)`)

// concurrencyIn reads "c=8" or "concurrency: 8" from a range's text; 0 when
// absent.
func concurrencyIn(text string) int {
	m := reConcurrency.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func nameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// cut returns, for each window, the events whose start lies in it, as
// subslices of es (sorted by Start); outside counts the events in no window.
// Windows must not overlap.
func cut(es []Event, ws []Window) (per [][]Event, outside int) {
	per = make([][]Event, len(ws))
	in := 0
	for i, w := range ws {
		lo := sort.Search(len(es), func(k int) bool { return es[k].Start >= w.Start })
		hi := sort.Search(len(es), func(k int) bool { return es[k].Start >= w.End })
		per[i] = es[lo:hi:hi]
		in += hi - lo
	}
	return per, len(es) - in
}
