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

// MetricsHook scrapes the target's /metrics into dir/server-metrics.jsonl:
// at the start and end of every phase and every interval in between (0
// means 1 s). A target without /metrics gets one notice on notices and the
// run carries on. settle is waited before each end scrape, because servers
// (vLLM among them) update their counters just after the last response is
// sent.
func MetricsHook(baseURL, apiKey, dir string, interval, settle time.Duration, notices io.Writer) Hook {
	var (
		mu sync.Mutex
		s  *servermetrics.Scraper
	)
	return func(ctx context.Context, p record.Phase, edge string) error {
		mu.Lock()
		defer mu.Unlock()
		switch edge {
		case "run-start":
			var err error
			s, err = servermetrics.Start(context.WithoutCancel(ctx), servermetrics.Config{
				Target:   servermetrics.Target{URL: baseURL + "/metrics", APIKey: apiKey},
				Dir:      dir,
				Interval: interval,
				Notices:  notices,
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
