package report

import (
	"math"

	"github.com/hypobench/hypobench/stats"
)

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
// flipped for negative ones. NaN has no place in it (JSON has none); −0
// sorts before +0, which compare equal, so sorted values are those of any
// sort.
func orderedBits(x float32) uint32 {
	b := math.Float32bits(x)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

// fromOrderedBits is orderedBits' inverse, widened to float64 (exactly).
func fromOrderedBits(k uint32) float64 {
	if k>>31 != 0 {
		return float64(math.Float32frombits(k &^ (1 << 31)))
	}
	return float64(math.Float32frombits(^k))
}

// distKeys is distSorted for the sorted orderedBits of a group's float32
// gaps, widening only the order statistics its quantiles and intervals
// read: the same figures as widening them all, without a float64 copy of
// the group. Mean is left nil (the caller sets the exact one).
func distKeys(keys []uint32) Dist {
	d := Dist{N: len(keys)}
	if len(keys) == 0 {
		return d
	}
	at := func(i int) float64 { return fromOrderedBits(keys[i]) }
	quant := func(p float64) Quantile {
		n := len(keys)
		// stats.QuantileSorted's type-7 interpolation, between the two
		// order statistics it reads, at the same fraction.
		h := float64(n-1) * p
		lo := int(math.Floor(h))
		v := at(n - 1)
		if lo < n-1 {
			v = stats.QuantileSorted([]float64{at(lo), at(lo + 1)}, h-float64(lo))
		}
		q := Quantile{Value: fp(v)}
		if a, b, ok := stats.QuantileCIOrders(n, p, CILevel); ok {
			q.Lo, q.Hi = fp(at(a-1)), fp(at(b-1))
		}
		return q
	}
	d.P10, d.P50, d.P90, d.P99 = quant(0.10), quant(0.50), quant(0.90), quant(0.99)
	return d
}
