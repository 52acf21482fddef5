package openai

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sameFields compares two fields values, treating nil and empty slices alike.
func sameFields(a, b fields) string {
	return cmp.Diff(a, b, cmp.AllowUnexported(fields{}, timings{}), cmp.Comparer(func(x, y []byte) bool { return bytes.Equal(x, y) }))
}

// TestScanChunk checks, on the shapes servers send and on the corners of
// encoding/json's behaviour, that scanChunk either declines or agrees with
// decodeChunk, and that it accepts the common shapes (so the fast path is
// the one taken).
func TestScanChunk(t *testing.T) {
	t.Parallel()
	type testCase struct {
		name   string
		in     string
		accept bool // scanChunk takes it (false: declined, decodeChunk decides)
	}
	for _, tc := range []testCase{
		{"vllm completions", `{"id":"cmpl-1","object":"text_completion","created":1795888020,"model":"Qwen/Qwen2.5-7B-Instruct","choices":[{"index":0,"text":" word","logprobs":null,"finish_reason":null,"stop_reason":null}]}`, true},
		{"vllm last token", `{"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":".","logprobs":null,"finish_reason":"length","stop_reason":null}]}`, true},
		{"vllm usage", `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":40,"total_tokens":552,"completion_tokens":512,"prompt_tokens_details":null}}`, true},
		{"vllm chat role", `{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`, true},
		{"chat reasoning", `{"choices":[{"delta":{"reasoning_content":"hmm","content":null}}]}`, true},
		{"chat reasoning field", `{"choices":[{"delta":{"reasoning":"r"}}]}`, true},
		{"stamped", `{"choices":[{"text":"a"}],"hb_sent_ns":1795888020123456789}`, true},
		{"sim stamped", `{"choices":[{"text":"a"}],"hb_sim_ns":52000000}`, true},
		{"sim stamp zero", `{"choices":[{"text":"a"}],"hb_sim_ns":0}`, true},
		{"sim stamp float", `{"choices":[{"text":"a"}],"hb_sim_ns":5.2e7}`, false},
		{"sim stamp duplicate", `{"hb_sim_ns":1,"choices":[{"text":"a"}],"hb_sim_ns":2}`, false},
		{"sim stamp folded", `{"choices":[{"text":"a"}],"HB_SIM_NS":1}`, false},
		{"escapes counted decoded", `{"choices":[{"text":"a\nb\"\\\/\u00e9\ud83d\ude00"}]}`, true},
		{"lone surrogate", `{"choices":[{"text":"\ud800x\udc00\ud800\u0041"}]}`, true},
		{"invalid UTF-8 in text", "{\"choices\":[{\"text\":\"a\xffb\"}]}", true},
		{"null choice", `{"choices":[null,{"text":"x"}]}`, true},
		{"null everything", `{"id":null,"object":null,"message":null,"choices":null,"usage":null,"error":null,"hb_sent_ns":null,"hb_sim_ns":null}`, true},
		{"empty usage", `{"choices":[],"usage":{}}`, true},
		{"negative tokens", `{"usage":{"prompt_tokens":-3,"completion_tokens":-0}}`, true},
		{"nested unknowns", ` {"x":[1,-2.5e+3,0.1,true,false,null,{"a":[[]]},"s\u0020"],"choices":[{"logprobs":{"tokens":["a"],"top":[{"a":-0.1}]},"text":"t"}]} `, true},
		{"ollama zero usage", `{"id":"cmpl-6","object":"text_completion","created":1,"model":"m","system_fingerprint":"fp_ollama","choices":[{"text":"Hi","index":0,"finish_reason":null}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}`, true},
		{"llama.cpp timings", `{"choices":[{"delta":{"content":" w"},"finish_reason":null,"index":0}],"created":1,"id":"chatcmpl-x","model":"m","object":"chat.completion.chunk","system_fingerprint":"b1-abc","timings":{"cache_n":0,"predicted_ms":10.5,"predicted_n":3,"predicted_per_second":285.7,"predicted_per_token_ms":3.5,"prompt_ms":4.1,"prompt_n":7,"prompt_per_second":1707.3,"prompt_per_token_ms":0.58}}`, true},
		{"null timings", `{"choices":[],"timings":null}`, true},
		{"timings without predicted_n", `{"choices":[],"timings":{"prompt_n":3,"draft_n":2}}`, true},
		{"vllm continuous usage", `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" a b","logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":{"prompt_tokens":7,"total_tokens":10,"completion_tokens":3}}`, true},
		{"multiple choices", `{"choices":[{"text":"ab","finish_reason":"stop"},{"text":"c","finish_reason":null},{"text":"","finish_reason":"length"}]}`, true},

		{"error object", `{"error":{"message":"boom","type":"BadRequest"}}`, false},
		{"error string", `{"error":"boom"}`, false},
		{"object error", `{"object":"error","message":"m"}`, false},
		{"case-folded key", `{"Choices":[{"text":"a"}]}`, false},
		{"case-folded inner key", `{"choices":[{"TEXT":"a"}]}`, false},
		{"kelvin key", "{\"usage\":{\"prompt_to\u212aens\":5}}", false},
		{"escaped key", `{"\u0069d":"x"}`, false},
		{"duplicate key", `{"choices":[{"text":"a"}],"choices":[]}`, false},
		{"duplicate delta", `{"choices":[{"delta":{"content":"a"},"delta":{"reasoning":"b"}}]}`, false},
		{"wrong type", `{"choices":[{"text":5}]}`, false},
		{"float tokens", `{"usage":{"prompt_tokens":1.0}}`, false},
		{"huge tokens", `{"usage":{"prompt_tokens":12345678901234567890}}`, false},
		{"int64 limits", `{"usage":{"prompt_tokens":9223372036854775807,"completion_tokens":-9223372036854775808}}`, true},
		{"past int64", `{"usage":{"prompt_tokens":9223372036854775808}}`, false},
		{"escaped finish", `{"choices":[{"text":"a","finish_reason":"st\u006fp"}]}`, false},
		{"escaped id", `{"id":"a\tb","choices":[]}`, false},
		{"top-level array", `[]`, false},
		{"top-level null", `null`, false},
		{"trailing", `{"choices":[]} x`, false},
		{"bad escape", `{"x":"\q"}`, false},
		{"leading zero", `{"x":01}`, false},
		{"control char", "{\"choices\":[{\"text\":\"a\x01\"}]}", false},
		{"unterminated", `{"choices":[{"text":"a"}`, false},
		{"message number", `{"message":5}`, false},
		{"odd timings ignored", `{"choices":[{"text":"a"}],"timings":{"predicted_n":1.5}}`, false},
		{"duplicate timings", `{"timings":{"predicted_n":1},"timings":{"predicted_n":2}}`, false},
		{"case-folded timings", `{"Timings":{"predicted_n":1}}`, false},
		{"case-folded predicted_n", `{"timings":{"Predicted_N":1}}`, false},
		{"duplicate predicted_n", `{"timings":{"predicted_n":1,"predicted_n":2}}`, false},
		{"float predicted_n", `{"timings":{"predicted_n":1.5}}`, false},
		{"timings not an object", `{"timings":[1]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fast, ok := scanChunk([]byte(tc.in))
			if ok != tc.accept {
				t.Fatalf("scanChunk ok = %v, want %v", ok, tc.accept)
			}
			if !ok {
				return
			}
			slow, err := decodeChunk([]byte(tc.in))
			if err != nil {
				t.Fatalf("scanChunk accepted what encoding/json rejects: %v", err)
			}
			if d := sameFields(slow, fast); d != "" {
				t.Errorf("fields differ (-encoding/json +scan):\n%s", d)
			}
		})
	}
}

// TestScanChunkNoAlloc checks that the fast path allocates nothing for a
// vLLM token event.
func TestScanChunkNoAlloc(t *testing.T) {
	data := []byte(`{"id":"cmpl-1b2c3d4e5f","object":"text_completion","created":1795888020,"model":"Qwen/Qwen2.5-7B-Instruct","choices":[{"index":0,"text":" word","logprobs":null,"finish_reason":null,"stop_reason":null}],"hb_sent_ns":1795888020123456789,"hb_sim_ns":52000000}`)
	if n := testing.AllocsPerRun(100, func() {
		if _, ok := scanChunk(data); !ok {
			t.Fatal("declined")
		}
	}); n != 0 {
		t.Errorf("scanChunk allocates %.0f times per event, want 0", n)
	}
}

// FuzzScanChunk checks on arbitrary input that whenever scanChunk accepts
// an event, encoding/json accepts it too and decodes the same fields.
func FuzzScanChunk(f *testing.F) {
	f.Add([]byte(`{"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":" w","logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":4,"completion_tokens":2}}`))
	f.Add([]byte(`{"choices":[{"delta":{"role":"assistant","content":"\ud83d\ude00","reasoning_content":null}}],"hb_sent_ns":-1}`))
	f.Add([]byte(`{"x":[1,-2.5e+3,{"a":[[]]},"s\u0020"],"choices":[null]}`))
	f.Add([]byte(`{"error":null,"message":"m","object":"x"}`))
	f.Add([]byte(`{"choices":[{"delta":{"content":"a"},"index":0}],"timings":{"predicted_n":2,"prompt_n":-1,"x":[{}]},"usage":{"completion_tokens":2}}`))
	f.Add([]byte(`{"id":"cmpl-1","choices":[{"index":0,"text":" w","finish_reason":null}],"hb_sim_ns":41000000}`))
	files, _ := filepath.Glob("../fixtures/sse/*/*.txt")
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			continue
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			if d, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("data: ")); ok && d[0] == '{' {
				f.Add(d)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := scanChunk(data)
		if !ok {
			return
		}
		slow, err := decodeChunk(data)
		if err != nil {
			t.Fatalf("scanChunk accepted %q, encoding/json rejects it: %v", data, err)
		}
		if d := sameFields(slow, fast); d != "" {
			t.Fatalf("fields differ for %q (-encoding/json +scan):\n%s", data, d)
		}
	})
}
