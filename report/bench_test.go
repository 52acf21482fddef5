//go:build linux

package report

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
)

// BenchmarkBuild measures Build on a synthetic run of 12 groups of
// HYPOBENCH_REPORT_PER_GROUP records each (default 8,334: 100,008
// records; 16 or 256 output tokens each, so about 136 ITL gaps and 2.7 KB
// of requests.jsonl a record), written as it is generated. It reports
// CPU seconds per build and the process's peak RSS during the builds
// (VmHWM after resetting it through /proc/self/clear_refs), so the
// generator's memory does not count:
//
//	go test ./report -run '^$' -bench Build -benchtime 1x
//	HYPOBENCH_REPORT_PER_GROUP=83334 go test ./report -run '^$' -bench Build -benchtime 1x -timeout 30m   # 1,000,008 records, 2.7 GB
//
// HYPOBENCH_REPORT_DIR keeps the run in that directory (written there
// when it has no phases.jsonl, reused otherwise), for timing
// `hypobench report DIR` and `hypobench compare DIR DIR` on it; its size
// is then whatever it was written with.
func BenchmarkBuild(b *testing.B) {
	per := 8334
	if v := os.Getenv("HYPOBENCH_REPORT_PER_GROUP"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("HYPOBENCH_REPORT_PER_GROUP=%q", v)
		}
		per = n
	}
	dir := os.Getenv("HYPOBENCH_REPORT_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	if _, err := os.Stat(filepath.Join(dir, record.PhasesFile)); err != nil {
		writeBenchRun(b, dir, per)
	}
	resetPeakRSS()
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		n++
		built, err := Build(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if want := benchRecords(b, dir); built.Summary.Records != want || len(built.Skipped) > 0 {
			b.Fatalf("built %d records (%d lines skipped), want %d", built.Summary.Records, len(built.Skipped), want)
		}
	}
	// CPU seconds per build: on a shared machine wall time says more about
	// the neighbours than about Build.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(n), "cpu-s/op")
	if hwm := peakRSS(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
	}
	if fi, err := os.Stat(filepath.Join(dir, record.RequestsFile)); err == nil {
		b.ReportMetric(float64(fi.Size())/1e6, "MB-input")
	}
}

// benchRecords returns the records of the run in dir: the sum of its
// phases' requests.
func benchRecords(b *testing.B, dir string) int {
	phases, _, err := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, p := range phases {
		n += p.Requests
	}
	return n
}

// writeBenchRun writes the benchmark's synthetic run into dir (made if
// missing); phases.jsonl is written last, so its presence marks a whole run.
func writeBenchRun(b *testing.B, dir string, per int) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	_ = os.Remove(filepath.Join(dir, record.RequestsFile))
	w, err := record.OpenAppend(filepath.Join(dir, record.RequestsFile))
	if err != nil {
		b.Fatal(err)
	}
	var werr error
	phases := genRunTo(1, per, func(r *record.Record) {
		if werr == nil {
			werr = w.Write(r)
		}
	})
	if err := w.Close(); err != nil || werr != nil {
		b.Fatal(err, werr)
	}
	fakerun.WriteJSONL(b, filepath.Join(dir, record.PhasesFile), phases)
}

// cpuTime returns the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the kernel's peak RSS of this process to its
// current RSS (Linux 4.0 and later).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM of this process in bytes, or 0 when unknown.
func peakRSS() int64 { return testutil.ProcStatusKiB("VmHWM") << 10 }
