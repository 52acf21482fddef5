package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/hypobench/hypobench/record"
)

// JSONFile is the name of the comparison written beside a gate's output.
const JSONFile = "compare.json"

// Source is one side of a comparison: where its records came from.
type Source struct {
	// Path is the run directory or requests.jsonl given.
	Path string `json:"path"`
	// Dir is the run directory (the file's directory for a .jsonl path).
	Dir      string            `json:"dir"`
	RunID    string            `json:"run_id,omitempty"`
	Requests int               `json:"requests"`
	Config   *record.RunConfig `json:"config,omitempty"`
	// Warnings are problems found while loading (bad lines, no config).
	Warnings []string `json:"warnings,omitempty"`
	// Records are the run's records as a comparison reads them (see
	// slim): Load drops each record's ITL gaps, per-chunk token counts,
	// id, error text and server request id, which no comparison reads,
	// so a run of millions of records fits in memory.
	Records []record.Record `json:"-"`
}

// strs interns the strings every record of a run repeats.
type strs map[string]string

func (m strs) of(s string) string {
	if v, ok := m[s]; ok {
		return v
	}
	m[s] = s
	return s
}

// loadFields are the fields Load decodes: every field slim keeps, so the
// arrays that make up most of a record's bytes are skipped unread.
var loadFields = record.AllFields().Without("id", "error", "server_request_id", "itl_s", "sim_itl_s", "itl_token_s", "chunk_tokens")

// slim returns r without what a comparison never reads — its ITL gaps
// (ITL, SimITL, ITLToken), per-chunk token counts, id, error text and
// server request id — and with its repeated strings shared through m. It
// keeps every field a comparison, its grouping and record.SimTime read.
func slim(r *record.Record, m strs) record.Record {
	out := *r
	out.ID, out.Error, out.ServerRequestID = "", "", ""
	out.ITL, out.SimITL, out.ITLToken, out.ChunkTokens = nil, nil, nil, nil
	out.RunID, out.Suite, out.Profile, out.Model = m.of(r.RunID), m.of(r.Suite), m.of(r.Profile), m.of(r.Model)
	out.Endpoint, out.TokenSource, out.Chunking, out.FinishReason = m.of(r.Endpoint), m.of(r.TokenSource), m.of(r.Chunking), m.of(r.FinishReason)
	out.ErrorClass = record.ErrorClass(m.of(string(r.ErrorClass)))
	return out
}

// MarshalJSON writes the source with only the part of its config.json
// that says what ran where (run id, status, model, seed, suite, client,
// target): compare.json describes the two sides, not their runs' counts.
func (s Source) MarshalJSON() ([]byte, error) {
	type identity struct {
		RunID  string                     `json:"run_id"`
		Status record.Status              `json:"status"`
		Model  string                     `json:"model"`
		Seed   uint64                     `json:"seed"`
		Suite  json.RawMessage            `json:"suite,omitempty"`
		Client record.Identity            `json:"client"`
		Meta   map[string]json.RawMessage `json:"meta,omitempty"`
	}
	var id *identity
	if c := s.Config; c != nil {
		id = &identity{RunID: c.RunID, Status: c.Status, Model: c.Model, Seed: c.Seed, Suite: c.Suite, Client: c.Client, Meta: c.Meta}
	}
	return json.Marshal(struct {
		Path     string    `json:"path"`
		Dir      string    `json:"dir"`
		RunID    string    `json:"run_id,omitempty"`
		Requests int       `json:"requests"`
		Config   *identity `json:"config,omitempty"`
		Warnings []string  `json:"warnings,omitempty"`
	}{s.Path, s.Dir, s.RunID, s.Requests, id, s.Warnings})
}

// Load reads a run: path is a run directory (its requests.jsonl and
// config.json are read) or a requests.jsonl file (config.json beside it is
// read when present). Undecodable lines are skipped with a warning; a run
// with no records at all is an error wrapping record.ErrNoRecords.
func Load(path string) (*Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("loading run %s: %w", path, err)
	}
	s := &Source{Path: path, Dir: path}
	file := filepath.Join(path, record.RequestsFile)
	if !st.IsDir() {
		file, s.Dir = path, filepath.Dir(path)
	} else if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		if rounds, _ := filepath.Glob(filepath.Join(path, "*", record.RequestsFile)); len(rounds) > 0 {
			return loadPooled(path, rounds)
		}
	}
	var recs []record.Record
	if n, err := record.CountLines(file); err == nil {
		recs = make([]record.Record, 0, n) // not grown by doubling
	}
	m := strs{}
	bad, err := record.ScanFields(file, loadFields, func(_ int, r *record.Record) error {
		recs = append(recs, slim(r, m))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading run %s: %w", path, err)
	}
	for i, e := range bad {
		if i == 5 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: %d more undecodable lines skipped", file, len(bad)-5))
			break
		}
		s.Warnings = append(s.Warnings, "skipped: "+e.Error())
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("loading run %s: %s: %w", path, file, record.ErrNoRecords)
	}
	s.Records, s.Requests = recs, len(recs)
	cfg, err := record.ReadConfig(filepath.Join(s.Dir, record.ConfigFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s has no %s: the machine and target it ran on are unknown", s.Dir, record.ConfigFile))
	case err != nil:
		s.Warnings = append(s.Warnings, err.Error())
	default:
		s.Config, s.RunID = cfg, cfg.RunID
		if cfg.Status != "" && cfg.Status != record.StatusComplete {
			s.Warnings = append(s.Warnings, fmt.Sprintf("run %s has status %q, not complete", cfg.RunID, cfg.Status))
		}
	}
	if s.RunID == "" && len(recs) > 0 {
		s.RunID = recs[0].RunID
	}
	return s, nil
}

// loadPooled reads every round of an interleaved (ABAB) session: the run
// directories one level below path, pooled into one sample. The identity
// is the first round's; rounds that ran elsewhere are warned about.
func loadPooled(path string, files []string) (*Source, error) {
	sort.Strings(files)
	pooled := &Source{Path: path, Dir: path}
	for _, f := range files {
		// Skip the "latest" link NewDir leaves beside the rounds: it
		// points at one of them.
		if fi, err := os.Lstat(filepath.Dir(f)); err != nil || fi.Mode()&os.ModeSymlink != 0 {
			continue
		}
		s, err := Load(filepath.Dir(f))
		if err != nil {
			return nil, err
		}
		if pooled.Config == nil {
			pooled.Config = s.Config
		} else if ws := IdentityWarnings(pooled.Config, s.Config); len(ws) > 0 {
			pooled.Warnings = append(pooled.Warnings, fmt.Sprintf("round %s ran elsewhere than the first round: %s", s.Dir, strings.Join(ws, "; ")))
		}
		pooled.Warnings = append(pooled.Warnings, s.Warnings...)
		pooled.Records = append(pooled.Records, s.Records...)
	}
	if len(pooled.Records) == 0 {
		return nil, fmt.Errorf("loading run %s: %w", path, record.ErrNoRecords)
	}
	pooled.Requests = len(pooled.Records)
	pooled.RunID = "pooled rounds"
	return pooled, nil
}

// IdentityWarnings compares where two runs ran: the client machine
// (hostname, CPU, OS, architecture, Go version), the target (URL or
// embedded), the embedded engine's resolved configuration and the model.
// Each difference is one warning; a run without config.json is one too.
func IdentityWarnings(base, cand *record.RunConfig) []string {
	if base == nil || cand == nil {
		return []string{"DIFFERENT OR UNKNOWN MACHINE/TARGET: a run has no config.json, so the two cannot be checked to have run on the same hardware and target"}
	}
	var w []string
	diff := func(what, a, b string) {
		if a != b {
			w = append(w, fmt.Sprintf("DIFFERENT %s: baseline %s, new %s", what, orUnknown(a), orUnknown(b)))
		}
	}
	bc, cc := base.Client, cand.Client
	diff("CLIENT HOST", bc.Hostname, cand.Client.Hostname)
	diff("CLIENT CPU", fmt.Sprintf("%s ×%d", bc.CPUModel, bc.CPUs), fmt.Sprintf("%s ×%d", cc.CPUModel, cc.CPUs))
	diff("CLIENT OS/ARCH", bc.OS+"/"+bc.Arch, cc.OS+"/"+cc.Arch)
	diff("CLIENT GO VERSION", bc.Go, cc.Go)
	diff("TARGET", metaString(base.Meta["target"]), metaString(cand.Meta["target"]))
	diff("MODEL", firstNonEmpty(metaString(base.Meta["model"]), base.Model), firstNonEmpty(metaString(cand.Meta["model"]), cand.Model))
	if !sameJSON(base.Meta["engine"], cand.Meta["engine"]) {
		w = append(w, "DIFFERENT ENGINE: the embedded engine's configuration (GPU, model, speed, knobs, …) differs: "+
			jsonDiff(base.Meta["engine"], cand.Meta["engine"]))
	}
	diff("SUITE", base.SuiteName(), cand.SuiteName())
	return w
}

func orUnknown(s string) string {
	if s == "" || s == " ×0" {
		return "(unknown)"
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func metaString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

func decodeAny(raw json.RawMessage) any {
	var v any
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &v)
	}
	return v
}

func sameJSON(a, b json.RawMessage) bool {
	return reflect.DeepEqual(decodeAny(a), decodeAny(b))
}

// jsonDiff names the top-level (and one nested level of) fields that
// differ between two JSON objects.
func jsonDiff(a, b json.RawMessage) string {
	am, aok := decodeAny(a).(map[string]any)
	bm, bok := decodeAny(b).(map[string]any)
	if !aok || !bok {
		return fmt.Sprintf("baseline %s, new %s", orUnknown(string(a)), orUnknown(string(b)))
	}
	var out []string
	var walk func(prefix string, x, y map[string]any)
	walk = func(prefix string, x, y map[string]any) {
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		for k := range keys {
			if reflect.DeepEqual(x[k], y[k]) {
				continue
			}
			xm, xok := x[k].(map[string]any)
			ym, yok := y[k].(map[string]any)
			if xok && yok && prefix == "" {
				walk(k+".", xm, ym)
				continue
			}
			out = append(out, fmt.Sprintf("%s%s %v → %v", prefix, k, x[k], y[k]))
		}
	}
	walk("", am, bm)
	sort.Strings(out)
	if len(out) > 6 {
		out = append(out[:6], "…")
	}
	return fmt.Sprint(out)
}
