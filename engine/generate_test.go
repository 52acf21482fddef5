package engine

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hypobench/hypobench/internal/testutil"
)

var (
	reID      = regexp.MustCompile(`"id":"(chat)?cmpl-[0-9a-f]+"`)
	reCreated = regexp.MustCompile(`"created":\d+`)
	reSimNs   = regexp.MustCompile(`"hb_sim_ns":\d+`)
)

// TestSSEGolden pins the exact bytes of streamed responses (ids and
// timestamps, including the "hb_sim_ns" stamps, normalised) against testdata/*.golden; -update rewrites them.
func TestSSEGolden(t *testing.T) {
	_, url, _ := testServer(t, Config{Speed: 1000}, false)
	tests := []struct{ name, path, body string }{
		{"completions-include-usage", "/v1/completions",
			`{"prompt": "[1] hi hi hi", "max_tokens": 4, "stream": true, "stream_options": {"include_usage": true}}`},
		{"completions-no-usage", "/v1/completions", `{"prompt": "[1] hi hi hi", "max_tokens": 2, "stream": true}`},
		{"chat-include-usage", "/v1/chat/completions",
			`{"messages": [{"role": "user", "content": "hi hi"}], "max_tokens": 3, "stream": true, "stream_options": {"include_usage": true}}`},
		{"completions-nonstream", "/v1/completions", `{"prompt": "[1] hi hi hi", "max_tokens": 3}`},
		{"chat-nonstream", "/v1/chat/completions", `{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, b := post(t, url+tc.path, tc.body)
			got := reCreated.ReplaceAll(reID.ReplaceAll(b, []byte(`"id":"ID"`)), []byte(`"created":0`))
			got = reSimNs.ReplaceAll(got, []byte(`"hb_sim_ns":1`))
			testutil.Golden(t, filepath.Join("testdata", tc.name+".golden"), got)
		})
	}
}

// FuzzRequest feeds arbitrary bodies through request decoding and
// validation: no panic, and anything admitted fits max_model_len.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		`{"prompt": "hi hi", "max_tokens": 5}`,
		`{"prompt": [1, 2, 3], "max_tokens": 4090}`,
		`{"prompt": [[1, 2]], "min_tokens": 3, "max_tokens": 2}`,
		`{"prompt": ["a", "b"]}`,
		`{"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}`,
		`{"messages": [], "model": "x"}`,
		`{"prompt": null, "n": 2}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	cfg, info, err := Config{}.resolve()
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{cfg: cfg, info: info}
	f.Fuzz(func(t *testing.T, body []byte, chat bool) {
		var req genRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		a, aerr := s.validate(&req, chat)
		if aerr != nil {
			if aerr.Status < 400 || aerr.Message == "" {
				t.Fatalf("bad error %+v", aerr)
			}
			return
		}
		if a.promptTokens < 1 || a.maxTokens < 1 || a.promptTokens+a.maxTokens > info.MaxModelLen || a.minTokens > a.maxTokens {
			t.Fatalf("admitted %+v", a)
		}
	})
}
