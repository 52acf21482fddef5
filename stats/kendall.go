package stats

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// DefaultB is the number of permutations or bootstrap resamples used when a
// function is given B ≤ 0.
const DefaultB = 2000

// DefaultLevel is the confidence level of effect intervals in a Result when
// the function takes no level argument.
const DefaultLevel = 0.95

// KendallTauB returns Kendall's rank correlation τ-b of the pairs (x[i], y[i]):
// (C − D) / √((n0 − n1)(n0 − n2)), where C and D count concordant and
// discordant pairs, n0 = n(n−1)/2, and n1, n2 count the pairs tied in x and
// in y. It equals R's cor(x, y, method = "kendall") and SciPy's kendalltau.
// It runs in O(n log n) (Knight's merge-sort algorithm). It returns NaN when
// len(x) != len(y), n < 2, either sample is constant, or the data hold a NaN.
func KendallTauB(x, y []float64) float64 {
	k, ok := newKendall(x, y)
	if !ok || k.degenerate() {
		return math.NaN()
	}
	return k.tau(k.s(k.yr))
}

// KendallTest tests for a monotone association between x and y with
// Kendall's τ-b and a permutation p-value: y is shuffled against x B times
// (B ≤ 0 means DefaultB) with rng, and
// P = (1 + #{permuted S at least as extreme as observed}) / (1 + B), where
// S = C − D and "at least as extreme" is S* ≥ S for Greater (positive
// association), S* ≤ S for Less, |S*| ≥ |S| for TwoSided. Because the
// denominator of τ-b does not change under permutation, this is the
// permutation test of τ-b itself, ties included.
//
// Statistic and Effect are τ-b; EffectCI is a percentile bootstrap interval
// at DefaultLevel from B resamples of whole pairs, drawn from rng after the
// permutations. N is the number of pairs. Fewer than 3 pairs, mismatched
// lengths, NaNs or a constant x or y give an inconclusive Result. Ties
// (such as x being a level repeated many times) need no warning: τ-b and the
// permutation distribution account for them.
func KendallTest(rng *rand.Rand, x, y []float64, alt Alternative, B int) Result {
	return KendallTestLevel(rng, x, y, alt, B, DefaultLevel)
}

// KendallTestLevel is KendallTest with the effect's bootstrap interval at
// confidence level instead of DefaultLevel (hypobench's analyses use
// 1 − 2α, so that each tail is a one-sided test at α).
func KendallTestLevel(rng *rand.Rand, x, y []float64, alt Alternative, B int, level float64) Result {
	const name = "Kendall tau-b"
	if B <= 0 {
		B = DefaultB
	}
	k, ok := newKendall(x, y)
	if !ok {
		return inconclusive(name, alt, len(x), level,
			fmt.Sprintf("need equal-length, NaN-free samples (got %d and %d values)", len(x), len(y)))
	}
	if k.n < 3 {
		return inconclusive(name, alt, k.n, level, fmt.Sprintf("%d pairs, need at least 3", k.n))
	}
	if k.degenerate() {
		return inconclusive(name, alt, k.n, level, "x or y takes a single value")
	}
	sObs := k.s(k.yr)
	tau := k.tau(sObs)

	perm := slices.Clone(k.yr)
	buf := make([]int32, k.n)
	extreme := 0
	for range B {
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		copy(buf, perm)
		sp := k.s(buf)
		switch alt {
		case Greater:
			if sp >= sObs {
				extreme++
			}
		case Less:
			if sp <= sObs {
				extreme++
			}
		default:
			if abs64(sp) >= abs64(sObs) {
				extreme++
			}
		}
	}
	p := float64(1+extreme) / float64(1+B)

	ci := k.bootstrapCI(rng, B, level)
	return Result{
		Test: name, Alt: alt, Method: fmt.Sprintf("permutation, B=%d", B),
		N: k.n, Statistic: tau, P: p, Effect: tau, EffectCI: ci,
	}
}

// kendall holds the data of a τ-b computation in integer form: xr and yr
// are dense ranks (0, 1, …) of x and y, and the fields below describe the
// order sorted by (x, y).
type kendall struct {
	n      int
	xr     []int32 // dense ranks of x in original order
	yOrig  []int32 // dense ranks of y in original order
	yr     []int32 // dense ranks of y in (x, y) order
	tmp    []int32 // scratch for merge sorts
	groups []int   // end offsets of the x-tie groups in sorted order
	ny     int     // number of distinct y values
	n0     int64   // n(n−1)/2
	n1, n2 int64   // pairs tied in x, pairs tied in y
}

func newKendall(x, y []float64) (*kendall, bool) {
	n := len(x)
	if n != len(y) || slices.ContainsFunc(x, math.IsNaN) || slices.ContainsFunc(y, math.IsNaN) {
		return nil, false
	}
	xr, _ := denseRanks(x)
	yRanks, ny := denseRanks(y)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(xr[a], xr[b]); c != 0 {
			return c
		}
		return cmp.Compare(yRanks[a], yRanks[b])
	})
	k := &kendall{n: n, xr: xr, yOrig: yRanks, ny: ny, n0: int64(n) * int64(n-1) / 2, tmp: make([]int32, n)}
	k.yr = make([]int32, n)
	for i, o := range order {
		k.yr[i] = yRanks[o]
		if i == n-1 || xr[o] != xr[order[i+1]] {
			k.groups = append(k.groups, i+1)
		}
	}
	start := 0
	for _, end := range k.groups {
		t := int64(end - start)
		k.n1 += t * (t - 1) / 2
		start = end
	}
	counts := make([]int64, ny)
	for _, r := range yRanks {
		counts[r]++
	}
	for _, t := range counts {
		k.n2 += t * (t - 1) / 2
	}
	return k, true
}

// degenerate reports whether τ-b is undefined (n < 2 or a constant sample).
func (k *kendall) degenerate() bool {
	return k.n < 2 || k.n1 == k.n0 || k.n2 == k.n0
}

func (k *kendall) tau(s int64) float64 {
	return float64(s) / math.Sqrt(float64(k.n0-k.n1)*float64(k.n0-k.n2))
}

// s returns C − D for y ranks yr given in x order. It sorts each x-tie group
// of yr by y, counts the pairs tied in both, then counts discordant pairs as
// the inversions of a merge sort; yr is left sorted.
func (k *kendall) s(yr []int32) int64 {
	var n3 int64
	start := 0
	for _, end := range k.groups {
		g := yr[start:end]
		if len(g) > 1 {
			slices.Sort(g)
			run := int64(1)
			for i := 1; i < len(g); i++ {
				if g[i] == g[i-1] {
					run++
					continue
				}
				n3 += run * (run - 1) / 2
				run = 1
			}
			n3 += run * (run - 1) / 2
		}
		start = end
	}
	d := inversions(yr, k.tmp)
	return k.n0 - k.n1 - k.n2 + n3 - 2*d
}

// bootstrapCI resamples whole pairs B times and returns the percentile
// interval of τ-b; resamples where τ-b is undefined are dropped.
func (k *kendall) bootstrapCI(rng *rand.Rand, B int, level float64) CI {
	yOrig := k.yOrig
	keys := make([]int64, k.n)
	ys := make([]int32, k.n)
	tmp := k.tmp
	counts := make([]int64, k.ny)
	reps := make([]float64, 0, B)
	for range B {
		for i := range keys {
			j := rng.IntN(k.n)
			keys[i] = int64(k.xr[j])<<32 | int64(yOrig[j])
		}
		slices.Sort(keys)
		var n1, n3 int64
		runX, runXY := int64(1), int64(1)
		clear(counts)
		for i, key := range keys {
			ys[i] = int32(key & 0xffffffff)
			counts[ys[i]]++
			if i == 0 {
				continue
			}
			if key>>32 == keys[i-1]>>32 {
				runX++
			} else {
				n1 += runX * (runX - 1) / 2
				runX = 1
			}
			if key == keys[i-1] {
				runXY++
			} else {
				n3 += runXY * (runXY - 1) / 2
				runXY = 1
			}
		}
		n1 += runX * (runX - 1) / 2
		n3 += runXY * (runXY - 1) / 2
		var n2 int64
		for _, t := range counts {
			n2 += t * (t - 1) / 2
		}
		if n1 == k.n0 || n2 == k.n0 {
			continue
		}
		d := inversions(ys, tmp)
		s := k.n0 - n1 - n2 + n3 - 2*d
		reps = append(reps, float64(s)/math.Sqrt(float64(k.n0-n1)*float64(k.n0-n2)))
	}
	return PercentileCI(reps, level)
}

// denseRanks maps each value to the index of its distinct value in sorted
// order (0 for the smallest) and returns the number of distinct values.
func denseRanks(v []float64) ([]int32, int) {
	order := make([]int, len(v))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(v[a], v[b]) })
	r := make([]int32, len(v))
	rank := int32(-1)
	for i, o := range order {
		if i == 0 || v[o] != v[order[i-1]] {
			rank++
		}
		r[o] = rank
	}
	return r, int(rank + 1)
}

// inversions sorts a ascending by a bottom-up merge sort and returns the
// number of pairs i < j with a[i] > a[j] (equal values are not inverted).
// tmp must be at least as long as a.
func inversions(a, tmp []int32) int64 {
	n := len(a)
	if n < 2 {
		return 0
	}
	var inv int64
	src, dst := a, tmp[:n]
	for width := 1; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid := min(lo+width, n)
			hi := min(lo+2*width, n)
			i, j, o := lo, mid, lo
			for i < mid && j < hi {
				if src[j] < src[i] {
					dst[o] = src[j]
					inv += int64(mid - i)
					j++
				} else {
					dst[o] = src[i]
					i++
				}
				o++
			}
			o += copy(dst[o:], src[i:mid])
			copy(dst[o:], src[j:hi])
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
	return inv
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
