package report

import (
	"math"
	"slices"
)

// sortFloat64s sorts xs ascending in place by most-significant-digit
// radix (American flag sort) on the bits of each value, 8 at a time,
// needing no scratch copy: a comparison sort of a run's hundred million
// pooled ITL gaps took most of a report's time, and a scratch copy of the
// largest group would be the report's peak memory. xs holds no NaN (JSON
// has none); −0 sorts before +0, which compare equal, so the sorted values
// are those of any sort.
func sortFloat64s(xs []float64) { flagSort(xs, 56) }

// flagSort sorts xs, whose keys agree above bit shift+8, on the byte at
// shift and below.
func flagSort(xs []float64, shift uint) {
	if len(xs) <= 64 {
		slices.SortFunc(xs, func(a, b float64) int {
			ka, kb := orderedBits(a), orderedBits(b)
			switch {
			case ka < kb:
				return -1
			case ka > kb:
				return 1
			}
			return 0
		})
		return
	}
	var count [256]int
	for _, x := range xs {
		count[orderedBits(x)>>shift&0xff]++
	}
	if d := orderedBits(xs[0]) >> shift & 0xff; count[d] == len(xs) {
		if shift > 0 {
			flagSort(xs, shift-8) // one bucket: nothing to move at this byte
		}
		return
	}
	var start, next [256]int
	pos := 0
	for b, c := range count {
		start[b], next[b] = pos, pos
		pos += c
	}
	for b := range count {
		end := start[b] + count[b]
		for next[b] < end {
			x := xs[next[b]]
			d := int(orderedBits(x) >> shift & 0xff)
			for d != b { // carry x to its bucket, taking what was there
				x, xs[next[d]] = xs[next[d]], x
				next[d]++
				d = int(orderedBits(x) >> shift & 0xff)
			}
			xs[next[b]] = x
			next[b]++
		}
	}
	if shift == 0 {
		return
	}
	for b, c := range count {
		if c > 1 {
			flagSort(xs[start[b]:start[b]+c], shift-8)
		}
	}
}

// orderedBits maps a float64 to a uint64 whose unsigned order is the
// float's order: the sign bit set for non-negative values, every bit
// flipped for negative ones.
func orderedBits(x float64) uint64 {
	b := math.Float64bits(x)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}
