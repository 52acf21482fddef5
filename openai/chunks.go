package openai

// countChunk records how many tokens the content event just appended to
// res.Content carried, when the server reports it: the event's own
// cumulative count of generated tokens (llama.cpp's timings.predicted_n,
// sent with "timings_per_token": true; or usage.completion_tokens on the
// event itself, as vLLM and SGLang send with
// stream_options.continuous_usage_stats) minus the count on the previous
// content event (0 before the first). The first content event without a
// count, or whose count does not grow (Ollama's zeroed usage on every
// completions chunk), makes the chunking unknown for the rest of the
// stream: res.ChunkTokens is then nil.
func (res *Result) countChunk(f fields, last *int, unknown *bool) {
	if *unknown {
		return
	}
	var n int
	switch {
	case f.timings.present && f.timings.predicted > 0:
		n = f.timings.predicted
	case f.usage && f.completion > 0:
		n = f.completion
	default:
		*unknown, res.ChunkTokens = true, nil
		return
	}
	k := n - *last
	if k <= 0 || len(res.ChunkTokens) != len(res.Content)-1 {
		*unknown, res.ChunkTokens = true, nil
		return
	}
	if res.ChunkTokens == nil {
		res.ChunkTokens = make([]int, 0, max(cap(res.Content), 1))
	}
	res.ChunkTokens = append(res.ChunkTokens, k)
	*last = n
}

// TokenITL returns the per-token inter-token latencies: gap i of ITL (from
// content event i to i+1) divided by the tokens content event i+1 carried.
// It returns nil when the chunking is unknown (ChunkTokens is nil) or there
// are fewer than two content events.
func (r *Result) TokenITL() []float64 {
	itl := r.ITL()
	if itl == nil || len(r.ChunkTokens) != len(r.Content) {
		return nil
	}
	out := make([]float64, len(itl))
	for i, g := range itl {
		out[i] = g.Seconds() / float64(r.ChunkTokens[i+1])
	}
	return out
}
