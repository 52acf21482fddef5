package kerneltrace

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/hypobench/hypobench/record"
)

// The synthetic timeline behind fixtures/traces: four ordered phases (SS,
// SL, LS, LL) of 120 ms on one device and stream, with a warm-up before
// the first phase and one decode step in each gap between phases. Decode
// steps launch seven short kernels; prefill chunks launch six, long ones
// for long prompts.

// synthSessionStart is the capture's start: 2026-01-01T00:00:00Z.
const synthSessionStart int64 = 1_767_225_600_000_000_000

// synthKineto base is before the first kernel, as kineto's is.
const synthKinetoBase = synthSessionStart - 3_000_000_457

type synthKernel struct {
	short, name string
	us          float64 // median duration, µs
}

var (
	kNorm  = synthKernel{"rms_norm_kernel", "void vllm::rms_norm_kernel<c10::BFloat16>(c10::BFloat16*, float, int)", 0}
	kQKV   = synthKernel{"sm90_xmma_gemm_bf16bf16_bf16f32", "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1", 0}
	kPaged = synthKernel{"paged_attention_v2_kernel", "void vllm::paged_attention_v2_kernel<c10::BFloat16, 128, 16>(float*, int)", 0}
	kFlash = synthKernel{"flash_fwd_kernel", "void flash::flash_fwd_kernel<Flash_fwd_kernel_traits<128, 128, 64, 4>, true>(Flash_fwd_params)", 0}
	kO     = synthKernel{"nvjet_tst_128x64_64x8_2x1_v_bz_coopA_TNT", "nvjet_tst_128x64_64x8_2x1_v_bz_coopA_TNT", 0}
	kSilu  = synthKernel{"act_and_mul_kernel", "void vllm::act_and_mul_kernel<c10::BFloat16, &vllm::silu_kernel>(c10::BFloat16*, int)", 0}
	kDown  = synthKernel{"Kernel2", "void cutlass::Kernel2<cutlass_80_tensorop_bf16_s16816gemm_relu_bf16_64x64_64x4_tn_align8>(T1::Params)", 0}
	kArgm  = synthKernel{"reduce_kernel", "void at::native::reduce_kernel<512, 1>(at::native::ReduceOp<float, at::native::ArgMaxOps<float>, unsigned int, long, 4>)", 0}
)

func with(k synthKernel, us float64) synthKernel { k.us = us; return k }

var (
	decodeStep   = []synthKernel{with(kNorm, 4), with(kQKV, 22), with(kPaged, 14), with(kO, 9), with(kSilu, 5), with(kDown, 20), with(kArgm, 6)}
	shortPrefill = []synthKernel{with(kNorm, 8), with(kQKV, 90), with(kFlash, 50), with(kO, 30), with(kSilu, 10), with(kDown, 110)}
	longPrefill  = []synthKernel{with(kNorm, 40), with(kQKV, 900), with(kFlash, 600), with(kO, 300), with(kSilu, 60), with(kDown, 1100)}
)

// synthPhase says how often each kind of step is launched in one phase.
type synthPhase struct {
	profile                   string
	decodeEvery, prefillEvery time.Duration
	prefill                   []synthKernel
}

var synthPhases = []synthPhase{
	{"short_short", 4 * time.Millisecond, 8 * time.Millisecond, shortPrefill},
	{"short_long", 2 * time.Millisecond, 30 * time.Millisecond, shortPrefill},
	{"long_short", 10 * time.Millisecond, 5 * time.Millisecond, longPrefill},
	{"long_long", 4 * time.Millisecond, 10 * time.Millisecond, longPrefill},
}

const (
	synthPhaseLen = 120 * time.Millisecond
	synthGap      = 30 * time.Millisecond
	synthLead     = 40 * time.Millisecond
)

// synth is a generated timeline in absolute unix ns.
type synth struct {
	events []Event
	shorts map[string]string // demangled name → short name
	phases []record.Phase
	ranges []Range
}

// genSynth builds the timeline. uniform makes every kernel last the same
// (the negative control: no long/short structure).
func genSynth(seed uint64, uniform bool) synth {
	rng := rand.New(rand.NewPCG(seed, 0x6b65726e656c))
	s := synth{shorts: map[string]string{}}
	var cursor int64 // end of the last kernel on the stream
	step := func(at int64, ks []synthKernel) {
		t := max(at, cursor+1000)
		for _, k := range ks {
			us := k.us * math.Exp(0.2*rng.NormFloat64())
			if uniform {
				us = 30 * math.Exp(0.05*rng.NormFloat64())
			}
			d := int64(math.Round(us * 1000))
			s.events = append(s.events, Event{Start: t, Dur: time.Duration(d), Name: k.name, Device: 0, Stream: 7})
			s.shorts[k.name] = k.short
			t += d + 1000 + rng.Int64N(3000) // launch gap 1–4 µs
		}
		cursor = t
	}
	// Warm-up: ten decode steps before the first phase.
	for i := range 10 {
		step(synthSessionStart+int64(10*time.Millisecond)+int64(i)*int64(2*time.Millisecond), decodeStep)
	}
	for i, p := range synthPhases {
		start := synthSessionStart + int64(synthLead) + int64(i)*int64(synthPhaseLen+synthGap)
		end := start + int64(synthPhaseLen)
		s.phases = append(s.phases, record.Phase{Index: i, Suite: "fixture", Profile: p.profile, Concurrency: 4,
			Requests: 16, StartUnixNs: start, EndUnixNs: end, Status: "complete"})
		s.ranges = append(s.ranges, Range{Name: fmt.Sprintf("phase %d %s c=4", i, p.profile), Start: start, End: end})
		nextD, nextP := start+int64(500*time.Microsecond), start+int64(time.Millisecond)
		for {
			at := min(nextD, nextP)
			if at >= end-int64(4*time.Millisecond) {
				break
			}
			if nextP <= nextD {
				step(nextP, p.prefill)
				nextP += int64(p.prefillEvery)
			} else {
				step(nextD, decodeStep)
				nextD += int64(p.decodeEvery)
			}
		}
		if i < len(synthPhases)-1 {
			step(end+int64(synthGap)/2, decodeStep) // outside every phase
		}
	}
	sortEvents(s.events)
	return s
}

func (s synth) trace() *Trace {
	return &Trace{Events: append([]Event(nil), s.events...), Ranges: s.ranges, HasBase: true, BaseUnixNs: synthSessionStart}
}

func (s synth) phasesJSONL() []byte {
	var b bytes.Buffer
	for _, p := range s.phases {
		line, _ := json.Marshal(p)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// csvBytes renders the timeline as nsys stats cuda_gpu_trace CSV, with the
// NOTICE preamble, the GreenCtx column and two memory rows.
func (s synth) csvBytes() []byte {
	var b bytes.Buffer
	b.WriteString("NOTICE: Existing SQLite export found: nsys.sqlite\n")
	b.WriteString("        It is assumed file was previously exported from: nsys.nsys-rep\n\n")
	b.WriteString("Processing [nsys.sqlite] with [/opt/nvidia/nsight-systems/target-linux-x64/reports/cuda_gpu_trace.py]... \n")
	w := csv.NewWriter(&b)
	w.Write([]string{"Start (ns)", "Duration (ns)", "CorrId", "GrdX", "GrdY", "GrdZ", "BlkX", "BlkY", "BlkZ",
		"Reg/Trd", "StcSMem (MB)", "DymSMem (MB)", "Bytes (MB)", "Throughput (MB/s)", "SrcMemKd", "DstMemKd",
		"Device", "Ctx", "GreenCtx", "Strm", "Name"})
	rel := func(t int64) string { return strconv.FormatInt(t-synthSessionStart, 10) }
	w.Write([]string{rel(synthSessionStart + 2_000_000), "150000", "1", "", "", "", "", "", "", "", "", "", "64.000", "426666.667",
		"Pageable", "Device", "NVIDIA H200 (0)", "1", "", "7", "[CUDA memcpy Host-to-Device]"})
	w.Write([]string{rel(synthSessionStart + 2_200_000), "2000", "2", "", "", "", "", "", "", "", "", "", "1.000", "500000.000",
		"", "Device", "NVIDIA H200 (0)", "1", "", "7", "[CUDA memset]"})
	for i, e := range s.events {
		w.Write([]string{rel(e.Start), strconv.FormatInt(int64(e.Dur), 10), strconv.Itoa(i + 10), "132", "1", "1", "128", "1", "1",
			"96", "0.000", "0.049", "", "", "", "", fmt.Sprintf("NVIDIA H200 (%d)", e.Device), "1", "", strconv.Itoa(e.Stream), e.Name})
	}
	w.Flush()
	return b.Bytes()
}

// kinetoBytes renders the timeline as a gzipped kineto trace with a few CPU
// ops, a memcpy and metadata events around the kernels.
func (s synth) kinetoBytes() []byte {
	type ev map[string]any
	us := func(t int64) json.Number {
		d := t - synthKinetoBase
		return json.Number(fmt.Sprintf("%d.%03d", d/1000, d%1000))
	}
	evs := []any{
		ev{"ph": "M", "name": "process_name", "pid": 0, "tid": 0, "args": ev{"name": "python"}},
		ev{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 4242, "tid": 4242, "ts": us(synthSessionStart + 1_000_000), "dur": json.Number("12.5"), "args": ev{"External id": 1}},
		ev{"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy HtoD (Pageable -> Device)", "pid": 0, "tid": 7, "ts": us(synthSessionStart + 2_000_000), "dur": json.Number("150.000"), "args": ev{"device": 0, "stream": 7}},
	}
	for i, e := range s.events {
		evs = append(evs, ev{"ph": "X", "cat": "kernel", "name": e.Name, "pid": e.Device, "tid": e.Stream,
			"ts": us(e.Start), "dur": json.Number(fmt.Sprintf("%d.%03d", e.Dur/1000, e.Dur%1000)),
			"args": ev{"External id": i + 10, "device": e.Device, "stream": e.Stream, "correlation": i + 100, "grid": []int{132, 1, 1}}})
		if i%50 == 0 {
			evs = append(evs, ev{"ph": "f", "id": i + 100, "pid": e.Device, "tid": e.Stream, "ts": us(e.Start), "cat": "ac2g", "name": "ac2g", "bp": "e"})
		}
	}
	doc := struct {
		Schema  int    `json:"schemaVersion"`
		Devices []ev   `json:"deviceProperties"`
		Unit    string `json:"displayTimeUnit"`
		Base    int64  `json:"baseTimeNanoseconds"`
		Events  []any  `json:"traceEvents"`
		Name    string `json:"traceName"`
	}{1, []ev{{"id": 0, "name": "NVIDIA H200", "numSms": 132}}, "ms", synthKinetoBase, evs, "fixture.pt.trace.json"}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	enc := json.NewEncoder(zw)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		panic(err)
	}
	zw.Close()
	return b.Bytes()
}

// writeSQLite writes the timeline as a minimal Nsight Systems export: the
// tables and columns ReadSQLite reads, rows inserted in a shuffled order.
func (s synth) writeSQLite(ctx context.Context, path string) error {
	os.Remove(path)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	stmts := []string{
		`CREATE TABLE StringIds (id INTEGER NOT NULL PRIMARY KEY, value TEXT NOT NULL)`,
		`CREATE TABLE TARGET_INFO_SESSION_START_TIME (utcEpochNs INTEGER, utcTime TEXT, localTime TEXT)`,
		`CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (start INTEGER NOT NULL, end INTEGER NOT NULL, deviceId INTEGER NOT NULL,
			contextId INTEGER NOT NULL, streamId INTEGER NOT NULL, correlationId INTEGER, globalPid INTEGER,
			demangledName INTEGER NOT NULL, shortName INTEGER NOT NULL)`,
		`CREATE TABLE NVTX_EVENTS (start INTEGER NOT NULL, end INTEGER, eventType INTEGER NOT NULL, rangeId INTEGER,
			text TEXT, globalTid INTEGER, textId INTEGER)`,
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	ids := map[string]int{}
	id := func(v string) int {
		if n, ok := ids[v]; ok {
			return n
		}
		ids[v] = len(ids) + 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO StringIds VALUES (?, ?)`, ids[v], v); err != nil {
			panic(err)
		}
		return ids[v]
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO TARGET_INFO_SESSION_START_TIME VALUES (?, ?, ?)`, synthSessionStart,
		time.Unix(0, synthSessionStart).UTC().Format(time.RFC3339Nano), time.Unix(0, synthSessionStart).UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, i := range rng.Perm(len(s.events)) {
		e := s.events[i]
		if _, err := tx.ExecContext(ctx, `INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (?, ?, ?, 1, ?, ?, 4242, ?, ?)`,
			e.Start-synthSessionStart, e.End()-synthSessionStart, e.Device, e.Stream, i+100, id(e.Name), id(s.shorts[e.Name])); err != nil {
			return err
		}
	}
	for i, r := range s.ranges {
		// Alternate the two ways nsys stores text: inline and via StringIds.
		text, textID := any(r.Name), any(nil)
		if i%2 == 1 {
			text, textID = nil, id(r.Name)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO NVTX_EVENTS VALUES (?, ?, 59, ?, ?, 4242, ?)`,
			r.Start-synthSessionStart, r.End-synthSessionStart, i, text, textID); err != nil {
			return err
		}
	}
	// A mark (no end) is not a range.
	if _, err := tx.ExecContext(ctx, `INSERT INTO NVTX_EVENTS VALUES (?, NULL, 34, NULL, 'profile start', 4242, NULL)`, int64(time.Millisecond)); err != nil {
		return err
	}
	return tx.Commit()
}
