package kerneltrace

// WindowSums are one time window's kernel sums after a long/short split:
// what H4's statistics (hypotheses.H4Trace) are ratios of, and what a
// calibration (package calibrate) generates.
type WindowSums struct {
	KernelTime float64 `json:"kernel_time_ns"` // every kernel's duration
	LongTime   float64 `json:"long_time_ns"`   // long blocks' durations
	Long       float64 `json:"long"`           // long blocks
	Short      float64 `json:"short"`          // short fragments
}
