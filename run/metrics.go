package run

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/servermetrics"
)

// MetricsConfig configures NewMetricsHook.
type MetricsConfig struct {
	BaseURL string // the target's root; /metrics is scraped from it
	// APIKey is removed from everything written to the scrape log. It is
	// sent to /metrics only when SendKey is set (HYPOBENCH_METRICS_AUTH):
	// a metrics endpoint is often served without auth, by a different
	// process than the API, and need not see the key.
	APIKey   string
	SendKey  bool
	Dir      string        // the run directory
	Interval time.Duration // between tick scrapes; 0 means 1 s
	// Settle is waited before each end scrape, because servers (vLLM among
	// them) update their counters just after the last response is sent.
	Settle  time.Duration
	Notices io.Writer // one notice when the target has no /metrics
}

// MetricsHook is NewMetricsHook without sending the key: it scrapes the
// target's /metrics into dir/server-metrics.jsonl at the start and end of
// every phase and every interval in between, and removes apiKey from what
// it writes.
func MetricsHook(baseURL, apiKey, dir string, interval, settle time.Duration, notices io.Writer) Hook {
	return NewMetricsHook(MetricsConfig{BaseURL: baseURL, APIKey: apiKey, Dir: dir, Interval: interval, Settle: settle, Notices: notices})
}

// NewMetricsHook scrapes the target's /metrics into
// dir/server-metrics.jsonl: at the start and end of every phase and every
// interval in between. A target without /metrics gets one notice and the
// run carries on. A failed write of the log is returned by the hook (the
// runner lists the file in config.json's write_errors).
func NewMetricsHook(mc MetricsConfig) Hook {
	var (
		mu sync.Mutex
		s  *servermetrics.Scraper
	)
	baseURL, dir, interval, settle, notices := mc.BaseURL, mc.Dir, mc.Interval, mc.Settle, mc.Notices
	sent := ""
	if mc.SendKey {
		sent = mc.APIKey
	}
	return func(ctx context.Context, p record.Phase, edge string) error {
		mu.Lock()
		defer mu.Unlock()
		switch edge {
		case "run-start":
			var err error
			s, err = servermetrics.Start(context.WithoutCancel(ctx), servermetrics.Config{
				Target:   servermetrics.Target{URL: baseURL + "/metrics", APIKey: sent},
				Dir:      dir,
				Interval: interval,
				Notices:  notices,
				Secret:   mc.APIKey,
			})
			if err != nil {
				return fmt.Errorf("starting the /metrics scraper: %w", err)
			}
		case "start", "end":
			if s == nil {
				return nil
			}
			e := servermetrics.EdgeStart
			if edge == "end" {
				e = servermetrics.EdgeEnd
				time.Sleep(settle)
			}
			return s.Mark(context.WithoutCancel(ctx), p.Index, e)
		case "run-end":
			if s == nil {
				return nil
			}
			err := s.Stop()
			s = nil
			return err
		}
		return nil
	}
}

// ServerSummary reads a run directory's scrape log and summarises it per
// phase, joined with the client's records. It returns nil when the run has
// no scrape log.
func ServerSummary(dir string) ([]servermetrics.PhaseSummary, error) {
	scrapes, _, err := servermetrics.ReadFile(filepath.Join(dir, record.ServerMetricsFile))
	if err != nil {
		return nil, err
	}
	phases, _, err := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	if err != nil {
		return nil, err
	}
	recs, _, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil {
		return nil, err
	}
	return servermetrics.Summarize(scrapes, phases, recs), nil
}
