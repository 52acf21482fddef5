package openai

import "testing"

// TestScanChunkDialectsNoAlloc checks that the fast path stays
// allocation-free for the dialect fields: llama.cpp's per-token timings and
// vLLM's continuous usage.
func TestScanChunkDialectsNoAlloc(t *testing.T) {
	for _, data := range [][]byte{
		[]byte(`{"choices":[{"finish_reason":null,"index":0,"delta":{"content":" there"}}],"created":1764612000,"id":"chatcmpl-Qx7uV2mZ4kq9","model":"gpt-3.5-turbo","system_fingerprint":"b7200-00efb3e1","object":"chat.completion.chunk","timings":{"cache_n":0,"prompt_n":9,"prompt_ms":41.8,"prompt_per_token_ms":4.644,"prompt_per_second":215.31,"predicted_n":2,"predicted_ms":19.0,"predicted_per_token_ms":9.5,"predicted_per_second":105.26}}`),
		[]byte(`{"id":"cmpl-7f3a","object":"text_completion","created":1764612000,"model":"Qwen/Qwen2.5-0.5B-Instruct","choices":[{"index":0,"text":" quick brown fox","logprobs":null,"finish_reason":null,"stop_reason":null,"prompt_token_ids":null,"token_ids":null}],"usage":{"prompt_tokens":7,"total_tokens":11,"completion_tokens":4}}`),
	} {
		f, ok := scanChunk(data)
		if !ok || f.contentBytes == 0 || (!f.timings.present && !f.usage) {
			t.Fatalf("declined or misread %s: %+v", data, f)
		}
		if n := testing.AllocsPerRun(100, func() { scanChunk(data) }); n != 0 {
			t.Errorf("scanChunk allocates %.0f times for %s", n, data)
		}
	}
}

// TestOddTimingsIgnored checks that a "timings" value that is not
// llama.cpp's (a float count, an array, a string) neither fails the event
// nor counts as per-chunk timings.
func TestOddTimingsIgnored(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"choices":[{"text":"a"}],"timings":{"predicted_n":1.5}}`,
		`{"choices":[{"text":"a"}],"timings":[1,2]}`,
		`{"choices":[{"text":"a"}],"timings":"fast"}`,
	} {
		f, err := decodeChunk([]byte(in))
		if err != nil || f.timings.present || f.contentBytes != 1 {
			t.Errorf("%s: %+v, %v; want the text and no timings", in, f, err)
		}
	}
}
