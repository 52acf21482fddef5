package run

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

func smallSuite() *workload.Suite {
	return &workload.Suite{
		Name: "small", BaseText: "hi ", Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles: []workload.Profile{
			{Name: "short_short", PromptRep: 4, MaxTokens: 2},
			{Name: "short_long", PromptRep: 4, MaxTokens: 6},
		},
		Concurrency: []int{1, 4}, Requests: 4, MinPerWorker: 2, Warmup: 1, Order: workload.Ordered, Seed: 7,
	}
}

func client(t *testing.T, url string) *openai.Client {
	t.Helper()
	c, err := openai.New(openai.Config{BaseURL: url, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExecuteWritesRunDirectory(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TTFT: 2 * time.Millisecond, TokenDelay: time.Millisecond})
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "run")
	s := smallSuite()
	res, err := Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: s, Dir: dir, Seed: s.Seed})
	if err != nil {
		t.Fatal(err)
	}
	// Plan: 2 profiles × (c=1: 4 requests, c=4: max(4, 2×4) = 8).
	if want := 2*4 + 2*8; res.Records != want || res.Errors != 0 {
		t.Fatalf("records %d errors %d, want %d and 0", res.Records, res.Errors, want)
	}
	recs, bad, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	ids := map[string]bool{}
	for _, r := range recs {
		ids[r.ID] = true
		if r.TTFT == nil || *r.TTFT < 0.002 || r.Total < *r.TTFT {
			t.Errorf("%s: ttft %v total %v", r.ID, r.TTFT, r.Total)
		}
		if r.N() != r.MaxTokens || (r.MaxTokens >= 2) != (r.TPOT != nil) {
			t.Errorf("%s: N %d max_tokens %d tpot %v", r.ID, r.N(), r.MaxTokens, r.TPOT)
		}
		if r.RunID != "run" || r.Suite != "small" || r.Endpoint != "completions" {
			t.Errorf("%s: run id %q suite %q endpoint %q", r.ID, r.RunID, r.Suite, r.Endpoint)
		}
	}
	if len(ids) != len(recs) || !ids["req_000001"] {
		t.Errorf("ids not unique or not numbered from req_000001: %d unique of %d", len(ids), len(recs))
	}
	phases, _, err := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	if err != nil || len(phases) != 4 {
		t.Fatalf("phases %v, err %v", phases, err)
	}
	for i, p := range phases {
		if p.Index != i || p.Status != record.StatusComplete || p.EndUnixNs <= p.StartUnixNs {
			t.Errorf("phase %+v", p)
		}
		for _, r := range recs {
			if r.Phase == i && (r.StartUnixNs < p.StartUnixNs || r.EndUnixNs > p.EndUnixNs || r.Profile != p.Profile || r.Concurrency != p.Concurrency) {
				t.Errorf("record %s outside its phase %d", r.ID, i)
			}
		}
	}
	if st, err := ReadStatus(dir); err != nil || st != record.StatusComplete {
		t.Errorf("status %q, %v", st, err)
	}
	// Warm-up requests reach the server but are not recorded.
	if got := srv.Requests(); got != int64(len(recs)+s.Warmup) {
		t.Errorf("server saw %d requests, want %d recorded + %d warm-up", got, len(recs), s.Warmup)
	}
}

// TestCancelKeepsFinishedRecords cancels a run mid-phase: no new request
// starts, in-flight ones end as records (finished, or canceled after the
// grace period), every request the server completed is on disk, and the run
// directory says interrupted.
func TestCancelKeepsFinishedRecords(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TTFT: 5 * time.Millisecond, TokenDelay: 20 * time.Millisecond})
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "run")
	s := smallSuite()
	s.Warmup = 0
	s.Profiles[1].MaxTokens = 50 // 1 s per request: cancellation lands mid-phase
	ctx, cancel := context.WithCancel(context.Background())
	hook := func(_ context.Context, p record.Phase, edge string) error {
		if edge == "start" && p.Index == 1 {
			time.AfterFunc(300*time.Millisecond, cancel)
		}
		return nil
	}
	res, err := Execute(ctx, Config{Client: client(t, srv.URL), Model: "m", Suite: s, Dir: dir, Seed: 1, Grace: 50 * time.Millisecond, Hooks: []Hook{hook}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Error("result not marked interrupted")
	}
	if st, _ := ReadStatus(dir); st != record.StatusInterrupted {
		t.Errorf("status %q, want interrupted", st)
	}
	recs, bad, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	if len(recs) != int(srv.Requests()) {
		t.Errorf("%d records for %d requests the server received", len(recs), srv.Requests())
	}
	canceled := 0
	for _, r := range recs {
		if r.ErrorClass == record.ClassCanceled {
			canceled++
			if r.Phase != 1 {
				t.Errorf("canceled record in phase %d", r.Phase)
			}
		}
	}
	if canceled != 1 {
		t.Errorf("%d canceled records, want the 1 in flight at c=1", canceled)
	}
	phases, _, _ := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	if len(phases) != 2 || phases[1].Status != record.StatusInterrupted {
		t.Errorf("phases %+v: want phase 0 complete and phase 1 interrupted", phases)
	}
}

// TestFaultsBecomeRecords runs a phase where every third request meets a
// fault: the run completes, faulty requests are records with their error
// class, and the healthy ones around them are complete.
func TestFaultsBecomeRecords(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TokenDelay: time.Millisecond, Faults: []openaitest.FaultRule{{Fault: openaitest.HTTP503, Every: 3}}})
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "run")
	s := smallSuite()
	s.Warmup = 0
	res, err := Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: s, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	recs, _, _ := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	bad := 0
	for _, r := range recs {
		switch r.ErrorClass {
		case record.ClassHTTPStatus:
			bad++
			if r.HTTPStatus != 503 || r.TTFT != nil {
				t.Errorf("%s: status %d ttft %v", r.ID, r.HTTPStatus, r.TTFT)
			}
		case "":
			if r.N() != r.MaxTokens {
				t.Errorf("healthy %s: %d tokens, want %d", r.ID, r.N(), r.MaxTokens)
			}
		default:
			t.Errorf("%s: unexpected class %q", r.ID, r.ErrorClass)
		}
	}
	if bad != res.Errors || bad != len(recs)/3 {
		t.Errorf("%d faulty records, result says %d, want %d", bad, res.Errors, len(recs)/3)
	}
}

func TestNoTarget(t *testing.T) {
	url, err := openaitest.RefusedURL()
	if err != nil {
		t.Fatal(err)
	}
	s := smallSuite()
	_, err = Execute(context.Background(), Config{Client: client(t, url), Model: "m", Suite: s, Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), ErrNoTarget.Error()) {
		t.Fatalf("err = %v, want %v", err, ErrNoTarget)
	}
}

// TestConfigHasNoSecret opens a key-guarded target through the
// environment: OpenTarget's client must present the key (the server answers
// 401 otherwise), and no file of the run may contain it.
func TestConfigHasNoSecret(t *testing.T) {
	const key = "sk-hypobench-canary-0123456789"
	srv := openaitest.NewServer(openaitest.Config{APIKey: key})
	defer srv.Close()
	t.Setenv("HYPOBENCH_API_KEY", key)
	t.Setenv("HYPOBENCH_TARGET", srv.URL)
	t.Setenv("HYPOBENCH_MODEL", "m")
	env, err := LoadEnv()
	if err != nil || env.APIKey != key {
		t.Fatalf("env %+v err %v", env, err)
	}
	b, _ := json.Marshal(env)
	if strings.Contains(string(b), key) {
		t.Fatal("the API key is serialised with the environment")
	}
	tgt, err := OpenTarget(context.Background(), env, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	dir := t.TempDir()
	s := smallSuite()
	res, err := Execute(context.Background(), Config{Client: tgt.Client, Model: tgt.Model, Suite: s, Dir: dir, Meta: map[string]any{"env": env}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records == 0 || res.Errors != 0 {
		t.Errorf("%d records, %d errors: the target's client did not present the API key", res.Records, res.Errors)
	}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), key) {
				t.Errorf("%s contains the API key", p)
			}
		}
		return nil
	})
}

func TestOpenTargetAppliesEngineSpec(t *testing.T) {
	tgt, err := OpenTarget(context.Background(), Env{Engine: "h100-sxm:llama-3.1-8b", Speed: 50}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	b, _ := json.Marshal(tgt.Meta["engine"])
	if !strings.Contains(string(b), "h100") || !strings.Contains(strings.ToLower(tgt.Model), "llama") {
		t.Errorf("HYPOBENCH_ENGINE not applied: model %q, engine %s", tgt.Model, b)
	}
}
