package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfigError(t *testing.T) {
	_, err := ParseConfig("x/config.json", []byte(`{"run_id": 3}`))
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.File != "x/config.json" || ce.Offset == 0 {
		t.Fatalf("ParseConfig: %v, want a *ConfigError naming the file with an offset", err)
	}
	if c, err := ParseConfig("c.json", []byte(`{"suite": "tiny"}`)); err != nil || c.SuiteName() != "tiny" {
		t.Errorf("suite given by name: %v %v", c, err)
	}
	if c, err := ParseConfig("c.json", []byte(`{"suite": {"name": "tiny", "seed": 3}}`)); err != nil || c.SuiteName() != "tiny" {
		t.Errorf("suite given as an object: %v %v", c, err)
	}
}

// TestConfigRoundTrip writes a config.json and reads it back whole; the
// file is indented and ends in one newline.
func TestConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ended := time.Date(2026, 12, 1, 10, 0, 5, 0, time.UTC)
	want := &RunConfig{
		RunID: "r1", Status: StatusInterrupted, Started: ended.Add(-5 * time.Second), Ended: &ended,
		Model: "m", Seed: 7, Suite: json.RawMessage(`{"name":"tiny"}`),
		Client:  Identity{Hostname: "h", OS: "linux", Arch: "amd64", CPUs: 2, Go: "go1.26"},
		Records: 10, Errors: 1, Warnings: []string{"w"},
		Meta: map[string]json.RawMessage{"target": json.RawMessage(`"embedded"`)},
	}
	if err := WriteConfig(dir, want); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if b[len(b)-1] != '\n' || b[len(b)-2] == '\n' || b[1] != '\n' {
		t.Errorf("config.json is not indented JSON with one trailing newline:\n%s", b)
	}
	got, err := ReadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	compact := cmp.Transformer("compact", func(m json.RawMessage) string {
		var buf bytes.Buffer
		if err := json.Compact(&buf, m); err != nil {
			return "invalid: " + err.Error()
		}
		return buf.String()
	})
	if d := cmp.Diff(want, got, compact); d != "" {
		t.Errorf("config.json round trip (-want +got):\n%s", d)
	}
}

// TestWriteFileAtomic replaces a file and leaves no temporary file behind,
// also when the write fails.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	for _, data := range []string{"first", "second"} {
		if err := WriteFileAtomic(path, []byte(data)); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != data {
			t.Fatalf("after writing %q: %q, %v", data, b, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}
	// A directory in the way makes the rename fail.
	blocked := filepath.Join(dir, "blocked")
	if err := os.Mkdir(filepath.Join(blocked), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(blocked, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(blocked, []byte("x")); err == nil {
		t.Error("writing over a non-empty directory succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only f.json and blocked", names)
	}
}
