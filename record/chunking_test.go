package record

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestChunkingFields checks the per-chunk fields' JSON: set, they
// round-trip; unset (records written before they existed, or a server that
// reports nothing), they are left out of the line and decode as empty.
func TestChunkingFields(t *testing.T) {
	t.Parallel()
	r := Record{ID: RequestID(1), Chunking: ChunkingReported, ChunkTokens: []int{1, 3, 2}, ITLToken: []float64{0.01, 0.015}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"chunking":"reported","chunk_tokens":[1,3,2],"itl_token_s":[0.01,0.015]`) {
		t.Errorf("encoded %s", b)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil || back.Chunking != r.Chunking || !slices.Equal(back.ChunkTokens, r.ChunkTokens) || !slices.Equal(back.ITLToken, r.ITLToken) {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	b, _ = json.Marshal(Record{ID: RequestID(2)})
	for _, k := range []string{"chunking", "chunk_tokens", "itl_token_s"} {
		if strings.Contains(string(b), k) {
			t.Errorf("empty record encodes %q: %s", k, b)
		}
	}
}
