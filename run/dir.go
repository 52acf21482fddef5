package run

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// NewDir creates root/<run-id>/. The run id is the UTC start time plus
// the name (a suite, "hypotheses", "abab") and a random suffix, so ids sort
// by time and never collide. It does not move root/latest: MarkLatest does,
// for directories that hold a run's requests.jsonl.
func NewDir(root, name string) (dir, id string, err error) {
	var b [3]byte
	_, _ = rand.Read(b[:])
	id = fmt.Sprintf("%s-%s-%s", time.Now().UTC().Format("20060102T150405Z"), name, hex.EncodeToString(b[:]))
	dir = filepath.Join(root, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("creating run directory: %w", err)
	}
	return dir, id, nil
}

// MarkLatest points root/latest at root/id, atomically (a new symlink
// renamed over the old one).
func MarkLatest(root, id string) error {
	latest := filepath.Join(root, "latest")
	tmp := latest + ".tmp-" + id
	if err := os.Symlink(id, tmp); err != nil {
		return fmt.Errorf("pointing %s at %s: %w", latest, id, err)
	}
	if err := os.Rename(tmp, latest); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pointing %s at %s: %w", latest, id, err)
	}
	return nil
}

// Identity describes the machine the client ran on; a comparison across
// different identities warns.
type Identity struct {
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model,omitempty"`
	Go       string `json:"go"`
}

// MachineIdentity reads the client machine's identity.
func MachineIdentity() Identity {
	h, _ := os.Hostname()
	return Identity{Hostname: h, OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), CPUModel: cpuModel(), Go: runtime.Version()}
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Config file written to the run directory. It is rewritten at the end of
// the run with the final status.
type fileConfig struct {
	RunID    string         `json:"run_id"`
	Status   string         `json:"status"`
	Started  time.Time      `json:"started"`
	Ended    *time.Time     `json:"ended,omitempty"`
	Model    string         `json:"model"`
	Seed     uint64         `json:"seed"`
	Suite    any            `json:"suite"`
	Client   Identity       `json:"client"`
	Records  int            `json:"records"`
	Errors   int            `json:"errors"`
	Warnings []string       `json:"warnings,omitempty"`
	Meta     map[string]any `json:"meta,omitempty"`
}

// ConfigFile is the name of the run's configuration file.
const ConfigFile = "config.json"

func writeConfig(cfg Config, status string, started, ended time.Time, res *Result) error {
	fc := fileConfig{
		RunID: cfg.RunID, Status: status, Started: started.UTC(), Model: cfg.Model, Seed: cfg.Seed,
		Suite: cfg.Suite, Client: MachineIdentity(), Records: res.Records, Errors: res.Errors, Meta: cfg.Meta,
	}
	if !ended.IsZero() {
		e := ended.UTC()
		fc.Ended = &e
	}
	for _, w := range res.Warnings {
		fc.Warnings = append(fc.Warnings, w.Error())
	}
	b, err := json.MarshalIndent(fc, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding config.json: %w", err)
	}
	path := filepath.Join(cfg.Dir, ConfigFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing config.json: %w", err)
	}
	return os.Rename(tmp, path)
}

// ReadStatus returns the status recorded in a run directory's config.json.
func ReadStatus(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return "", err
	}
	var fc struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(dir, ConfigFile), err)
	}
	return fc.Status, nil
}
