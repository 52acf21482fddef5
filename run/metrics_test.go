package run

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/openai/openaitest"
)

// TestServerTokensMatchClientUsage runs a small suite against the embedded
// engine with /metrics scraping: per phase, the server's prompt and
// generation token deltas equal the client's usage sums.
func TestServerTokensMatchClientUsage(t *testing.T) {
	cfg := engine.DefaultConfig
	cfg.Speed = 20
	srv, err := engine.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "run")
	s := smallSuite()
	var notices bytes.Buffer
	res, err := Execute(context.Background(), Config{
		Client: client(t, srv.URL()), Model: srv.ModelName(), Suite: s, Dir: dir, Seed: 3,
		Hooks: []Hook{MetricsHook(srv.URL(), "", dir, 100*time.Millisecond, 20*time.Millisecond, &notices)},
	})
	if err != nil || res.Errors > 0 {
		t.Fatalf("run: %v, %d errors", err, res.Errors)
	}
	if notices.Len() > 0 {
		t.Errorf("unexpected notices: %s", notices.String())
	}
	sums, err := ServerSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != len(res.Phases) {
		t.Fatalf("%d summaries for %d phases", len(sums), len(res.Phases))
	}
	for _, p := range sums {
		if p.PromptTokens == nil || p.GenerationTokens == nil || p.PromptTokensDiff == nil || p.GenerationTokenDiff == nil {
			t.Errorf("phase %d: server token deltas not available: %+v %v", p.Phase, p, p.Warnings)
			continue
		}
		if *p.PromptTokensDiff != 0 || *p.GenerationTokenDiff != 0 {
			t.Errorf("phase %d: server Δprompt %v Δgen %v, client %d / %d", p.Phase, *p.PromptTokens, *p.GenerationTokens, p.ClientPromptTokens, p.ClientOutputTokens)
		}
		if p.ClientOutputTokens == 0 || p.TTFT == nil {
			t.Errorf("phase %d: no client tokens or no server TTFT", p.Phase)
		}
	}
}

// TestNoMetricsEndpointOneNotice runs against a target without /metrics:
// the run completes and says so exactly once.
func TestNoMetricsEndpointOneNotice(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TokenDelay: time.Millisecond})
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "run")
	var notices bytes.Buffer
	res, err := Execute(context.Background(), Config{
		Client: client(t, srv.URL), Model: "m", Suite: smallSuite(), Dir: dir,
		Hooks: []Hook{MetricsHook(srv.URL, "", dir, 10*time.Millisecond, 0, &notices)},
	})
	if err != nil || res.Errors > 0 || res.Records == 0 {
		t.Fatalf("run: %v %+v", err, res)
	}
	lines := strings.Split(strings.TrimSpace(notices.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "/metrics") {
		t.Errorf("notices = %q, want exactly one line about /metrics", notices.String())
	}
}
