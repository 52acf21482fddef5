package hypotheses

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

const h4Design = "the seed's four profiles in order SS → SL → LS → LL (prompt 40 / 1000 repetitions, output 8 / 64 tokens) at concurrency 2, 6 requests each, traced by the server's profiler"

// TestH4 checks H4, "the kernel timeline follows the workload".
//
// Design: H4Design, traced by the target's profiler (HYPOBENCH_TRACE=profile,
// the default on the embedded engine: POST /start_profile before the run,
// /stop_profile after), or a trace captured outside (HYPOBENCH_TRACE=FILE,
// with the run's phases in HYPOBENCH_TRACE_PHASES or NVTX ranges named after
// the profiles). The trace is cut into the phases; long kernels are split
// from short ones adaptively (Otsu on log10 durations; the threshold is in
// the verdict). Long blocks (GEMM, attention) and short fragments
// (element-wise, norms, copies, sampling) are told apart by kernel name,
// by duration when names do not classify (the verdict says which).
// Statistic: circular block bootstrap over 20 time windows per phase
// (blocks of 3, B = 2000, α = 0.05): the ratio of the mean long-block
// duration in long_short over short_long must be above H4MinBlockRatio
// (1.5), and the ratio of short fragments per ms of kernel time in
// short_long over long_short above H4MinDensityRatio (1.5). On the
// embedded engine the verdict is labelled a pipeline check. With no trace
// source H4 is reported as not run (inconclusive) and the test is
// skipped, never passed.
func TestH4(t *testing.T) {
	src := sess.env.Trace
	if src == "" && sess.env.Target == "" {
		src = "profile"
	}
	if src == "" {
		v := H4Unavailable("no kernel trace: HYPOBENCH_TRACE is unset and the target is not the embedded engine (set HYPOBENCH_TRACE=profile for a vLLM started with its torch profiler, or HYPOBENCH_TRACE=FILE)", opts().Seed)
		if err := verdict.Append(sessionDir(t), v); err != nil {
			t.Error(err)
		}
		t.Skip("H4 could not run: HYPOBENCH_TRACE is unset and the target has no known profiler; verdict recorded as inconclusive")
	}
	v := traceH4(t, "H4", src, nil)
	verdicttest.Report(t, sessionDir(t), v)
}

// TestH4NegativeControl runs H4 on the embedded engine with UniformKernels,
// where every kernel lasts the same whatever the step: long and short
// kernels cannot follow the workload, and H4 must fail.
func TestH4NegativeControl(t *testing.T) {
	v := traceH4(t, "H4-control-uniform-kernels", "profile", control(engine.Knobs{UniformKernels: true}, 1, 0))
	v.ID, v.Claim = "H4 control", "negative control (UniformKernels engine): "+v.Claim
	assertFails(t, v)
}

// traceH4 runs H4's design with the trace source src ("profile" or a file)
// and analyses the trace.
func traceH4(t *testing.T, name, src string, ec *engine.Config) verdict.Verdict {
	t.Helper()
	var tracePath string
	var hooks []func(*run.Target) run.Hook
	if src == "profile" {
		if ec == nil && sess.env.Target == "" {
			c := engine.DefaultConfig
			c.Speed = 0
			ec = &c
		}
		if ec != nil {
			pd, err := os.MkdirTemp(sessionDir(t), name+"-traces-")
			if err != nil {
				t.Fatal(err)
			}
			ec.ProfileDir = pd
		}
		hooks = append(hooks, func(tgt *run.Target) run.Hook {
			return func(ctx context.Context, p record.Phase, edge string) error {
				switch edge {
				case "run-start":
					return profiler(ctx, tgt.URL, "/start_profile", nil)
				case "run-end":
					return profiler(ctx, tgt.URL, "/stop_profile", &tracePath)
				}
				return nil
			}
		})
	} else {
		tracePath = src
	}
	r := runDesign(t, name, H4Design(sess.size), ec, hooks...)
	if tracePath == "" {
		t.Fatalf("the target's /stop_profile named no trace file; set HYPOBENCH_TRACE to the file the server wrote")
	}
	tr, err := kerneltrace.Load(context.Background(), tracePath, kerneltrace.FormatAuto)
	if err != nil {
		t.Fatalf("loading the kernel trace: %v", err)
	}
	phases, bad, err := record.ReadPhases(filepath.Join(r.dir, record.PhasesFile))
	if p := os.Getenv("HYPOBENCH_TRACE_PHASES"); p != "" && src != "profile" {
		phases, bad, err = record.ReadPhases(p)
	}
	if err != nil || len(bad) > 0 {
		t.Fatalf("reading phases: %v %v", err, bad)
	}
	a, err := kerneltrace.Analyze(tr, phases, kerneltrace.DefaultOptions)
	if err != nil {
		t.Fatalf("analysing the trace: %v", err)
	}
	o := opts()
	res := H4Trace(rand.New(rand.NewPCG(o.Seed, 4)), a, H4DefaultPrefill, H4DefaultDecode, 0, o.B, o.Alpha)
	// The embedded engine's kernels follow the workload by construction:
	// on it H4 checks the trace pipeline, and says so.
	res.Pipeline = ec != nil
	v := finish(t, H4(res, o.Seed), h4Design, r)
	v.Info = append(v.Info, fmt.Sprintf("trace %s: %d kernels, %d outside every phase", tracePath, a.Kernels, a.Outside))
	return v
}

// profiler POSTs to the target's profiler endpoint path; for /stop_profile
// it reads the trace file name the embedded engine returns (vLLM returns
// an empty body: then HYPOBENCH_TRACE must name the file).
func profiler(ctx context.Context, base, path string, trace *string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: HTTP %d: %s", path, resp.StatusCode, buf.String())
	}
	if trace != nil {
		var body struct {
			Trace string `json:"trace"`
		}
		if json.Unmarshal(buf.Bytes(), &body) == nil {
			*trace = body.Trace
		}
	}
	return nil
}
