package engine

// BlockSize is the number of tokens per KV-cache block, vLLM's default.
const BlockSize = 16

// NumBlocks returns the KV-cache blocks that fit on gpu for model:
// (memory × utilisation − weights − activation reserve) / (KV bytes per
// token × BlockSize), where the reserve is ActivationReserveBytes plus the
// activations of a full step of maxBatchedTokens (the residual stream, the
// fused gate/up output and the attention projections, in the model dtype).
// It returns 0 when the weights do not fit.
func NumBlocks(gpu GPU, model Model, utilisation float64, maxBatchedTokens int) int {
	act := float64(maxBatchedTokens) * float64(4*model.Hidden+2*model.Intermediate+
		(model.Heads+2*model.KVHeads)*model.HeadDim) * model.DTypeBytes()
	free := gpu.MemoryBytes()*utilisation - model.WeightBytes() - ActivationReserveBytes - act
	if free <= 0 {
		return 0
	}
	return int(free / (model.KVBytesPerToken() * BlockSize))
}

// blocksFor returns the blocks needed to hold n tokens.
func blocksFor(n int) int { return (n + BlockSize - 1) / BlockSize }

// kvCache is a paged KV-cache block pool. Blocks are counted, not
// addressed: without prefix caching, which block a sequence holds does
// not change any cost.
type kvCache struct {
	total int
	free  int
}

func newKVCache(total int) *kvCache { return &kvCache{total: total, free: total} }

// allocate grows s to hold n tokens, reporting false (and changing
// nothing) when the pool is short.
func (k *kvCache) allocate(s *seq, n int) bool {
	need := blocksFor(n) - s.blocks
	if need <= 0 {
		return true
	}
	if need > k.free {
		return false
	}
	k.free -= need
	s.blocks += need
	return true
}

// release returns all of s's blocks to the pool.
func (k *kvCache) release(s *seq) {
	k.free += s.blocks
	s.blocks = 0
}

// usage returns the fraction of blocks in use, as vllm:kv_cache_usage_perc.
func (k *kvCache) usage() float64 {
	if k.total == 0 {
		return 0
	}
	return float64(k.total-k.free) / float64(k.total)
}
