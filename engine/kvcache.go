package engine

import (
	"encoding/binary"
	"hash/fnv"
)

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

// BlockHashes returns the prefix-cache hashes of the full blocks of a
// prompt's token ids, as vLLM V1's hash_block_tokens chains them: block i's
// hash covers its BlockSize ids and the hash of block i−1, so two prompts
// share block i's hash only when their first (i+1)×BlockSize tokens are
// equal. A trailing partial block has no hash. The hash is 64-bit FNV-1a
// (vLLM uses SHA-256 or its builtin hash; only equality matters here).
func BlockHashes(ids []int) []uint64 {
	n := len(ids) / BlockSize
	if n == 0 {
		return nil
	}
	out := make([]uint64, n)
	var parent uint64
	var buf [8 * (BlockSize + 1)]byte
	for b := range n {
		binary.LittleEndian.PutUint64(buf[:8], parent)
		for i, id := range ids[b*BlockSize : (b+1)*BlockSize] {
			binary.LittleEndian.PutUint64(buf[8*(i+1):], uint64(id))
		}
		h := fnv.New64a()
		h.Write(buf[:])
		parent = h.Sum64()
		out[b] = parent
	}
	return out
}

// kvBlock is one physical KV-cache block. A block is free when ref is 0;
// a free block that still holds a hash keeps its cached content until it
// is taken for another sequence (evicted).
type kvBlock struct {
	ref        int
	hash       uint64
	hashed     bool
	prev, next *kvBlock // the free queue, while ref is 0
}

// kvCache is vLLM V1's block pool: a fixed set of blocks, a free queue in
// eviction order and, with prefix caching, a map from block hash to the
// block holding it. Allocation takes blocks from the head of the free
// queue (evicting any cached content); freed blocks join its tail, a
// request's blocks in reverse order so its last blocks are evicted first.
// A cached block in use by one sequence is shared with any other whose
// prompt has the same prefix (its reference count grows); once free it can
// still be hit until it is evicted, which makes eviction least recently
// used among free blocks.
type kvCache struct {
	total   int
	free    int
	caching bool
	head    kvBlock // sentinel of the free queue
	cached  map[uint64]*kvBlock
}

func newKVCache(total int, caching bool) *kvCache {
	k := &kvCache{total: total, free: total, caching: caching, cached: map[uint64]*kvBlock{}}
	k.head.prev, k.head.next = &k.head, &k.head
	blocks := make([]kvBlock, total)
	for i := range blocks {
		k.pushFree(&blocks[i])
	}
	return k
}

func (k *kvCache) pushFree(b *kvBlock) {
	b.prev, b.next = k.head.prev, &k.head
	k.head.prev.next = b
	k.head.prev = b
}

func (k *kvCache) unlinkFree(b *kvBlock) {
	b.prev.next, b.next.prev = b.next, b.prev
	b.prev, b.next = nil, nil
}

// lookup returns how many of s's leading prompt blocks are cached, at most
// (numTokens − 1) / BlockSize of them: as in vLLM, the last token is always
// computed so that it yields logits. It changes nothing.
func (k *kvCache) lookup(s *seq) int {
	if !k.caching {
		return 0
	}
	limit := min(len(s.hashes), (s.numTokens()-1)/BlockSize)
	n := 0
	for n < limit {
		if _, ok := k.cached[s.hashes[n]]; !ok {
			break
		}
		n++
	}
	return n
}

// admit gives a waiting s (holding no blocks) its hits cached blocks and
// grows it to hold n tokens, reporting false and changing nothing when the
// pool is short. Cached blocks that were free no longer count as free.
func (k *kvCache) admit(s *seq, hits, n int) bool {
	evictable := 0
	for _, h := range s.hashes[:hits] {
		if k.cached[h].ref == 0 {
			evictable++
		}
	}
	if blocksFor(n)-hits > k.free-evictable {
		return false
	}
	for _, h := range s.hashes[:hits] {
		b := k.cached[h]
		if b.ref == 0 {
			k.unlinkFree(b)
			k.free--
		}
		b.ref++
		s.blocks = append(s.blocks, b)
	}
	s.hashedBlocks = hits
	return k.allocate(s, n)
}

// allocate grows s to hold n tokens, reporting false (and changing
// nothing) when the pool is short. With prefix caching, every prompt block
// the n tokens fill is registered under its hash, as vLLM caches full
// blocks when it schedules them.
func (k *kvCache) allocate(s *seq, n int) bool {
	need := blocksFor(n) - len(s.blocks)
	if need > k.free {
		return false
	}
	for range need {
		b := k.head.next
		k.unlinkFree(b)
		k.free--
		if b.hashed {
			if k.cached[b.hash] == b {
				delete(k.cached, b.hash)
			}
			b.hashed = false
		}
		b.ref = 1
		s.blocks = append(s.blocks, b)
	}
	if k.caching {
		full := min(n/BlockSize, len(s.hashes), len(s.blocks))
		for i := s.hashedBlocks; i < full; i++ {
			h := s.hashes[i]
			if _, dup := k.cached[h]; !dup {
				b := s.blocks[i]
				b.hash, b.hashed = h, true
				k.cached[h] = b
			}
		}
		s.hashedBlocks = max(s.hashedBlocks, full)
	}
	return true
}

// release frees s's blocks, last block first, keeping their cached
// content until evicted.
func (k *kvCache) release(s *seq) {
	for i := len(s.blocks) - 1; i >= 0; i-- {
		b := s.blocks[i]
		b.ref--
		if b.ref == 0 {
			k.pushFree(b)
			k.free++
		}
	}
	s.blocks = s.blocks[:0]
	s.hashedBlocks = 0
}

// usage returns the fraction of blocks in use, as vllm:kv_cache_usage_perc
// (free cached blocks count as free).
func (k *kvCache) usage() float64 {
	if k.total == 0 {
		return 0
	}
	return float64(k.total-k.free) / float64(k.total)
}
