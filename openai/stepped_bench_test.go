package openai_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/openai/openaitest"
)

// stampServerEnv, when set, turns the test binary into the stamping server
// of BenchmarkStepped (see TestMain): it prints its URL and serves until its
// standard input closes.
const stampServerEnv = "HYPOBENCH_STAMP_SERVER"

// Stepped benchmark shape, as issue 17 describes the side-by-side
// measurement: 50 events 20 ms apart per stream, all streams in step.
const (
	steppedEvents = 50
	steppedGap    = 20 * time.Millisecond
)

func TestMain(m *testing.M) {
	if os.Getenv(stampServerEnv) != "" {
		srv := openaitest.NewServer(openaitest.Config{TTFT: steppedGap, TokenDelay: steppedGap, Stamp: true, NoLog: true})
		fmt.Println(srv.URL)
		io.Copy(io.Discard, os.Stdin)
		srv.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startStampServer runs the stamping server in a child process (this test
// binary again), so that the benchmark's process CPU time is the client's
// alone.
func startStampServer(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), stampServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("stamping server did not start: %v", err)
	}
	return strings.TrimSpace(line)
}

// processCPU returns this process's user and system CPU time.
func processCPU() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// readSyscalls returns this process's count of read system calls so far
// (/proc/self/io "syscr"; read, readv, pread…), or -1 where unavailable.
func readSyscalls() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscr: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// BenchmarkStepped measures the client's cost per streamed event against a
// stamping server in another process: every stream receives 50 events 20 ms
// apart, all streams started together so their events arrive in step (the
// worst case for the client: every stream wakes at once). One op is one
// round of `streams` concurrent requests, after a warm-up round that opens
// the connections. It reports
//
//   - cpu-µs/event: this process's user+system CPU time over the measured
//     rounds (getrusage), divided by the SSE events received (the server's
//     CPU is in the child process and not counted);
//   - reads/event: read system calls per event (/proc/self/io; Linux
//     only), each wake-up costing one read that returns data and usually
//     one more that finds the socket empty before the goroutine parks;
//   - p50-µs, p99-µs: send→read, the client's arrival of each content event
//     (the instant the read that delivered it returned, which is the
//     arrival the client records) minus the server's "hb_sent_ns" stamp
//     taken just before the write; nearest-rank quantiles. The event is
//     parsed on the same goroutine right after the read, within the
//     per-event CPU above.
//
// sys-µs/event is the kernel's share of cpu-µs/event: reading the socket,
// and on loopback also the TCP work the reads trigger for the server.
//
// Run it on an otherwise idle machine, and state the load average:
//
//	go test ./openai -run '^$' -bench Stepped -benchtime 5x
func BenchmarkStepped(b *testing.B) {
	for _, streams := range []int{128, 1024} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			url := startStampServer(b)
			c, err := openai.New(openai.Config{BaseURL: url, MaxConns: streams})
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseIdleConnections()
			var (
				mu     sync.Mutex
				lags   []time.Duration
				events int
				failed int
			)
			round := func(tokens int, measure bool) {
				start := make(chan struct{})
				var wg sync.WaitGroup
				for range streams {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						res := c.Do(context.Background(), openai.Request{Prompt: "stepped", MaxTokens: tokens})
						if !measure {
							return
						}
						mu.Lock()
						defer mu.Unlock()
						if !res.OK() || len(res.SentNs) != tokens {
							failed++
							return
						}
						events += len(res.Events)
						for k, ns := range res.SentNs {
							lags = append(lags, time.Duration(res.T0.Add(res.Content[k]).UnixNano()-ns))
						}
					}()
				}
				close(start)
				wg.Wait()
			}
			round(1, false) // open the connections
			runtime.GC()
			lags = make([]time.Duration, 0, b.N*streams*steppedEvents)
			b.ResetTimer()
			usr0, sys0 := processCPU()
			reads0 := readSyscalls()
			for range b.N {
				round(steppedEvents, true)
			}
			usr, sys := processCPU()
			usr, sys = usr-usr0, sys-sys0
			reads := readSyscalls() - reads0
			b.StopTimer()
			if failed > 0 {
				b.Errorf("%d requests failed", failed)
			}
			if len(lags) == 0 || events == 0 {
				return
			}
			slices.Sort(lags)
			q := func(p float64) float64 {
				i := int(p*float64(len(lags))+0.5) - 1
				return float64(lags[max(0, min(i, len(lags)-1))]) / 1e3
			}
			b.ReportMetric(float64(usr+sys)/1e3/float64(events), "cpu-µs/event")
			b.ReportMetric(float64(sys)/1e3/float64(events), "sys-µs/event")
			if reads0 >= 0 {
				b.ReportMetric(float64(reads)/float64(events), "reads/event")
			}
			b.ReportMetric(q(0.50), "p50-µs")
			b.ReportMetric(q(0.99), "p99-µs")
		})
	}
}
