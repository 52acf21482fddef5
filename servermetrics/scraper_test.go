package servermetrics

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
)

// TestScraperTokenDeltas drives a target whose /metrics changes between
// the phase edges and checks that the summary's prompt and generation deltas
// equal the client's usage sums for each phase, and differ when they should.
func TestScraperTokenDeltas(t *testing.T) {
	fake := newFakeVLLM("tiny")
	var auth []string
	var authMu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authMu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		authMu.Unlock()
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		io.WriteString(w, fake.render())
	}))
	defer srv.Close()

	dir := t.TempDir()
	var notices testutil.SyncBuffer
	ctx := context.Background()
	s, err := Start(ctx, Config{
		Target:   Target{URL: srv.URL + "/metrics", APIKey: "sk-secret-123", Client: srv.Client()},
		Dir:      dir,
		Interval: -1, // edges only, so the line count is exact
		Notices:  &notices,
	})
	if err != nil {
		t.Fatal(err)
	}
	fake.request(999, 99, 0.1, 0.1, 0.1) // warm-up before any phase

	type req struct{ prompt, output int }
	work := [][]req{
		{{120, 16}, {80, 16}, {200, 32}},
		{{1000, 4}, {1500, 4}},
	}
	var phases []record.Phase
	var recs []record.Record
	for i, reqs := range work {
		if err := s.Mark(ctx, i, EdgeStart); err != nil {
			t.Fatal(err)
		}
		p := record.Phase{Index: i, Profile: "p", Concurrency: 1, Requests: len(reqs), StartUnixNs: time.Now().UnixNano()}
		for _, r := range reqs {
			recs = append(recs, record.Record{Phase: i, Model: "tiny", StartUnixNs: time.Now().UnixNano(),
				TTFT: record.F(0.25), PromptTokens: record.I(r.prompt), OutputTokens: record.I(r.output)})
			fake.request(r.prompt, r.output, 0.05, 0.1, 0.4)
		}
		p.EndUnixNs = time.Now().UnixNano()
		phases = append(phases, p)
		if err := s.Mark(ctx, i, EdgeEnd); err != nil {
			t.Fatal(err)
		}
		fake.request(7, 7, 0.1, 0.1, 0.1) // between phases: in no delta
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Mark(ctx, 9, EdgeStart); err != nil {
		t.Errorf("Mark after Stop: %v", err)
	}

	lines, bad, err := ReadFile(filepath.Join(dir, record.ServerMetricsFile))
	if err != nil || len(bad) != 0 {
		t.Fatalf("reading log: %v %v", err, bad)
	}
	if len(lines) != 4 {
		t.Fatalf("log has %d lines, want 4 (two edges per phase)", len(lines))
	}
	for i, l := range lines {
		if !l.OK() || len(l.Samples) == 0 || l.Phase != i/2 {
			t.Errorf("line %d: phase %d edge %s error %q, %d samples", i, l.Phase, l.Edge, l.Error, len(l.Samples))
		}
	}
	sums := Summarize(lines, phases, recs)
	for i, sum := range sums {
		wantPrompt, wantGen := 0, 0
		for _, r := range work[i] {
			wantPrompt += r.prompt
			wantGen += r.output
		}
		near(t, "prompt Δ", sum.PromptTokens, float64(wantPrompt))
		near(t, "generation Δ", sum.GenerationTokens, float64(wantGen))
		near(t, "prompt diff", sum.PromptTokensDiff, 0)
		near(t, "generation diff", sum.GenerationTokenDiff, 0)
		if sum.TTFT == nil || sum.TTFT.Count != float64(len(work[i])) {
			t.Errorf("phase %d: server TTFT %+v, want %d observations", i, sum.TTFT, len(work[i]))
		}
	}
	if notices.String() != "" {
		t.Errorf("notices from a healthy target: %q", notices.String())
	}
	authMu.Lock()
	defer authMu.Unlock()
	for _, a := range auth {
		if a != "Bearer sk-secret-123" {
			t.Errorf("Authorization = %q, want the bearer key", a)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, record.ServerMetricsFile))
	if bytes.Contains(raw, []byte("sk-secret")) {
		t.Error("the API key leaked into the log")
	}
}

// TestScraperNoMetrics runs phases against targets without a usable
// /metrics: each completes with exactly one notice and no error.
func TestScraperNoMetrics(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/models", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"data":[]}`) })
	mux.HandleFunc("/html/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!DOCTYPE html><html><body>Welcome</body></html>")
	})
	mux.HandleFunc("/deny/metrics", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// A port with nothing listening: take one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String() + "/metrics"
	l.Close()

	tests := []struct {
		name      string
		url       string
		kind      error
		wantLines int // permanent failures stop the scraper after one line
		wantText  string
	}{
		{"404", srv.URL + "/metrics", ErrNoEndpoint, 1, "HTTP 404"},
		{"html page", srv.URL + "/html/metrics", ErrNotExposition, 1, "text/html"},
		{"401", srv.URL + "/deny/metrics", ErrUnreachable, 6, "HTTP 401"},
		{"connection refused", refused, ErrUnreachable, 6, "unreachable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var notices testutil.SyncBuffer
			ctx := context.Background()
			s, err := Start(ctx, Config{
				Target:   Target{URL: tc.url, APIKey: "sk-secret-123"},
				Dir:      dir,
				Interval: -1,
				Timeout:  time.Minute,
				Notices:  &notices,
			})
			if err != nil {
				t.Fatal(err)
			}
			var phases []record.Phase
			for i := range 3 {
				if err := s.Mark(ctx, i, EdgeStart); err != nil {
					t.Fatalf("Mark start: %v", err)
				}
				if err := s.Mark(ctx, i, EdgeEnd); err != nil {
					t.Fatalf("Mark end: %v", err)
				}
				phases = append(phases, record.Phase{Index: i})
			}
			if err := s.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			got := notices.String()
			if strings.Count(got, "\n") != 1 || !strings.Contains(got, tc.wantText) {
				t.Errorf("notices = %q, want exactly one line mentioning %q", got, tc.wantText)
			}
			if strings.Contains(got, "sk-secret") {
				t.Error("the API key leaked into a notice")
			}
			if s.Available() {
				t.Error("Available() after only failures")
			}
			lines, _, err := ReadFile(filepath.Join(dir, record.ServerMetricsFile))
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != tc.wantLines {
				t.Errorf("log has %d lines, want %d", len(lines), tc.wantLines)
			}
			for _, l := range lines {
				if l.OK() || len(l.Samples) != 0 {
					t.Errorf("failed scrape logged as %+v", l)
				}
			}
			var buf bytes.Buffer
			if err := FormatMarkdown(&buf, Summarize(lines, phases, nil)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), "not available") {
				t.Errorf("report does not say metrics are not available:\n%s", buf.String())
			}
		})
	}
	t.Run("kinds", func(t *testing.T) {
		for _, tc := range tests {
			_, err := Scrape(context.Background(), nil, tc.url)
			if !errors.Is(err, tc.kind) {
				t.Errorf("%s: Scrape error %v, want kind %v", tc.name, err, tc.kind)
			}
		}
	})
}

// TestScraperTicks checks that ticks run between edges and carry the phase
// index. It waits on the target's request count, not on the clock.
func TestScraperTicks(t *testing.T) {
	fake := newFakeVLLM("m")
	hits := make(chan struct{}, 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, fake.render())
		select {
		case hits <- struct{}{}:
		default:
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Start(ctx, Config{Target: Target{URL: srv.URL}, Dir: dir, Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Mark(ctx, 5, EdgeStart); err != nil {
		t.Fatal(err)
	}
	for range 4 { // the start scrape plus at least three ticks
		select {
		case <-hits:
		case <-time.After(time.Minute):
			t.Fatal("ticks did not arrive")
		}
	}
	if err := s.Mark(ctx, 5, EdgeEnd); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	lines, _, err := ReadFile(filepath.Join(dir, record.ServerMetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	ticks := 0
	var last int64
	endSeen := false
	for _, l := range lines {
		if l.UnixNs < last {
			t.Errorf("lines out of time order")
		}
		last = l.UnixNs
		switch l.Edge {
		case EdgeTick:
			if !endSeen {
				ticks++
				if l.Phase != 5 {
					t.Errorf("tick inside phase 5 has phase %d", l.Phase)
				}
			}
		case EdgeEnd:
			endSeen = true
		}
	}
	if ticks < 3 {
		t.Errorf("%d ticks inside the phase, want ≥ 3", ticks)
	}
	if ok, failed := s.Counts(); ok != len(lines) || failed != 0 {
		t.Errorf("Counts = %d, %d; log has %d lines", ok, failed, len(lines))
	}
}

// TestScraperStopsWithContext checks the tick goroutine ends when the run's
// context is cancelled, before Stop.
func TestScraperStopsWithContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "x 1\n")
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{Target: Target{URL: srv.URL}, Dir: t.TempDir(), Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		t.Fatal("tick goroutine still running after cancel")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}
