package merge

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/servermetrics"
)

// copyServerMetrics writes to out the server-metrics.jsonl of the
// lowest-index shard that has one, each scrape's time put on the
// coordinator's clock. Every shard scrapes the same target's /metrics, so
// one shard's log describes the server for the whole run; merging several
// would count the server's counters several times. It returns the shard
// index used, or −1 when no shard has the file, and the number of lines
// skipped as undecodable.
func copyServerMetrics(shards []*shard, out string) (from, bad int, err error) {
	for _, s := range shards {
		path := filepath.Join(s.dir, record.ServerMetricsFile)
		lines, skipped, err := record.ReadFile[servermetrics.ScrapeLine](path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return -1, 0, err
		}
		w, err := record.OpenAppend(filepath.Join(out, record.ServerMetricsFile))
		if err != nil {
			return -1, 0, err
		}
		for i := range lines {
			lines[i].UnixNs = s.clock.correct(lines[i].UnixNs)
			if err := w.Write(&lines[i]); err != nil {
				w.Close()
				return -1, 0, err
			}
		}
		return s.index, len(skipped), w.Close()
	}
	return -1, 0, nil
}
