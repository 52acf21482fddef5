package merge

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/record"
)

// BenchmarkMerge merges 4 shards of HYPOBENCH_MERGE_RECORDS records in all
// (default 100,000; each with 63 ITL gaps, as a 64-token request has) and
// reports records merged per second and the heap in use after the merge
// (the merge streams records; what it keeps per record is one TTFT).
//
//	HYPOBENCH_MERGE_RECORDS=1000000 go test ./merge -run '^$' -bench Merge -benchtime 1x
func BenchmarkMerge(b *testing.B) {
	total := 100_000
	if v := os.Getenv("HYPOBENCH_MERGE_RECORDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 {
			b.Fatalf("HYPOBENCH_MERGE_RECORDS=%q", v)
		}
		total = n
	}
	root := b.TempDir()
	const shards = 4
	base := time.Now().UnixNano()
	var dirs []string
	for i := range shards {
		dir := filepath.Join(root, fmt.Sprint(i))
		recs := fakerun.Records(uint64(i), total/shards, 1, 0.2, fakerun.Group{Profile: "short_long", Concurrency: 8})
		for j := range recs {
			recs[j].Phase = 0
			recs[j].StartUnixNs = base + int64(j)*int64(time.Millisecond)
			recs[j].EndUnixNs = recs[j].StartUnixNs + int64(recs[j].Total*1e9)
			recs[j].ITL = make([]float64, 63)
			for k := range recs[j].ITL {
				recs[j].ITL[k] = *recs[j].TPOT
			}
		}
		fakerun.WriteRun(b, dir, recs, "")
		fakerun.WriteJSONL(b, filepath.Join(dir, record.PhasesFile), []record.Phase{{Index: 0, Suite: "s", Profile: "short_long",
			Concurrency: 8, Requests: len(recs), StartUnixNs: base, EndUnixNs: recs[len(recs)-1].EndUnixNs, Status: record.StatusComplete}})
		cfg := &record.RunConfig{RunID: fmt.Sprint(i), Status: record.StatusComplete, Suite: json.RawMessage(`{"name":"s"}`),
			Shard: &record.Shard{Index: i, Count: shards, Clock: []record.ClockEstimate{{AtUnixNs: base, OffsetNs: int64(i) * 1000, DelayNs: 100_000, Samples: 8}}}}
		if err := record.WriteConfig(dir, cfg); err != nil {
			b.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	b.ResetTimer()
	var heap uint64
	for i := 0; b.Loop(); i++ {
		res, err := Merge(context.Background(), dirs, Options{Out: filepath.Join(root, fmt.Sprintf("out-%d", i))})
		if err != nil {
			b.Fatal(err)
		}
		if res.Records != total/shards*shards {
			b.Fatalf("merged %d records", res.Records)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = max(heap, ms.HeapInuse)
	}
	b.ReportMetric(float64(total/shards*shards)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
}
