package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// TestNewDirConfined: a suite named to climb out of the reports root
// (issue 20, item 1) gets no directory anywhere.
func TestNewDirConfined(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "a", "b", "reports")
	for _, name := range []string{"../../../../elsewhere/ESCAPED", "../x", "a/b", "/abs"} {
		dir, _, err := NewDir(root, name)
		if err == nil {
			t.Errorf("NewDir(%q) = %s, want an error", name, dir)
		}
	}
	var found []string
	filepath.Walk(base, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(p, "ESCAPED") || strings.Contains(p, "-x-") {
			found = append(found, p)
		}
		return nil
	})
	if len(found) > 0 {
		t.Errorf("directories created: %v", found)
	}
}

// TestMarkLatestKeepsRegularFile: a regular file at OUT/latest is the
// user's, never deleted (item 6).
func TestMarkLatestKeepsRegularFile(t *testing.T) {
	root := t.TempDir()
	latest := filepath.Join(root, record.LatestLink)
	os.WriteFile(latest, []byte("my notes\n"), 0o644)
	if err := MarkLatest(root, "20260101T000000Z-tiny-abcdef"); err == nil {
		t.Error("MarkLatest replaced a regular file without an error")
	}
	if b, err := os.ReadFile(latest); err != nil || string(b) != "my notes\n" {
		t.Errorf("OUT/latest is now %q, %v", b, err)
	}
	// A symlink is moved as before.
	os.Remove(latest)
	for _, id := range []string{"20260101T000000Z-a-000001", "20260101T000001Z-a-000002"} {
		if err := MarkLatest(root, id); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.Readlink(latest); got != id {
			t.Errorf("latest -> %q, want %q", got, id)
		}
	}
}

// TestEmbeddedInterruptGetsGrace: interrupting a run against the embedded
// engine leaves the engine up for the grace period, so in-flight streams
// finish; none is recorded as a server fault (item 4).
func TestEmbeddedInterruptGetsGrace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tgt, err := OpenTarget(ctx, Env{Speed: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	s := &workload.Suite{Name: "grace", BaseText: "hi ", Endpoint: "completions", IgnoreEOS: true,
		Profiles:    []workload.Profile{{Name: "short_long", PromptRep: 4, MaxTokens: 120}},
		Concurrency: []int{4}, Requests: 40, Order: workload.Ordered, Seed: 1}
	var cancelAt atomic.Int64
	hook := func(_ context.Context, p record.Phase, edge string) error {
		if edge == "start" {
			time.AfterFunc(300*time.Millisecond, func() { cancelAt.Store(time.Now().UnixNano()); cancel() })
		}
		return nil
	}
	dir := filepath.Join(t.TempDir(), "run")
	res, err := Execute(ctx, Config{Client: tgt.Client, Model: tgt.Model, Suite: s, Dir: dir, Grace: 60 * time.Second, Hooks: []Hook{hook}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Fatal("the run was not interrupted: the test proves nothing")
	}
	recs, _, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	late := 0
	for _, r := range recs {
		if !r.OK() {
			t.Errorf("%s: %s %s; want every in-flight request to finish within the grace", r.ID, r.ErrorClass, r.Error)
		}
		if r.EndUnixNs > cancelAt.Load() {
			late++ // in flight at the interrupt, finished within the grace
		}
	}
	if late == 0 {
		t.Errorf("no request was in flight at the interrupt (%d records)", len(recs))
	}
}

// TestEmbeddedAbortIsCanceled: a second interrupt (Config.Abort) cuts the
// grace short; the streams cut are canceled, client-side, never no_done.
func TestEmbeddedAbortIsCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tgt, err := OpenTarget(ctx, Env{Speed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	s := &workload.Suite{Name: "abort", BaseText: "hi ", Endpoint: "completions", IgnoreEOS: true,
		Profiles:    []workload.Profile{{Name: "short_long", PromptRep: 4, MaxTokens: 2000}},
		Concurrency: []int{2}, Requests: 2, Order: workload.Ordered, Seed: 1}
	abort := make(chan struct{})
	hook := func(_ context.Context, p record.Phase, edge string) error {
		if edge == "start" {
			time.AfterFunc(300*time.Millisecond, cancel)
			time.AfterFunc(600*time.Millisecond, func() { close(abort) })
		}
		return nil
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := Execute(ctx, Config{Client: tgt.Client, Model: tgt.Model, Suite: s, Dir: dir, Grace: time.Hour, Abort: abort, Hooks: []Hook{hook}}); err != nil {
		t.Fatal(err)
	}
	recs, _, _ := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	for _, r := range recs {
		if r.ErrorClass != record.ClassCanceled {
			t.Errorf("%s: class %q (%s), want canceled", r.ID, r.ErrorClass, r.Error)
		}
	}
}

// TestProgressShowsStalled: a stream that stops sending shows on the
// progress line as stalled (item 9), also when the output is not a
// terminal.
func TestProgressShowsStalled(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TokenDelay: time.Millisecond, StallFor: 2 * time.Second, NoLog: true,
		Faults: []openaitest.FaultRule{{Fault: openaitest.Stall, Every: 1}}})
	defer srv.Close()
	s := smallSuite()
	s.Warmup, s.Concurrency, s.Requests, s.MinPerWorker, s.Profiles = 0, []int{1}, 1, 0, s.Profiles[1:]
	var prog testutil.SyncBuffer
	_, err := Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: s,
		Dir: filepath.Join(t.TempDir(), "run"), Progress: &prog, StallAfter: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(prog.String(), "1 stalled >200ms") {
		t.Errorf("progress output does not show the stalled request:\n%s", prog.String())
	}
}

// metricsEcho serves /metrics with a label that echoes the request's
// Authorization header, upper-cased, and records what it was sent.
func metricsEcho(t *testing.T, key string) (*httptest.Server, *[]string) {
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auths = append(auths, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{auth=%q,model_name=\"m\"} 0\n", strings.ToUpper("bearer "+key))
	}))
	t.Cleanup(srv.Close)
	return srv, &auths
}

// TestMetricsKeyNotSentAndRedacted: the scraper does not send the API key
// to /metrics unless asked, and a key the server echoes into a label,
// in any case, is not written (item 9).
func TestMetricsKeyNotSentAndRedacted(t *testing.T) {
	const key = "sk-hypobench-canary-77aa"
	metrics, auths := metricsEcho(t, key)
	api := openaitest.NewServer(openaitest.Config{TokenDelay: time.Millisecond, NoLog: true})
	defer api.Close()
	dir := filepath.Join(t.TempDir(), "run")
	var notices bytes.Buffer
	_, err := Execute(context.Background(), Config{Client: client(t, api.URL), Model: "m", Suite: smallSuite(), Dir: dir,
		Hooks: []Hook{MetricsHook(metrics.URL, key, dir, 20*time.Millisecond, 0, &notices)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(*auths) == 0 {
		t.Fatal("no scrape reached the metrics server: the test proves nothing")
	}
	for _, a := range *auths {
		if a != "" {
			t.Errorf("the scraper sent Authorization %q to /metrics without being asked", a)
			break
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, record.ServerMetricsFile))
	if !bytes.Contains(b, []byte("num_requests_running")) {
		t.Fatalf("no sample written:\n%s", b)
	}
	if bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(key))) {
		t.Errorf("%s holds the key (case-insensitively)", record.ServerMetricsFile)
	}
}

// TestMetricsWriteErrorMarksRun: a scrape log that cannot be written (a
// full disk: /dev/full) is reported and marks the run in config.json; no
// temporary file is left behind (item 9).
func TestMetricsWriteErrorMarksRun(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	metrics, _ := metricsEcho(t, "k")
	api := openaitest.NewServer(openaitest.Config{TokenDelay: time.Millisecond, NoLog: true})
	defer api.Close()
	dir := filepath.Join(t.TempDir(), "run")
	os.MkdirAll(dir, 0o755)
	if err := os.Symlink("/dev/full", filepath.Join(dir, record.ServerMetricsFile)); err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), Config{Client: client(t, api.URL), Model: "m", Suite: smallSuite(), Dir: dir,
		Hooks: []Hook{MetricsHook(metrics.URL, "", dir, 20*time.Millisecond, 0, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) == 0 {
		t.Error("no warning for the failed writes")
	}
	raw, _ := os.ReadFile(filepath.Join(dir, record.ConfigFile))
	var rc map[string]any
	if err := json.Unmarshal(raw, &rc); err != nil {
		t.Fatal(err)
	}
	if we, _ := rc["write_errors"].([]any); len(we) != 1 || we[0] != record.ServerMetricsFile {
		t.Errorf("config.json write_errors = %v, want [%s]\n%s", rc["write_errors"], record.ServerMetricsFile, raw)
	}
	if rc["status"] != string(record.StatusComplete) {
		t.Errorf("status %v", rc["status"])
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// TestClientLimitMarksRun runs a phase in a child process whose descriptor
// limit is lowered once the run's files are open: the refused dials are
// records of class client_limit, not server faults, and config.json marks
// the run client-limited with the reason (item 3).
func TestClientLimitMarksRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs RLIMIT_NOFILE and /proc/self/fd")
	}
	if dir := os.Getenv("HYPOBENCH_TEST_EMFILE_DIR"); dir != "" {
		emfileChild(t, dir)
		return
	}
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], "-test.run=^TestClientLimitMarksRun$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HYPOBENCH_TEST_EMFILE_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	recs, _, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	classes := map[record.ErrorClass]int{}
	for _, r := range recs {
		classes[r.ErrorClass]++
	}
	if classes[record.ClassClientLimit] == 0 || classes[record.ClassConnect] > 0 {
		t.Errorf("classes %v: want client_limit records and no connect ones\n%s", classes, out)
	}
	rc, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	rs := rc.ClientLimited()
	if !slices.ContainsFunc(rs, func(r record.ClientReason) bool {
		return r.Code == record.ReasonFD && strings.Contains(r.Detail, "file descriptors")
	}) {
		t.Errorf("config.json client_check reasons %+v, want an %q one about file descriptors", rs, record.ReasonFD)
	}
}

func emfileChild(t *testing.T, dir string) {
	srv := openaitest.NewServer(openaitest.Config{TokenDelay: time.Millisecond, NoLog: true})
	defer srv.Close()
	c, err := openai.New(openai.Config{BaseURL: srv.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var saved syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &saved)
	hook := func(_ context.Context, p record.Phase, edge string) error {
		switch edge {
		case "run-start":
			ents, _ := os.ReadDir("/proc/self/fd")
			low := saved
			low.Cur = uint64(len(ents))
			return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low)
		case "run-end":
			return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &saved)
		}
		return nil
	}
	s := smallSuite()
	s.Warmup, s.Concurrency, s.Requests, s.MinPerWorker, s.Profiles = 0, []int{8}, 16, 0, s.Profiles[:1]
	if _, err := Execute(context.Background(), Config{Client: c, Model: "m", Suite: s, Dir: dir, Hooks: []Hook{hook}}); err != nil {
		t.Fatal(err)
	}
}

// TestCheckFDs: a concurrency that cannot fit is refused with a message
// saying what to change; one that fits is not.
func TestCheckFDs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("limits are checked on Linux only")
	}
	c, err := CheckFDs(1<<28, true)
	if err == nil || !strings.Contains(err.Error(), "ulimit -n") || !strings.Contains(err.Error(), "two per stream") {
		t.Errorf("CheckFDs(2^28, embedded) = %+v, %v; want a refusal naming ulimit", c, err)
	}
	if c, err := CheckFDs(4, false); err != nil || !c.Known || c.Need != 4+FDSlack {
		t.Errorf("CheckFDs(4) = %+v, %v", c, err)
	}
}

// TestPlannedStreamsOpenLoop: an uncapped open-loop phase is planned as
// the most requests its schedule makes due within min(AssumedLatency,
// timeout); a capped one as its cap; a closed loop as its top concurrency.
// A plan that does not fit is refused saying it is an estimate and naming
// max_concurrency.
func TestPlannedStreamsOpenLoop(t *testing.T) {
	open := func(rate float64, n, cap int) *workload.Suite {
		s, err := workload.LoadSuite("tiny")
		if err != nil {
			t.Fatal(err)
		}
		s.Concurrency = nil
		s.Profiles = s.Profiles[:1]
		s.Rate, s.Arrival, s.Requests, s.MaxConcurrency = rate, workload.Arrival("constant"), n, cap
		return s
	}
	cases := []struct {
		name      string
		s         *workload.Suite
		timeout   time.Duration
		want      int
		estimated bool
	}{
		{"uncapped, 100 s at 10 req/s: 60 s in flight", open(10, 1000, 0), 0, 600, true},
		{"uncapped, timeout 5 s bounds the window", open(10, 1000, 0), 5 * time.Second, 50, true},
		{"uncapped, a phase shorter than the window", open(10, 100, 0), 0, 100, true},
		{"capped", open(10, 1000, 8), 0, 8, false},
	}
	for _, tc := range cases {
		n, est, err := PlannedStreams(tc.s, tc.timeout)
		if err != nil || n != tc.want || est != tc.estimated {
			t.Errorf("%s: %d streams (estimated %v, %v), want %d (%v)", tc.name, n, est, err, tc.want, tc.estimated)
		}
	}
	closed, _ := workload.LoadSuite("tiny")
	closed.Concurrency = []int{1, 16, 4}
	if n, est, err := PlannedStreams(closed, 0); n != 16 || est || err != nil {
		t.Errorf("closed loop: %d (estimated %v, %v), want 16", n, est, err)
	}
	if runtime.GOOS != "linux" {
		return
	}
	// 100,000 req/s for a minute: far more than any descriptor limit.
	_, err := CheckSuiteFDs(open(1e5, 6_000_000, 0), 0, true)
	if err == nil || !errors.Is(err, ErrTooFewFDs) || !strings.Contains(err.Error(), "max_concurrency") || !strings.Contains(err.Error(), "assumed") {
		t.Errorf("an uncapped open loop beyond the limit: %v", err)
	}
	if _, err := CheckSuiteFDs(open(1e5, 6_000_000, 16), 0, true); err != nil {
		t.Errorf("the same, capped at 16: %v", err)
	}
}

// TestFinalConfigUnwritable: when the final config.json cannot be written
// atomically (a full disk refuses the temporary file) the run rewrites it
// in place and its status is recorded; when that fails too Execute returns
// ErrStatusNotRecorded, saying the file may still say running and where
// the records are, instead of ending quietly with status running. Not
// parallel: it replaces the package's write functions.
func TestFinalConfigUnwritable(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TTFT: time.Millisecond, TokenDelay: time.Millisecond})
	defer srv.Close()
	full := errors.New("no space left on device")
	defer func(w func(string, []byte) error, o func(string, []byte) error) { writeAtomic, overwriteFile = w, o }(writeAtomic, overwriteFile)
	run := func(t *testing.T) (string, error) {
		dir := filepath.Join(t.TempDir(), "run")
		writes := 0
		writeAtomic = func(path string, b []byte) error {
			if writes++; writes > 1 { // the initial config.json is written; the final one is not
				return full
			}
			return record.WriteFileAtomic(path, b)
		}
		_, err := Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: smallSuite(), Dir: dir, Seed: 1})
		return dir, err
	}
	t.Run("in place", func(t *testing.T) {
		overwriteFile = overwrite
		dir, err := run(t)
		if err != nil {
			t.Fatalf("the in-place rewrite should record the status: %v", err)
		}
		rc, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
		if err != nil || rc.Status != record.StatusComplete || rc.Records == 0 {
			t.Fatalf("config after the in-place rewrite: %+v, %v", rc, err)
		}
	})
	t.Run("neither", func(t *testing.T) {
		overwriteFile = func(string, []byte) error { return full }
		dir, err := run(t)
		if !errors.Is(err, ErrStatusNotRecorded) || !strings.Contains(err.Error(), "running") || !strings.Contains(err.Error(), record.RequestsFile) {
			t.Fatalf("Execute = %v, want ErrStatusNotRecorded naming the stale status and the records", err)
		}
		if st, _ := ReadStatus(dir); st != record.StatusRunning {
			t.Errorf("status %q; the test expects the stale one left behind", st)
		}
	})
}
