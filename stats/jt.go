package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// JonckheereTerpstra tests k ≥ 2 independent groups, given in their
// hypothesised order, for an ordered alternative: Greater means values tend
// to increase from groups[0] to groups[k−1] (R clinfun's "increasing"),
// Less that they decrease, TwoSided either.
//
// Statistic is Jonckheere's J = Σ_{i<j} U_ij, where U_ij counts the pairs
// (a from group i, b from group j) with a < b, ties counting ½. P comes from
// the normal approximation without continuity correction, with mean
// (N² − Σn_i²)/4 and the ties-corrected null variance of Hollander & Wolfe
// (1999, eq. 6.19):
//
//	[N(N−1)(2N+5) − Σn_i(n_i−1)(2n_i+5) − Σt_j(t_j−1)(2t_j+5)]/72
//	+ [Σn_i(n_i−1)(n_i−2)][Σt_j(t_j−1)(t_j−2)] / [36N(N−1)(N−2)]
//	+ [Σn_i(n_i−1)][Σt_j(t_j−1)] / [8N(N−1)]
//
// where t_j are the sizes of groups of tied values. Use
// JonckheereTerpstraPerm for small or heavily tied samples.
//
// Effect is J / Σ_{i<j} n_i·n_j, the probability that an observation from a
// later group exceeds one from an earlier group (ties ½): 0.5 under the null,
// 1 for a perfectly increasing order. EffectCI is NaN here (no randomness);
// JonckheereTerpstraPerm gives a bootstrap interval. N counts all
// observations. Fewer than 2 non-empty groups, fewer than 3 observations,
// NaNs or a single distinct value give an inconclusive Result; empty groups
// are dropped with a warning.
func JonckheereTerpstra(groups [][]float64, alt Alternative) Result {
	const name = "Jonckheere-Terpstra"
	j, r, ok := newJT(name, groups, alt)
	if !ok {
		return r
	}
	twoJ := j.twoJ(j.labels)
	mean, variance := j.nullMoments()
	z := (float64(twoJ)/2 - mean) / math.Sqrt(variance)
	norm := distuv.UnitNormal
	switch alt {
	case Greater:
		r.P = norm.Survival(z)
	case Less:
		r.P = norm.CDF(z)
	default:
		r.P = 2 * math.Min(norm.CDF(z), norm.Survival(z))
	}
	r.Method = fmt.Sprintf("normal approximation with ties correction (z = %.4g)", z)
	r.Statistic = float64(twoJ) / 2
	r.Effect = r.Statistic / j.pairs
	if j.hasTies && j.n < 30 {
		r.Warnings = append(r.Warnings, fmt.Errorf("%w: the normal approximation may be poor; prefer JonckheereTerpstraPerm", ErrTies))
	}
	return r
}

// JonckheereTerpstraPerm is JonckheereTerpstra with a permutation p-value:
// the pooled observations are reassigned to groups of the same sizes B
// times (B ≤ 0 means DefaultB) with rng, and
// P = (1 + #{permuted J at least as extreme as observed}) / (1 + B), where
// "at least as extreme" is J* ≥ J for Greater, J* ≤ J for Less and
// |J* − E J| ≥ |J − E J| for TwoSided. It is exact in expectation whatever
// the ties. EffectCI is a percentile bootstrap interval at DefaultLevel
// of the Effect, resampling each group independently B times after the
// permutations.
func JonckheereTerpstraPerm(rng *rand.Rand, groups [][]float64, alt Alternative, B int) Result {
	const name = "Jonckheere-Terpstra"
	if B <= 0 {
		B = DefaultB
	}
	j, r, ok := newJT(name, groups, alt)
	if !ok {
		return r
	}
	obs := j.twoJ(j.labels)
	twoMean := int64(math.Round(2 * ((float64(j.n)*float64(j.n) - j.sumN2) / 4)))
	perm := slices.Clone(j.labels)
	extreme := 0
	for range B {
		rng.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		v := j.twoJ(perm)
		switch alt {
		case Greater:
			if v >= obs {
				extreme++
			}
		case Less:
			if v <= obs {
				extreme++
			}
		default:
			if abs64(v-twoMean) >= abs64(obs-twoMean) {
				extreme++
			}
		}
	}
	r.P = float64(1+extreme) / float64(1+B)
	r.Method = fmt.Sprintf("permutation, B=%d", B)
	r.Statistic = float64(obs) / 2
	r.Effect = r.Statistic / j.pairs
	r.EffectCI = j.bootstrapEffect(rng, B, DefaultLevel)
	return r
}

// jt holds the pooled, sorted observations of a Jonckheere–Terpstra test.
type jt struct {
	groups  [][]float64 // the non-empty groups, in order
	n       int
	sorted  []float64 // pooled values, ascending
	labels  []int     // labels[i] is the group of sorted[i]
	blocks  []int     // end offsets of tie blocks in sorted
	sumN2   float64   // Σ n_i²
	pairs   float64   // Σ_{i<j} n_i n_j
	hasTies bool
	// scratch
	less, inBlock []int64
}

func newJT(name string, groups [][]float64, alt Alternative) (*jt, Result, bool) {
	r := Result{Test: name, Alt: alt, Statistic: math.NaN(), P: math.NaN(), Effect: math.NaN(), EffectCI: nanCI(DefaultLevel)}
	j := &jt{}
	type obs struct {
		v float64
		g int
	}
	var pooled []obs
	for i, g := range groups {
		if len(g) == 0 {
			r.Warnings = append(r.Warnings, Warnf(ErrDropped, "group %d is empty and was dropped", i))
			continue
		}
		if slices.ContainsFunc(g, math.IsNaN) {
			return nil, inconclusive(name, alt, 0, DefaultLevel, fmt.Sprintf("group %d holds a NaN", i)), false
		}
		for _, v := range g {
			pooled = append(pooled, obs{v, len(j.groups)})
		}
		j.groups = append(j.groups, g)
	}
	j.n = len(pooled)
	r.N = j.n
	if len(j.groups) < 2 || j.n < 3 {
		bad := inconclusive(name, alt, j.n, DefaultLevel,
			fmt.Sprintf("%d non-empty groups with %d observations, need at least 2 groups and 3 observations", len(j.groups), j.n))
		bad.Warnings = append(r.Warnings, bad.Warnings...)
		return nil, bad, false
	}
	slices.SortFunc(pooled, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	j.sorted = make([]float64, j.n)
	j.labels = make([]int, j.n)
	for i, o := range pooled {
		j.sorted[i], j.labels[i] = o.v, o.g
		if i == j.n-1 || pooled[i+1].v != o.v {
			j.blocks = append(j.blocks, i+1)
		}
	}
	if len(j.blocks) == 1 {
		return nil, inconclusive(name, alt, j.n, DefaultLevel, "all observations are equal"), false
	}
	j.hasTies = len(j.blocks) < j.n
	var sumN float64
	for _, g := range j.groups {
		ni := float64(len(g))
		j.pairs += sumN * ni
		sumN += ni
		j.sumN2 += ni * ni
	}
	j.less = make([]int64, len(j.groups))
	j.inBlock = make([]int64, len(j.groups))
	return j, r, true
}

// twoJ returns 2J for the given assignment of the sorted pooled values to
// groups. It walks the tie blocks in ascending order keeping, per group,
// how many values lie strictly below the block: each value of group g
// gains the count of earlier-group values below it, and ½ for each
// earlier-group value tied with it. O(N·k).
func (j *jt) twoJ(labels []int) int64 {
	less, in := j.less, j.inBlock
	clear(less)
	var twoJ int64
	start := 0
	for _, end := range j.blocks {
		clear(in)
		for _, g := range labels[start:end] {
			in[g]++
		}
		var below, tied int64 // over groups before g
		for g := range less {
			twoJ += in[g] * (2*below + tied)
			below += less[g]
			tied += in[g]
		}
		for g := range less {
			less[g] += in[g]
		}
		start = end
	}
	return twoJ
}

// nullMoments returns the null mean and ties-corrected variance of J.
func (j *jt) nullMoments() (mean, variance float64) {
	N := float64(j.n)
	var a, b, c float64 // Σ over groups
	for _, g := range j.groups {
		n := float64(len(g))
		a += n * (n - 1) * (2*n + 5)
		b += n * (n - 1) * (n - 2)
		c += n * (n - 1)
	}
	var ta, tb, tc float64 // Σ over tie blocks
	start := 0
	for _, end := range j.blocks {
		t := float64(end - start)
		ta += t * (t - 1) * (2*t + 5)
		tb += t * (t - 1) * (t - 2)
		tc += t * (t - 1)
		start = end
	}
	mean = (N*N - j.sumN2) / 4
	variance = (N*(N-1)*(2*N+5)-a-ta)/72 +
		b*tb/(36*N*(N-1)*(N-2)) +
		c*tc/(8*N*(N-1))
	return mean, variance
}

// bootstrapEffect resamples each group with replacement B times and returns
// the percentile interval of J / Σ n_i n_j.
func (j *jt) bootstrapEffect(rng *rand.Rand, B int, level float64) CI {
	resampled := make([][]float64, len(j.groups))
	for i, g := range j.groups {
		resampled[i] = make([]float64, len(g))
	}
	reps := make([]float64, 0, B)
	for range B {
		for i, g := range j.groups {
			for k := range resampled[i] {
				resampled[i][k] = g[rng.IntN(len(g))]
			}
		}
		reps = append(reps, jOf(resampled)/j.pairs)
	}
	return PercentileCI(reps, level)
}

// jOf computes J directly: for each ordered pair of groups, both sorted, a
// two-pointer count of smaller and tied values.
func jOf(groups [][]float64) float64 {
	for _, g := range groups {
		slices.Sort(g)
	}
	var J float64
	for a := range groups {
		for b := a + 1; b < len(groups); b++ {
			J += mannWhitneyCount(groups[a], groups[b])
		}
	}
	return J
}

// mannWhitneyCount returns #{(u, v) : u < v} + ½ #{u = v} over u from x and v
// from y, both sorted ascending, in O(len(x)+len(y)).
func mannWhitneyCount(x, y []float64) float64 {
	var count float64
	lo, hi := 0, 0 // y[:lo] < u, y[:hi] ≤ u
	for _, u := range x {
		for lo < len(y) && y[lo] < u {
			lo++
		}
		if hi < lo {
			hi = lo
		}
		for hi < len(y) && y[hi] <= u {
			hi++
		}
		count += float64(len(y)-hi) + 0.5*float64(hi-lo)
	}
	return count
}
