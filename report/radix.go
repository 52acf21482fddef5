package report

import "math"

// sortFloat32 sorts xs ascending through their orderedBits (radixSort).
// xs holds no NaN (JSON has none); −0 sorts before +0, which compare
// equal, so the sorted values are those of any sort.
func sortFloat32(xs []float32) {
	keys := make([]uint32, len(xs))
	for i, x := range xs {
		keys[i] = orderedBits(x)
	}
	for i, k := range radixSort(keys) {
		xs[i] = fromOrderedBits(k)
	}
}

// radixSort sorts keys ascending by LSD radix (four passes of 8 bits
// through one scratch copy) and returns the sorted slice, keys or the
// scratch: O(n), where a comparison sort of a run's hundred million
// pooled ITL gaps took most of a report's time.
func radixSort(keys []uint32) []uint32 {
	if len(keys) < 2 {
		return keys
	}
	tmp := make([]uint32, len(keys))
	src, dst := keys, tmp
	for shift := uint(0); shift < 32; shift += 8 {
		var count [256]int
		for _, k := range src {
			count[k>>shift&0xff]++
		}
		if count[src[0]>>shift&0xff] == len(src) {
			continue // every key has this byte: the pass would not move any
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for _, k := range src {
			b := k >> shift & 0xff
			dst[count[b]] = k
			count[b]++
		}
		src, dst = dst, src
	}
	return src
}

// orderedBits maps a float32 to a uint32 whose unsigned order is the
// float's order: the sign bit set for non-negative values, every bit
// flipped for negative ones.
func orderedBits(x float32) uint32 {
	b := math.Float32bits(x)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

func fromOrderedBits(k uint32) float32 {
	if k>>31 != 0 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}
