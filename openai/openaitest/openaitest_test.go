package openaitest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPick(t *testing.T) {
	t.Parallel()
	rules := []FaultRule{{Fault: Reset, Every: 3, Offset: 1}, {Fault: HTTP500, Every: 2}}
	cases := []struct {
		name           string
		seq            int64
		header, prompt string
		want           Fault
	}{
		{"no rule matches", 1, "", "", None},
		{"second rule", 2, "", "", HTTP500},
		{"first rule with offset", 4, "", "", Reset},
		{"first rule wins", 10, "", "", Reset},
		{"header wins", 1, "stall", "", Stall},
		{"marker", 1, "", "x " + Marker(LongLine) + " y", LongLine},
		{"unknown header falls through", 2, "bogus", "", HTTP500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pick(rules, tc.seq, tc.header, tc.prompt); got != tc.want {
				t.Errorf("pick = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPieces(t *testing.T) {
	t.Parallel()
	body := []byte("data: a\n\ndata: b\r\n\r\ndata: c\r\rtail")
	got := pieces(body, 0)
	want := []string{"data: a\n\n", "data: b\r\n\r\n", "data: c\r\r", "tail"}
	if len(got) != len(want) {
		t.Fatalf("pieces = %q, want %q", got, want)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("piece %d = %q, want %q", i, got[i], want[i])
		}
	}
	if n := len(pieces(body, 5)); n != (len(body)+4)/5 {
		t.Errorf("split 5: %d pieces", n)
	}
	if !bytes.Equal(bytes.Join(pieces(body, 3), nil), body) {
		t.Error("pieces do not add up to the body")
	}
}

func TestHandlerRoutesAndAuth(t *testing.T) {
	srv := NewServer(Config{APIKey: "k", TokenDelay: time.Millisecond})
	defer srv.Close()
	do := func(method, path, auth, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := do("GET", "/health", "", ""); code != 200 {
		t.Errorf("/health: %d", code)
	}
	if code, body := do("GET", "/v1/models", "", ""); code != 200 || !strings.Contains(body, `"fake"`) {
		t.Errorf("/v1/models: %d %s", code, body)
	}
	if code, _ := do("GET", "/nope", "", ""); code != 404 {
		t.Errorf("/nope: %d", code)
	}
	if code, _ := do("POST", "/v1/completions", "Bearer wrong", `{"prompt":"x"}`); code != 401 {
		t.Errorf("wrong key: %d", code)
	}
	if code, _ := do("POST", "/v1/completions", "Bearer k", `{bad`); code != 400 {
		t.Errorf("bad JSON: %d", code)
	}
	code, body := do("POST", "/v1/completions", "Bearer k", `{"prompt":"x","max_tokens":3,"stream_options":{"include_usage":true}}`)
	if code != 200 || strings.Count(body, `"text":" w`) != 3 || !strings.HasSuffix(body, "data: [DONE]\n\n") || !strings.Contains(body, `"completion_tokens":3`) {
		t.Errorf("stream: %d\n%s", code, body)
	}
	tr := srv.Traces()
	if len(tr) != 1 || len(tr[0].Content()) != 3 || len(tr[0].Events) != 5 {
		t.Fatalf("traces: %+v", tr)
	}
	for k, at := range tr[0].Content() {
		if due := tr[0].Received.Add(time.Duration(k) * time.Millisecond); at.Before(due) {
			t.Errorf("token %d sent at %v, before its due time %v", k, at, due)
		}
	}
}

// TestDialectFields checks the fields that tell the dialects apart in the
// raw stream, and that ParseDialect refuses unknown names.
func TestDialectFields(t *testing.T) {
	type testCase struct {
		dialect   Dialect
		path      string
		body      string
		want, not []string
	}
	chat := `{"messages":[{"role":"user","content":"x"}],"max_tokens":4,"stream_options":{"include_usage":true}}`
	cases := []testCase{
		{VLLM, "/v1/chat/completions", chat, []string{`"reasoning":" w0`, `"delta":{"role":"assistant","content":""}`, `"content":" w2"},"logprobs":null,"finish_reason":null`}, []string{`reasoning_content`}},
		{VLLMReasoningContent, "/v1/chat/completions", chat, []string{`"reasoning_content":" w0`}, []string{`"reasoning":`}},
		{SGLang, "/v1/chat/completions", chat, []string{`"reasoning_content":" w0`, `"matched_stop":null`, `"delta":{},"finish_reason":"length"`}, nil},
		{TGI, "/v1/chat/completions", chat, []string{`{"id":"","object"`, `"delta":{"role":"assistant","content":" w0"}`, `"usage":null`}, []string{`reasoning`}},
		{LlamaCpp, "/v1/chat/completions", chat, []string{`"delta":{"role":"assistant","content":null}`, `"reasoning_content":" w0`, `"predicted_n":4`}, []string{`"predicted_n":1`}},
		{LlamaCpp, "/v1/chat/completions", `{"messages":[{"content":"x"}],"max_tokens":4,"timings_per_token":true}`, []string{`"predicted_n":1`, `"predicted_n":4`}, []string{`"usage"`}},
		{VLLM, "/v1/completions", `{"prompt":"x","max_tokens":4,"stream_options":{"include_usage":true,"continuous_usage_stats":true}}`, []string{`"completion_tokens":2,`, `"text":" w2 w3"`}, nil},
	}
	for _, tc := range cases {
		t.Run(string(tc.dialect)+tc.path, func(t *testing.T) {
			srv := NewServer(Config{Dialect: tc.dialect, Reasoning: 2, ChunkTokens: map[bool]int{true: 2}[strings.Contains(tc.body, "continuous")]})
			defer srv.Close()
			resp, err := srv.Client().Post(srv.URL+tc.path, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("stream lacks %s:\n%s", w, b)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(string(b), w) {
					t.Errorf("stream has %s:\n%s", w, b)
				}
			}
		})
	}
	if _, err := ParseDialect("vllm2"); err == nil {
		t.Error("ParseDialect accepted an unknown name")
	}
	if d, err := ParseDialect(""); d != VLLM || err != nil {
		t.Errorf("ParseDialect(\"\") = %q, %v", d, err)
	}
}
