package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// progeny is the worked example on statext.com's Jonckheere–Terpstra page
// (data from mcardle.wisc.edu/mstat Notes-05): total progeny of males with
// 2, 1, 0 copies of a mutant allele, tested for increasing order.
var progeny = [][]float64{{16, 8, 6}, {27, 16, 15}, {31, 29, 18, 42}}

func TestJonckheereTerpstraHandExample(t *testing.T) {
	t.Parallel()
	// Derivation by hand:
	//   U12: 16 → 1 (27) + ½ (16) = 1.5; 8 → 3; 6 → 3;         U12 = 7.5
	//   U13: every value of group 1 is below all 4 of group 3:    U13 = 12
	//   U23: 27 → 3 (31, 29, 42); 16 → 4; 15 → 4;              U23 = 11
	//   J = 30.5. N = 10, Σn² = 34, E J = (100 − 34)/4 = 16.5.
	//   Var: [10·9·25 − (3·2·11 + 3·2·11 + 4·3·13) − 2·1·9]/72 = 1944/72 = 27
	//        + [6+6+24]·[0]/(36·720) = 0
	//        + [6+6+12]·[2]/(8·90) = 48/720 = 1/15
	//        = 27.0666…; z = 14/√27.0666… = 2.6910.
	want := distuv.UnitNormal.Survival(14 / math.Sqrt(27+1.0/15))
	r := JonckheereTerpstra(progeny, Greater)
	if r.Statistic != 30.5 || r.N != 10 || !close(r.P, want, 1e-12) {
		t.Errorf("got J = %v, N = %d, P = %v; want 30.5, 10, %v", r.Statistic, r.N, r.P, want)
	}
	if !close(r.P, 0.003562, 1e-3) {
		t.Errorf("P = %v, hand value 0.00356", r.P)
	}
	if !close(r.Effect, 30.5/33, 1e-12) { // Σ_{i<j} n_i n_j = 9 + 12 + 12
		t.Errorf("Effect = %v, want %v", r.Effect, 30.5/33)
	}
	if rl := JonckheereTerpstra(progeny, Less); !close(rl.P, 1-want, 1e-12) {
		t.Errorf("Less: P = %v, want %v", rl.P, 1-want)
	}
	if r2 := JonckheereTerpstra(progeny, TwoSided); !close(r2.P, 2*want, 1e-12) {
		t.Errorf("TwoSided: P = %v, want %v", r2.P, 2*want)
	}
}

// naiveJ counts J over all cross-group pairs, O(N²).
func naiveJ(groups [][]float64) float64 {
	var J float64
	for a := range groups {
		for b := a + 1; b < len(groups); b++ {
			for _, u := range groups[a] {
				for _, v := range groups[b] {
					switch {
					case u < v:
						J++
					case u == v:
						J += 0.5
					}
				}
			}
		}
	}
	return J
}

// enumerateJ returns J for every distinct assignment of the pooled values to
// groups of the given sizes (all multiset permutations of the labels).
func enumerateJ(groups [][]float64) []float64 {
	var pooled []float64
	var labels []int
	for g, vs := range groups {
		pooled = append(pooled, vs...)
		for range vs {
			labels = append(labels, g)
		}
	}
	var js []float64
	for {
		gs := make([][]float64, len(groups))
		for i, l := range labels {
			gs[l] = append(gs[l], pooled[i])
		}
		js = append(js, naiveJ(gs))
		// next permutation of labels
		i := len(labels) - 2
		for i >= 0 && labels[i] >= labels[i+1] {
			i--
		}
		if i < 0 {
			return js
		}
		k := len(labels) - 1
		for labels[k] <= labels[i] {
			k--
		}
		labels[i], labels[k] = labels[k], labels[i]
		slices.Reverse(labels[i+1:])
	}
}

// TestJonckheereTerpstraNullMoments checks the ties-corrected mean and
// variance formulas against the exact permutation distribution obtained by
// enumerating every assignment (4200 for sizes 3, 3, 4), and the
// permutation p-value against the exact tail probability.
func TestJonckheereTerpstraNullMoments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		groups [][]float64
	}{
		{"progeny", progeny},
		{"heavy ties", [][]float64{{1, 2, 2}, {2, 3, 3}, {3, 3, 4, 5}}},
		{"four groups", [][]float64{{1, 1}, {2, 1}, {3, 2}, {3, 3, 4}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js := enumerateJ(tc.groups)
			var m, v float64
			for _, J := range js {
				m += J
			}
			m /= float64(len(js))
			for _, J := range js {
				v += (J - m) * (J - m)
			}
			v /= float64(len(js))
			j, _, ok := newJT("", tc.groups, Greater)
			if !ok {
				t.Fatal("newJT failed")
			}
			fm, fv := j.nullMoments()
			if !close(fm, m, 1e-12) || !close(fv, v, 1e-9) {
				t.Errorf("formula mean %v var %v; enumeration %v %v", fm, fv, m, v)
			}
			obs := naiveJ(tc.groups)
			if got := JonckheereTerpstra(tc.groups, Greater).Statistic; got != obs {
				t.Errorf("J = %v, naive %v", got, obs)
			}
			ge := 0
			for _, J := range js {
				if J >= obs {
					ge++
				}
			}
			exact := float64(ge) / float64(len(js))
			const B = 20000
			r := JonckheereTerpstraPerm(rand.New(rand.NewPCG(9, 9)), tc.groups, Greater, B)
			if se := math.Sqrt(exact * (1 - exact) / B); math.Abs(r.P-exact) > 4*se+1.0/B {
				t.Errorf("permutation P = %v, exact %v", r.P, exact)
			}
			if !r.EffectCI.Valid() || r.EffectCI.Lo > r.Effect || r.EffectCI.Hi < r.Effect {
				t.Errorf("EffectCI %v does not hold Effect %v", r.EffectCI, r.Effect)
			}
		})
	}
}

func TestJonckheereTerpstraMatchesNaive(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 200 {
		k := 2 + rng.IntN(5)
		groups := make([][]float64, k)
		for g := range groups {
			groups[g] = make([]float64, 1+rng.IntN(12))
			for i := range groups[g] {
				groups[g][i] = float64(rng.IntN(10) + g)
			}
		}
		want := naiveJ(groups)
		r := JonckheereTerpstra(groups, Greater)
		if math.IsNaN(r.P) {
			continue // all equal: covered elsewhere
		}
		if r.Statistic != want {
			t.Fatalf("trial %d: J = %v, naive %v (%v)", trial, r.Statistic, want, groups)
		}
		clone := make([][]float64, k)
		for g := range groups {
			clone[g] = slices.Clone(groups[g])
		}
		if got := jOf(clone); got != want {
			t.Fatalf("trial %d: jOf = %v, naive %v", trial, got, want)
		}
	}
}

func TestJonckheereTerpstraTrend(t *testing.T) {
	t.Parallel()
	data := rand.New(rand.NewPCG(8, 8))
	groups := make([][]float64, 5)
	for g := range groups {
		for range 20 {
			groups[g] = append(groups[g], float64(g)+data.NormFloat64())
		}
	}
	r := JonckheereTerpstra(groups, Greater)
	if r.P > 1e-6 || r.Effect < 0.7 {
		t.Errorf("strong increasing trend: %+v", r)
	}
	rp := JonckheereTerpstraPerm(rand.New(rand.NewPCG(1, 1)), groups, Greater, 999)
	if rp.P != 1.0/1000 || rp.EffectCI.Lo < 0.6 {
		t.Errorf("strong increasing trend, permutation: %+v", rp)
	}
	if rl := JonckheereTerpstra(groups, Less); rl.P < 0.999 {
		t.Errorf("wrong direction should not be significant: %+v", rl)
	}
	perfect := [][]float64{{1, 2}, {3, 4}, {5, 6}}
	if r := JonckheereTerpstra(perfect, Greater); r.Effect != 1 {
		t.Errorf("perfectly ordered groups: Effect = %v, want 1", r.Effect)
	}
}

func TestJonckheereTerpstraTooLittleData(t *testing.T) {
	t.Parallel()
	for name, groups := range map[string][][]float64{
		"one group":   {{1, 2, 3}},
		"two values":  {{1}, {2}},
		"all equal":   {{1, 1}, {1, 1}},
		"NaN":         {{1, math.NaN()}, {2, 3}},
		"empty input": nil,
	} {
		t.Run(name, func(t *testing.T) {
			r := JonckheereTerpstra(groups, Greater)
			if !math.IsNaN(r.P) || len(r.Warnings) == 0 {
				t.Errorf("Result = %+v, want NaN P and a warning", r)
			}
		})
	}
	r := JonckheereTerpstra([][]float64{{1, 2}, {}, {3, 4}}, Greater)
	if math.IsNaN(r.P) || len(r.Warnings) != 1 || r.N != 4 {
		t.Errorf("empty middle group should be dropped with a warning: %+v", r)
	}
}
