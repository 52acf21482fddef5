package run

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/hypobench/hypobench/record"
)

// NewDir creates root/<run-id>/. The run id is the UTC start time plus
// the name (a suite, "hypotheses", "abab") and a random suffix, so ids sort
// by time and never collide. The name must pass record.CheckName, so the
// directory is always inside root. It does not move root/latest:
// MarkLatest does, for directories that hold a run's requests.jsonl.
func NewDir(root, name string) (dir, id string, err error) {
	var b [3]byte
	_, _ = rand.Read(b[:])
	if dir, id, err = dirOf(root, name, time.Now(), b); err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("creating run directory: %w", err)
	}
	return dir, id, nil
}

// ErrLatestNotLink is returned by MarkLatest when root/latest exists and
// is not a symlink: it is the user's file, and it is left alone.
var ErrLatestNotLink = errors.New("exists and is not a symlink; not replacing it")

// dirOf resolves a run's directory under root without creating it.
func dirOf(root, name string, at time.Time, suffix [3]byte) (dir, id string, err error) {
	if err := record.CheckName("run name", name); err != nil {
		return "", "", fmt.Errorf("creating run directory: %w", err)
	}
	id = fmt.Sprintf("%s-%s-%s", at.UTC().Format("20060102T150405Z"), name, hex.EncodeToString(suffix[:]))
	if dir, err = record.Join(root, "run id", id); err != nil {
		return "", "", fmt.Errorf("creating run directory: %w", err)
	}
	return dir, id, nil
}

// MarkLatest points root/latest at root/id, atomically (a new symlink
// renamed over the old one). An existing root/latest that is not a symlink
// is never replaced (ErrLatestNotLink).
func MarkLatest(root, id string) error {
	if err := record.CheckName("run id", id); err != nil {
		return fmt.Errorf("pointing latest at %s: %w", id, err)
	}
	latest := filepath.Join(root, record.LatestLink)
	if fi, err := os.Lstat(latest); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("pointing %s at %s: %s %w", latest, id, latest, ErrLatestNotLink)
	}
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

// MachineIdentity reads the client machine's identity.
func MachineIdentity() record.Identity {
	h, _ := os.Hostname()
	return record.Identity{Hostname: h, OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), CPUModel: cpuModel(), Go: runtime.Version()}
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

// writeConfig writes the run's config.json; Execute calls it when the run
// starts and again with the final status when it ends.
func writeConfig(cfg Config, status record.Status, started, ended time.Time, res *Result) error {
	suite, err := json.Marshal(cfg.Suite)
	if err != nil {
		return fmt.Errorf("encoding the suite for %s: %w", record.ConfigFile, err)
	}
	rc := &record.RunConfig{
		RunID: cfg.RunID, Status: status, Started: started.UTC(), Model: cfg.Model, Seed: cfg.Seed,
		Suite: suite, Client: MachineIdentity(), Records: res.Records, Errors: res.Errors,
		ClientCheck: res.ClientCheck,
	}
	if !ended.IsZero() {
		e := ended.UTC()
		rc.Ended = &e
	}
	if cfg.Sharding != nil {
		sh := cfg.Sharding.Shard
		if at := cfg.Sharding.StartAt; !at.IsZero() {
			at = at.UTC()
			sh.StartAt = &at
		}
		sh.PhaseDurationNs = int64(cfg.Sharding.PhaseDuration)
		rc.Shard = &sh
	}
	for _, w := range res.Warnings {
		rc.Warnings = append(rc.Warnings, w.Error())
	}
	// Descriptor exhaustion is one more way the client limited the run:
	// a reason beside the self-check's (record.ReasonFD).
	if len(res.ClientLimited) > 0 && rc.ClientCheck == nil {
		rc.ClientCheck = &record.ClientCheck{Thresholds: "no self-check"}
	}
	for _, why := range res.ClientLimited {
		if !slices.ContainsFunc(rc.ClientCheck.Reasons, func(r record.ClientReason) bool { return r.Code == record.ReasonFD && r.Detail == why }) {
			rc.ClientCheck.Reasons = append(rc.ClientCheck.Reasons, record.ClientReason{Code: record.ReasonFD, Detail: why})
		}
	}
	rc.WriteErrors = res.WriteErrors
	for k, v := range cfg.Meta {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding meta %q for %s: %w", k, record.ConfigFile, err)
		}
		if rc.Meta == nil {
			rc.Meta = map[string]json.RawMessage{}
		}
		rc.Meta[k] = b
	}
	b, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", record.ConfigFile, err)
	}
	path := filepath.Join(cfg.Dir, record.ConfigFile)
	if err := writeAtomic(path, append(b, '\n')); err != nil {
		if status == record.StatusRunning {
			return err
		}
		// The final status. A full disk cannot take the temporary file
		// of an atomic write; the existing config.json's blocks can take
		// the compact encoding in place.
		c, _ := json.Marshal(rc)
		if ierr := overwriteFile(path, append(c, '\n')); ierr != nil {
			return fmt.Errorf("%w: %w; rewriting it in place: %w (it may still say %q or be cut short: every finished request is in %s, every phase in %s)",
				ErrStatusNotRecorded, err, ierr, record.StatusRunning, record.RequestsFile, record.PhasesFile)
		}
	}
	return nil
}

// ErrStatusNotRecorded is returned by Execute when the run ended but its
// final status could not be written to config.json (a full disk, say),
// neither atomically nor in place: the file may still say "running".
var ErrStatusNotRecorded = errors.New("the run ended but its final status could not be written to " + record.ConfigFile)

// writeAtomic writes config.json (record.WriteFileAtomic); tests replace it
// to fail as a full disk does.
var writeAtomic = record.WriteFileAtomic

// overwriteFile is overwrite, replaced by tests.
var overwriteFile = overwrite

// overwrite writes data over path's existing bytes from offset 0 and cuts
// the file to len(data), without the temporary file an atomic write needs:
// blocks the file already holds need no free space.
func overwrite(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(data, 0)
	if err == nil {
		err = f.Truncate(int64(len(data)))
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// ReadStatus returns the status recorded in a run directory's config.json.
func ReadStatus(dir string) (record.Status, error) {
	rc, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		return "", err
	}
	return rc.Status, nil
}
