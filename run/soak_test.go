package run

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/workload"
)

// TestSoak sends HYPOBENCH_SOAK requests (10000 when set to 1) at
// concurrency 256 to the embedded engine in this process and reports the
// goroutine count and RSS before and after; both must come back to the
// baseline (goroutines exactly, after idle connections close; RSS within
// 64 MiB). A measurement command, not part of make test:
//
//	HYPOBENCH_SOAK=1 go test ./run/ -run TestSoak -v -timeout 30m
func TestSoak(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HYPOBENCH_SOAK"))
	if n <= 0 {
		t.Skip("set HYPOBENCH_SOAK=1 (10k requests) or =N to run the soak measurement")
	}
	if n == 1 {
		n = 10000
	}
	settle := func() (int, int64) {
		runtime.GC()
		debug.FreeOSMemory()
		time.Sleep(200 * time.Millisecond)
		return runtime.NumGoroutine(), rssKiB()
	}
	g0, r0 := settle()
	cfg := engine.DefaultConfig
	cfg.Speed = 50
	srv, err := engine.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, srv.URL())
	s := &workload.Suite{Name: "soak", BaseText: "hi ", Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles: []workload.Profile{{Name: "short_short", PromptRep: 40, MaxTokens: 8}}, Concurrency: []int{256}, Requests: n, Order: workload.Ordered}
	start := time.Now()
	res, err := Execute(context.Background(), Config{Client: c, Model: srv.ModelName(), Suite: s, Dir: filepath.Join(t.TempDir(), "run")})
	if err != nil {
		t.Fatal(err)
	}
	gPeak, rPeak := runtime.NumGoroutine(), rssKiB()
	c.CloseIdleConnections()
	srv.Close()
	g1, r1 := settle()
	t.Logf("%d requests at c=256 in %v (%d errors): goroutines %d before, %d at the end of the run, %d after; RSS %d MiB before, %d MiB at the end, %d MiB after",
		res.Records, time.Since(start).Round(time.Millisecond), res.Errors, g0, gPeak, g1, r0>>10, rPeak>>10, r1>>10)
	if res.Records != n || res.Errors != 0 {
		t.Errorf("%d records, %d errors", res.Records, res.Errors)
	}
	if g1 > g0 {
		t.Errorf("goroutines did not return to baseline: %d → %d", g0, g1)
	}
	if r1-r0 > 64<<10 {
		t.Errorf("RSS grew by %d MiB", (r1-r0)>>10)
	}
}

// rssKiB reads this process's resident set size from /proc.
func rssKiB() int64 { return testutil.ProcStatusKiB("VmRSS") }
