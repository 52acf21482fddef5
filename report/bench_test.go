//go:build unix

package report

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/record"
)

// BenchmarkBuild100k measures Build on a synthetic run of 100,008 records
// (12 groups of 8,334; 16 or 256 output tokens each, so about 13.6 million
// ITL gaps and a requests.jsonl of about 100 MB):
//
//	go test ./report -run '^$' -bench Build100k -benchtime 3x -benchmem
func BenchmarkBuild100k(b *testing.B) {
	dir := b.TempDir()
	recs, phases := genRun(1, 8334)
	fakerun.WriteJSONL(b, filepath.Join(dir, record.RequestsFile), recs)
	fakerun.WriteJSONL(b, filepath.Join(dir, record.PhasesFile), phases)
	recs = nil
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		n++
		built, err := Build(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if built.Summary.Records != 100008 {
			b.Fatalf("built %d records", built.Summary.Records)
		}
	}
	// CPU seconds per build: on a shared machine wall time says more about
	// the neighbours than about Build.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(n), "cpu-s/op")
	if fi, err := os.Stat(filepath.Join(dir, record.RequestsFile)); err == nil {
		b.ReportMetric(float64(fi.Size())/1e6, "MB-input")
	}
}

// cpuTime returns the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
