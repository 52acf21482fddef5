package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
)

// TestAPIKeyNeverWritten runs a suite with a recognisable API key against a
// server that demands it and, on some requests, echoes the Authorization
// header back in an error body; then rebuilds the reports. No file the run
// wrote and nothing printed contains the key.
func TestAPIKeyNeverWritten(t *testing.T) {
	const key = "sk-hypobench-canary-5f1e2d3c4b5a"
	t.Setenv("HYPOBENCH_API_KEY", key)
	srv := openaitest.NewServer(openaitest.Config{APIKey: key, TokenDelay: time.Millisecond, NoLog: true,
		Faults: []openaitest.FaultRule{{Fault: openaitest.EchoAuth, Every: 5}, {Fault: openaitest.HTTP500, Every: 7}}})
	defer srv.Close()
	dir := t.TempDir()
	suite := filepath.Join(dir, "s.json")
	os.WriteFile(suite, []byte(`{"name":"s","base_text":"hi ","profiles":[{"name":"short_long","prompt_rep":4,"max_tokens":4}],
"concurrency":[1,2],"requests":10,"warmup":1,"order":"ordered","seed":1}`), 0o644)
	var stdout, stderr bytes.Buffer
	out := filepath.Join(dir, "reports")
	err := run(context.Background(), []string{"run", "--target", srv.URL, "--model", "m", "--suite", suite, "--out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if err := run(context.Background(), []string{"report", filepath.Join(out, record.LatestLink)}, &stdout, &stderr); err != nil {
		t.Fatalf("report: %v\n%s", err, stderr.String())
	}
	files := 0
	filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		files++
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(key)) {
			t.Errorf("%s contains the API key", p)
		}
		return nil
	})
	if files < 5 {
		t.Errorf("only %d files written", files)
	}
	if strings.Contains(stdout.String()+stderr.String(), key) {
		t.Error("the API key was printed")
	}
	b, _ := os.ReadFile(filepath.Join(out, record.LatestLink, record.RequestsFile))
	if !bytes.Contains(b, []byte(`"error_class":"http_status"`)) {
		t.Error("no failed request recorded: the echo fault did not fire, so the test proves nothing")
	}
}
