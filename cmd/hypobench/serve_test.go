package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
)

func TestServeRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte(`{"hidden_size": 896, "num_hidden_layers": 24, "intermediate_size": 4864, "vocab_size": 1, "torch_dtype": "float16"}`), 0o644)
	tests := []struct {
		name     string
		args     []string
		contains string
	}{
		{"unknown gpu", []string{"--engine", "tpu:qwen2.5-7b"}, "tpu"},
		{"model config missing a field", []string{"--model-config", cfg}, "num_attention_heads"},
		{"missing gpu file", []string{"--gpu", filepath.Join(dir, "nope.json")}, "nope.json"},
		{"bad flag", []string{"--speedy"}, "speedy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...), &out, &errb)
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != 2 {
				t.Fatalf("err = %v, want exit code 2", err)
			}
			if !strings.Contains(ee.Msg+errb.String(), tc.contains) {
				t.Errorf("message %q (stderr %q) does not name %q", ee.Msg, errb.String(), tc.contains)
			}
		})
	}
}

// TestServeAnswers starts the server, asks it for its models and stops it
// by cancelling the context, as SIGINT would.
func TestServeAnswers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out testutil.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--engine", "h100-sxm:qwen2.5-0.5b", "--speed", "100"}, &out, &out)
	}()
	re := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+)/v1`)
	deadline := time.Now().Add(30 * time.Second) // a hang guard, not a speed check
	var base string
	for base == "" {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("serve printed no address: %q", out.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	resp, err := http.Get(base + "/v1/models")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/v1/models: %v %v", resp, err)
	}
	resp.Body.Close()
	if !strings.Contains(out.String(), "qwen2.5-0.5b on h100-sxm") {
		t.Errorf("banner %q", out.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v after cancel", err)
	}
}
