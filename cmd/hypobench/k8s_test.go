package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hypobench/hypobench/workload"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestK8sCommand prints the manifests for the built-in tiny suite: the
// ConfigMap's suite.json must load back into the same suite, and nothing
// printed may hold the API key that sits in the environment.
func TestK8sCommand(t *testing.T) {
	const key = "sk-hypobench-canary-k8s-0a1b2c"
	t.Setenv("HYPOBENCH_API_KEY", key)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"k8s", "--image", "hypobench:dev", "--target", "http://vllm:8000",
		"--shards", "3", "--suite", "tiny", "--api-key-secret", "vllm-key"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("hypobench k8s: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	if strings.Contains(out+stderr.String(), key) {
		t.Fatal("the API key from the environment was printed")
	}
	docs := strings.Split(out, "\n---\n")
	if len(docs) != 6 {
		t.Fatalf("%d documents, want 6", len(docs))
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &cm); err != nil {
		t.Fatal(err)
	}
	got, err := workload.ParseSuite("configmap suite.json", []byte(cm.Data["suite.json"]))
	if err != nil {
		t.Fatalf("the ConfigMap's suite does not load: %v", err)
	}
	want, err := workload.LoadSuite("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(workload.Suite{})); d != "" {
		t.Errorf("suite through the ConfigMap differs (-want +got):\n%s", d)
	}
	if !strings.Contains(out, "name: vllm-key") || !strings.Contains(out, "$(JOB_COMPLETION_INDEX)/3") {
		t.Errorf("manifests lack the secret reference or the shard index:\n%s", out)
	}

	for name, args := range map[string][]string{
		"no image":    {"k8s", "--target", "http://vllm:8000", "--shards", "2"},
		"no shards":   {"k8s", "--image", "i", "--target", "http://vllm:8000"},
		"bad target":  {"k8s", "--image", "i", "--target", "vllm", "--shards", "2"},
		"bad suite":   {"k8s", "--image", "i", "--target", "http://vllm:8000", "--shards", "2", "--suite", "nosuch"},
		"extra arg":   {"k8s", "--image", "i", "--target", "http://vllm:8000", "--shards", "2", "x"},
		"bad cpu":     {"k8s", "--image", "i", "--target", "http://vllm:8000", "--shards", "2", "--cpu", "lots"},
		"bad secret":  {"k8s", "--image", "i", "--target", "http://vllm:8000", "--shards", "2", "--api-key-secret", "A B"},
		"bad startat": {"k8s", "--image", "i", "--target", "http://vllm:8000", "--shards", "2", "--start-at", "noon"},
	} {
		var so, se bytes.Buffer
		err := run(context.Background(), args, &so, &se)
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != 2 || so.Len() > 0 {
			t.Errorf("%s: hypobench %v = %v with %d bytes printed, want exit status 2 and nothing printed", name, args, err, so.Len())
		}
	}

	// An open-loop suite of several phases needs slots; the shards would
	// refuse it, so the manifests are refused now.
	open := filepath.Join(t.TempDir(), "open.json")
	os.WriteFile(open, []byte(`{"name":"open","base_text":"hi ","profiles":[{"name":"a","prompt_rep":4,"max_tokens":4}],"rates":[5,10],"requests":20}`), 0o644)
	args := []string{"k8s", "--image", "i", "--target", "http://vllm:8000", "--shards", "2", "--suite", open}
	var so, se bytes.Buffer
	err = run(context.Background(), args, &so, &se)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 2 || so.Len() > 0 || !strings.Contains(err.Error(), "--phase-duration") {
		t.Errorf("open loop without slots: %v with %d bytes printed, want exit status 2 naming --phase-duration", err, so.Len())
	}
	so.Reset()
	if err := run(context.Background(), append(args, "--phase-duration", "1m"), &so, &se); err != nil || !strings.Contains(so.String(), "- coordinator\n") {
		t.Errorf("open loop with slots: %v, want manifests with the start barrier", err)
	}
}
