package kerneltrace

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hypobench/hypobench/record"
)

func TestSplitLog10(t *testing.T) {
	t.Parallel()
	us := time.Microsecond
	for _, tc := range []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"two clusters", []time.Duration{5 * us, 6 * us, 7 * us, 900 * us, 1100 * us}, 63 * us},
		{"adjacent integers", []time.Duration{10, 10, 11, 11}, 11},
		{"all equal", []time.Duration{5 * us, 5 * us}, 0},
		{"one", []time.Duration{5 * us}, 0},
		{"zeros ignored", []time.Duration{0, 0, 10, 1000}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, eta := SplitLog10(tc.in)
			if eta < 0 || eta > 1 || (got == 0) != (eta == 0) {
				t.Errorf("separation %v with threshold %v", eta, got)
			}
			// The two-cluster split is the geometric mean of 7µs and 900µs.
			if tc.name == "two clusters" {
				if got <= 7*us || got >= 900*us || got.Round(us) != 79*us {
					t.Errorf("SplitLog10 = %v, want ≈ 79µs between the clusters", got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("SplitLog10 = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSplitSeparation: two clear groups separate near 1, a unimodal
// spread near Otsu's 0.64–0.75.
func TestSplitSeparation(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	var two, one []time.Duration
	for i := range 400 {
		base := 10e3
		if i%2 == 0 {
			base = 1e6
		}
		two = append(two, time.Duration(base*math.Exp(0.2*rng.NormFloat64())))
		one = append(one, time.Duration(30e3*math.Exp(0.2*rng.NormFloat64())))
	}
	if _, eta := SplitLog10(two); eta < 0.95 {
		t.Errorf("two groups: separation %.3f, want > 0.95", eta)
	}
	if _, eta := SplitLog10(one); eta < 0.55 || eta > 0.8 {
		t.Errorf("one group: separation %.3f, want 0.55–0.8", eta)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]Class{
		"sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n":                            ClassGEMM,
		"nvjet_tst_128x64_64x8_2x1_v_bz_coopA_TNT":                            ClassGEMM,
		"void cutlass::Kernel2<cutlass_80_tensorop_bf16_s16816gemm>(Params)":  ClassGEMM,
		"ampere_bf16_s16816gemm_bf16_128x64_ldg8_f2f_stages_64x3_tn":          ClassGEMM,
		"void flash::flash_fwd_kernel<Flash_fwd_kernel_traits<128>>(params)":  ClassAttention,
		"void vllm::paged_attention_v2_kernel<c10::BFloat16, 128, 16>(float)": ClassAttention,
		"void cutlass::fmha::kernel<attention>(p)":                            ClassAttention,
		"void vllm::rms_norm_kernel<c10::BFloat16>(float, int)":               ClassElementwise,
		"void at::native::vectorized_elementwise_kernel<4>(int)":              ClassElementwise,
		"void at::native::reduce_kernel<512, 1>(ReduceOp)":                    ClassElementwise,
		"ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevComm*)":              ClassOther,
		// The KV-cache write mentions flash but is a copy.
		"void vllm::reshape_and_cache_flash_kernel<__nv_bfloat16, 128>(long)": ClassElementwise,
		"vllm::reshape_and_cache_flash_kernel":                                ClassElementwise,
		"void vllm::concat_and_cache_mla_kernel<float>(int)":                  ClassElementwise,
		"flash_fwd_splitkv_kernel":                                            ClassAttention,
		"vllm::act_and_mul_kernel<silu>":                                      ClassElementwise,
		"gemv_splitk_f16_tn_down_proj":                                        ClassGEMM,
	} {
		if got := Classify(name); got != want {
			t.Errorf("Classify(%q) = %s, want %s", name, got, want)
		}
	}
}

func TestUnionBusy(t *testing.T) {
	t.Parallel()
	es := []Event{{Start: 0, Dur: 10}, {Start: 5, Dur: 10}, {Start: 20, Dur: 5}, {Start: 22, Dur: 1}, {Start: 28, Dur: 10}}
	if got := unionBusy(es, Window{Start: 0, End: 30}); got != 15+5+2 {
		t.Errorf("unionBusy = %d, want 22 (overlaps once, clipped at 30)", got)
	}
}

func TestNamesProfile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text, profile string
		want          bool
	}{
		{"long_short", "long_short", true},
		{"phase 2 LONG_SHORT c=8", "long_short", true},
		{"long_short_long", "long_short", false},
		{"xlong_short", "long_short", false},
		{"short_long/long_short", "long_short", true},
		{"", "long_short", false},
	} {
		if got := namesProfile(tc.text, tc.profile); got != tc.want {
			t.Errorf("namesProfile(%q, %q) = %v", tc.text, tc.profile, got)
		}
	}
	if c := concurrencyIn("phase 2 long_short c=16"); c != 16 {
		t.Errorf("concurrencyIn = %d", c)
	}
}

func TestPhases(t *testing.T) {
	t.Parallel()
	ph := []record.Phase{
		{Index: 0, Profile: "short_long", StartUnixNs: 1000, EndUnixNs: 2000},
		{Index: 1, Profile: "long_short", StartUnixNs: 2000, EndUnixNs: 3000},
	}
	ranges := []Range{{Name: "long_short", Start: 2100, End: 2900}, {Name: "short_long", Start: 1100, End: 1900}}
	events := func() []Event { return []Event{{Start: 100}, {Start: 500}, {Start: 1500}} }

	tr := &Trace{Events: events(), Ranges: ranges, HasBase: true}
	ws, al, _, err := Phases(tr, ph, SourceAuto)
	if err != nil || al != AlignNVTX || ws[0].Start != 1100 || ws[1].Profile != "long_short" || ws[1].Index != 1 {
		t.Errorf("auto with NVTX: %v %s %v", ws, al, err)
	}
	ws, al, _, err = Phases(tr, ph, SourceWallClock)
	if err != nil || al != AlignWallClock || ws[0].Start != 1000 {
		t.Errorf("wall-clock: %v %s %v", ws, al, err)
	}
	tr = &Trace{Events: events(), Ranges: ranges[:1], HasBase: true}
	if _, al, _, err = Phases(tr, ph, SourceAuto); err != nil || al != AlignWallClock {
		t.Errorf("partial NVTX must fall back to wall-clock: %s %v", al, err)
	}
	if _, _, _, err = Phases(tr, ph, SourceNVTX); !errors.Is(err, ErrNoPhases) {
		t.Errorf("NVTX required but partial: err = %v", err)
	}
	tr = &Trace{Events: events()}
	ws, al, warn, err := Phases(tr, ph, SourceAuto)
	if err != nil || al != AlignFirstKernel || len(warn) != 1 || tr.Events[0].Start != 1000 || tr.Events[2].Start != 2400 {
		t.Errorf("first-kernel: %v %s %v %v events %v", ws, al, warn, err, tr.Events)
	}
	if _, _, _, err = Phases(&Trace{Events: events(), HasBase: true}, nil, SourceAuto); !errors.Is(err, ErrNoPhases) {
		t.Errorf("no phases: err = %v", err)
	}
	bad := []record.Phase{{Index: 0, Profile: "x", StartUnixNs: 5, EndUnixNs: 5}}
	if _, _, _, err = Phases(&Trace{HasBase: true}, bad, SourceAuto); err == nil {
		t.Error("empty phase accepted")
	}
}

func TestAnalyzeCounts(t *testing.T) {
	t.Parallel()
	tr := &Trace{HasBase: true, Events: []Event{
		{Start: 0, Dur: 10, Name: "a"},        // before
		{Start: 1000, Dur: 100, Name: "gemm"}, // phase 0, long
		{Start: 1200, Dur: 10, Name: "add"},   // phase 0, short
		{Start: 1999, Dur: 500, Name: "gemm"}, // phase 0 (by start), long
		{Start: 2000, Dur: 10, Name: "add"},   // phase 1
		{Start: 5000, Dur: 10, Name: "add"},   // after
	}}
	ph := []record.Phase{
		{Index: 0, Profile: "p", StartUnixNs: 1000, EndUnixNs: 2000},
		{Index: 1, Profile: "q", StartUnixNs: 2000, EndUnixNs: 3000},
	}
	a, err := Analyze(tr, ph, Options{Threshold: 100})
	if err != nil {
		t.Fatal(err)
	}
	p := a.Phases[0]
	if a.Outside != 2 || p.Kernels != 3 || p.Long != 2 || p.Short != 1 || p.KernelTime != 610 || p.Busy != 100+10+1 {
		t.Errorf("outside %d, phase 0 %+v", a.Outside, p)
	}
	if p.LongShare != 600.0/610 || p.ShortDensity != 1/(610.0/1e6) || p.P50 != 100 || p.Top[0].Name != "gemm" || p.ClassTime[ClassGEMM] != 600 {
		t.Errorf("phase 0 stats %+v", p)
	}
	if a.Threshold != (Threshold{Method: "stated", Value: 100}) {
		t.Errorf("threshold %+v", a.Threshold)
	}
}
