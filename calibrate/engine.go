package calibrate

import (
	"fmt"
	"maps"
	"math"

	"github.com/hypobench/hypobench/engine"
)

// Slower returns cfg with a GPU k times slower: its memory bandwidth and
// every peak FLOP/s divided by k, so every kernel of every step takes k
// times as long, while the host-side step overhead and the API server's
// front-end keep their cost. A latency's true ratio is therefore not k
// itself (fixed costs dilute it, batching reshuffles it); Tune finds the k
// that puts a chosen quantile's ratio where it is wanted.
func Slower(cfg engine.Config, k float64) (engine.Config, error) {
	if !(k > 0) || math.IsInf(k, 0) {
		return cfg, fmt.Errorf("slowdown %g: want a positive number", k)
	}
	gpu := cfg.GPU
	if gpu == nil {
		g, _, err := engine.ParseSpec(cfg.Spec)
		if err != nil {
			return cfg, fmt.Errorf("slowing down %q: %w", cfg.Spec, err)
		}
		gpu = &g
	}
	g := *gpu
	g.BandwidthGBs /= k
	g.PeakTFLOPs = maps.Clone(g.PeakTFLOPs)
	for d := range g.PeakTFLOPs {
		g.PeakTFLOPs[d] /= k
	}
	cfg.GPU = &g
	return cfg, nil
}
