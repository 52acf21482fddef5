package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
)

// oneRequestSuite writes a suite of one short request named name.
func oneRequestSuite(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.json")
	os.WriteFile(p, []byte(`{"name":`+quote(name)+`,"base_text":"hi ","profiles":[{"name":"short_short","prompt_rep":2,"max_tokens":2}],
"concurrency":[1],"requests":1,"warmup":0,"order":"ordered","seed":1}`), 0o644)
	return p
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestRunConfinesSuiteName: a suite whose name climbs out of --out gets no
// directory outside it (issue 20, item 1).
func TestRunConfinesSuiteName(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{NoLog: true})
	defer srv.Close()
	base := t.TempDir()
	out := filepath.Join(base, "a", "b", "c", "d", "reports")
	suite := oneRequestSuite(t, "../../../../elsewhere/ESCAPED")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "--target", srv.URL, "--model", "m", "--suite", suite, "--out", out, "--no-report"}, &stdout, &stderr)
	if exitOf(err) != 2 {
		t.Errorf("exit %d (%v), want 2", exitOf(err), err)
	}
	filepath.Walk(base, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(p, "ESCAPED") {
			t.Errorf("created %s", p)
		}
		return nil
	})
	if srv.Requests() != 0 {
		t.Errorf("%d requests sent before the suite was refused", srv.Requests())
	}
}

// TestTargetCredentialsRefused: a target URL with user:password@ is refused
// before any request, and the password is printed nowhere (item 2).
func TestTargetCredentialsRefused(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	withCreds := strings.Replace(srv.URL, "http://", "http://hbuser:s3cret-pw-91@", 1)
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"flag", []string{"--target", withCreds}, ""},
		{"env", nil, withCreds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HYPOBENCH_TARGET", tc.env)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"run", "--suite", oneRequestSuite(t, "creds"), "--out", t.TempDir(), "--no-report"}, tc.args...), &stdout, &stderr)
			msg := stdout.String() + stderr.String()
			if err != nil {
				msg += err.Error()
			}
			if exitOf(err) != 2 {
				t.Errorf("exit %d, want 2: %s", exitOf(err), msg)
			}
			if strings.Contains(msg, "s3cret-pw-91") {
				t.Errorf("the password was printed: %s", msg)
			}
			if strings.Contains(msg, "Config.") {
				t.Errorf("the message names a Go field: %s", msg)
			}
			if !strings.Contains(msg, "credentials") {
				t.Errorf("the message does not say what is wrong: %s", msg)
			}
			if hits.Load() != 0 {
				t.Errorf("%d requests reached the server", hits.Load())
			}
		})
	}
}

// TestBadValuesRefusedAlike: flags and variables go through one validation
// path; NaN, Inf, zero and negative values are refused before any engine
// starts or directory is made (item 7).
func TestBadValuesRefusedAlike(t *testing.T) {
	suite := oneRequestSuite(t, "vals")
	for _, tc := range []struct {
		name string
		args []string
		env  [2]string
	}{
		{"--speed -1", []string{"--speed", "-1"}, [2]string{}},
		{"--speed NaN", []string{"--speed", "NaN"}, [2]string{}},
		{"--speed +Inf", []string{"--speed", "+Inf"}, [2]string{}},
		{"--requests -1", []string{"--requests", "-1"}, [2]string{}},
		{"--requests 0", []string{"--requests", "0"}, [2]string{}},
		{"--timeout -1s", []string{"--timeout", "-1s"}, [2]string{}},
		{"--concurrency 0", []string{"--concurrency", "0"}, [2]string{}},
		{"HYPOBENCH_SPEED=NaN", nil, [2]string{"HYPOBENCH_SPEED", "NaN"}},
		{"HYPOBENCH_SPEED=Inf", nil, [2]string{"HYPOBENCH_SPEED", "Inf"}},
		{"HYPOBENCH_TIMEOUT=-1s", nil, [2]string{"HYPOBENCH_TIMEOUT", "-1s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env[0] != "" {
				t.Setenv(tc.env[0], tc.env[1])
			}
			out := filepath.Join(t.TempDir(), "reports")
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"run", "--suite", suite, "--out", out, "--no-report"}, tc.args...), &stdout, &stderr)
			if exitOf(err) != 2 {
				t.Errorf("exit %d (%v), want 2", exitOf(err), err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was created", out)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--speed", "NaN"}, &stdout, &stderr); exitOf(err) != 2 {
		t.Errorf("serve --speed NaN: exit %d (%v), want 2", exitOf(err), err)
	}
}

// TestBaseURLWithV1: a base URL ending in /v1 works without --model: the
// model probe asks /v1/models, not /v1/v1/models (item 8).
func TestBaseURLWithV1(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{NoLog: true})
	defer srv.Close()
	for _, target := range []string{srv.URL + "/v1", srv.URL + "/v1/"} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"run", "--target", target, "--suite", oneRequestSuite(t, "v1"), "--out", t.TempDir(), "--no-report"}, &stdout, &stderr)
		if err != nil {
			t.Errorf("--target %s: %v\n%s", target, err, stderr.String())
		}
	}
}

// TestLatestFileKept: a regular file at OUT/latest survives a run; the run
// says it did not move it (item 6).
func TestLatestFileKept(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{NoLog: true})
	defer srv.Close()
	out := t.TempDir()
	latest := filepath.Join(out, record.LatestLink)
	os.WriteFile(latest, []byte("keep me\n"), 0o644)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "--target", srv.URL, "--model", "m", "--suite", oneRequestSuite(t, "latest"), "--out", out, "--no-report"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if b, err := os.ReadFile(latest); err != nil || string(b) != "keep me\n" {
		t.Errorf("OUT/latest is now %q (%v)", b, err)
	}
	if !strings.Contains(stderr.String(), "not a symlink") {
		t.Errorf("stderr does not say latest was left alone:\n%s", stderr.String())
	}
}

// TestRefusesWhatDescriptorsCannotHold: with `ulimit -n 256`, 500
// concurrent streams are refused up front with a message naming the limit,
// against the embedded engine (where it used to hang on accept errors) and
// against an external target (where it used to record connect errors and
// exit 0) (item 3).
func TestRefusesWhatDescriptorsCannotHold(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash for ulimit")
	}
	bin := buildCLI(t)
	srv := openaitest.NewServer(openaitest.Config{NoLog: true})
	defer srv.Close()
	suite := filepath.Join(t.TempDir(), "wide.json")
	os.WriteFile(suite, []byte(`{"name":"wide","base_text":"hi ","profiles":[{"name":"short_short","prompt_rep":2,"max_tokens":2}],
"concurrency":[500],"requests":500,"warmup":0,"order":"ordered","seed":1}`), 0o644)
	for _, target := range []string{"", srv.URL} {
		args := "run --suite " + suite + " --out " + t.TempDir() + " --no-report --model m --timeout 5s"
		if target != "" {
			args += " --target " + target
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second) // a hang guard
		cmd := exec.CommandContext(ctx, "bash", "-c", "ulimit -n 256 && exec "+bin+" "+args)
		out, err := cmd.CombinedOutput()
		hung := ctx.Err() != nil
		cancel()
		if hung {
			t.Fatalf("target %q: still running after 90 s (hung):\n%s", target, tail(out))
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !bytes.Contains(out, []byte("ulimit -n")) {
			t.Errorf("target %q: %v, want exit 2 naming the limit:\n%s", target, err, tail(out))
		}
	}
}

func tail(b []byte) string {
	if len(b) > 1500 {
		return "…" + string(b[len(b)-1500:])
	}
	return string(b)
}

// TestServeDrainsOnInterrupt: `hypobench serve` interrupted while a stream
// is in flight lets it finish with [DONE] within --drain (item 4).
func TestServeDrainsOnInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testutil.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--engine", "h100-sxm:qwen2.5-0.5b", "--speed", "1", "--drain", "2m"}, &out, &out)
	}()
	base := serveURL(t, &out)
	body := `{"model":"Qwen/Qwen2.5-0.5B-Instruct","prompt":"hello","max_tokens":150,"ignore_eos":true,"stream":true}`
	resp, err := http.Post(base+"/v1/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 64)
	if _, err := resp.Body.Read(first); err != nil { // the stream is in flight
		t.Fatal(err)
	}
	cancel()
	var rest bytes.Buffer
	rest.ReadFrom(resp.Body)
	if !strings.Contains(rest.String(), "data: [DONE]") {
		t.Errorf("the stream was cut by the interrupt; it ended %q", tailS(rest.String()))
	}
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if !strings.Contains(out.String(), "drain") {
		t.Errorf("serve did not say it drained:\n%s", out.String())
	}
}

func tailS(s string) string { return tail([]byte(s)) }

// serveURL waits for serve's banner and returns its base URL.
func serveURL(t *testing.T, out *testutil.SyncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a hang guard
	for time.Now().Before(deadline) {
		s := out.String()
		if i := strings.Index(s, " at http://"); i >= 0 {
			u := s[i+4:]
			if j := strings.Index(u, "/v1"); j >= 0 {
				return u[:j]
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no banner: %s", out.String())
	return ""
}

// TestSecondInterruptCutsGrace: a second SIGINT ends the grace at once and
// says so; the requests it cuts are canceled records (item 4).
func TestSecondInterruptCutsGrace(t *testing.T) {
	bin := buildCLI(t)
	srv := openaitest.NewServer(openaitest.Config{NoLog: true, TokenDelay: time.Millisecond, StallFor: 10 * time.Minute,
		Faults: []openaitest.FaultRule{{Fault: openaitest.Stall, Every: 1}}})
	defer srv.Close()
	out := t.TempDir()
	suite := filepath.Join(t.TempDir(), "stall.json")
	os.WriteFile(suite, []byte(`{"name":"stall","base_text":"hi ","profiles":[{"name":"short_long","prompt_rep":2,"max_tokens":40}],
"concurrency":[2],"requests":2,"warmup":0,"order":"ordered","seed":1}`), 0o644)
	var stderr testutil.SyncBuffer
	cmd := exec.Command(bin, "run", "--target", srv.URL, "--model", "m", "--suite", suite, "--out", out, "--no-report")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second) // a hang guard
	for srv.Requests() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	for !strings.Contains(stderr.String(), "interrupt") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("exit %v, want 130:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "cutting the grace period short") {
		t.Errorf("the second interrupt was not acknowledged:\n%s", stderr.String())
	}
	recs, _, _ := record.ReadRecords(filepath.Join(out, record.LatestLink, record.RequestsFile))
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	for _, r := range recs {
		if r.ErrorClass != record.ClassCanceled {
			t.Errorf("%s: %q, want canceled", r.ID, r.ErrorClass)
		}
	}
}
