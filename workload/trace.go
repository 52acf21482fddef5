package workload

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// TraceFormat names a request-trace file format.
type TraceFormat string

// Trace formats. Each is documented with the columns read in the package doc.
const (
	// TraceHypobench is hypobench's own JSONL: one object per line with
	// "at_s" (seconds from the phase's start, ≥ 0), "prompt_tokens" and
	// "output_tokens" (≥ 1); unknown fields are rejected.
	TraceHypobench TraceFormat = "hypobench"
	// TraceMooncake is the Mooncake (Kimi) trace JSONL: "timestamp" (ms from
	// the trace's first request), "input_length", "output_length",
	// "hash_ids" (checked to be a list of integers, not used); other fields
	// (later Mooncake-style traces add some) are ignored.
	TraceMooncake TraceFormat = "mooncake"
	// TraceAzure is the Azure LLM inference trace CSV (AzurePublicDataset,
	// 2023): header TIMESTAMP,ContextTokens,GeneratedTokens, TIMESTAMP as
	// "2006-01-02 15:04:05.9999999" (UTC, 100 ns ticks); offsets are taken
	// from the first row.
	TraceAzure TraceFormat = "azure"
)

// MaxTraceLen bounds the rows of one trace.
const MaxTraceLen = MaxScheduleLen

// TraceError is a malformed trace row: the file, its 1-based line, and what
// is wrong.
type TraceError struct {
	File string
	Line int
	Msg  string
}

func (e *TraceError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("trace %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("trace %s: line %d: %s", e.File, e.Line, e.Msg)
}

// ErrBadTraceFormat means an unknown trace format name.
var ErrBadTraceFormat = errors.New("unknown trace format (want hypobench, mooncake or azure)")

// ParseTrace reads a trace in the given format and returns its arrivals in
// file order, each with its offset and token lengths. file labels errors.
// Offsets must not decrease from one row to the next; every length must be
// ≥ 1 (a request with no prompt or no output cannot be replayed). An empty
// trace is an error.
func ParseTrace(file string, format TraceFormat, r io.Reader) ([]Due, error) {
	var (
		out []Due
		err error
	)
	switch format {
	case TraceHypobench:
		out, err = parseJSONL(file, r, hypobenchRow)
	case TraceMooncake:
		out, err = parseJSONL(file, r, mooncakeRow)
	case TraceAzure:
		out, err = parseAzure(file, r)
	default:
		return nil, fmt.Errorf("trace %s: %w: %q", file, ErrBadTraceFormat, format)
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &TraceError{File: file, Msg: "no requests"}
	}
	return out, nil
}

// rowFunc decodes one JSONL line into an arrival.
type rowFunc func(line []byte) (Due, error)

func parseJSONL(file string, r io.Reader, row rowFunc) ([]Due, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20) // Mooncake's hash_ids lists run to kilobytes
	var out []Due
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		d, err := row(line)
		if err != nil {
			return nil, &TraceError{File: file, Line: n, Msg: err.Error()}
		}
		if err := appendDue(&out, d); err != nil {
			return nil, &TraceError{File: file, Line: n, Msg: err.Error()}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &TraceError{File: file, Msg: fmt.Sprintf("reading: %v", err)}
	}
	return out, nil
}

// appendDue checks a row against the previous one and appends it.
func appendDue(out *[]Due, d Due) error {
	switch {
	case d.PromptTokens < 1:
		return fmt.Errorf("prompt length %d, want ≥ 1", d.PromptTokens)
	case d.OutputTokens < 1:
		return fmt.Errorf("output length %d, want ≥ 1", d.OutputTokens)
	case len(*out) > 0 && d.At < (*out)[len(*out)-1].At:
		return fmt.Errorf("offset %v is before the previous row's %v (rows must be in arrival order)", d.At, (*out)[len(*out)-1].At)
	case len(*out) >= MaxTraceLen:
		return fmt.Errorf("more than %d rows", MaxTraceLen)
	}
	*out = append(*out, d)
	return nil
}

// offset converts a non-negative, finite count of unit to a duration.
func offset(x float64, unit time.Duration, name string) (time.Duration, error) {
	if math.IsNaN(x) || x < 0 || x*float64(unit) > float64(math.MaxInt64/2) {
		return 0, fmt.Errorf("%s %v out of range (want a finite number ≥ 0)", name, x)
	}
	return time.Duration(math.Round(x * float64(unit))), nil
}

// decodeStrict decodes one JSON object, rejecting trailing data and, when
// strict, unknown fields.
func decodeStrict(line []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return fmt.Errorf("field %q: want %s, got JSON %s", ute.Field, ute.Type, ute.Value)
		}
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the object")
	}
	return nil
}

func hypobenchRow(line []byte) (Due, error) {
	var v struct {
		At     *float64 `json:"at_s"`
		Prompt *int     `json:"prompt_tokens"`
		Output *int     `json:"output_tokens"`
	}
	if err := decodeStrict(line, &v, true); err != nil {
		return Due{}, err
	}
	switch {
	case v.At == nil:
		return Due{}, errors.New(`field "at_s" missing`)
	case v.Prompt == nil:
		return Due{}, errors.New(`field "prompt_tokens" missing`)
	case v.Output == nil:
		return Due{}, errors.New(`field "output_tokens" missing`)
	}
	at, err := offset(*v.At, time.Second, `field "at_s"`)
	return Due{At: at, PromptTokens: *v.Prompt, OutputTokens: *v.Output}, err
}

func mooncakeRow(line []byte) (Due, error) {
	var v struct {
		Timestamp *float64 `json:"timestamp"`
		Input     *int     `json:"input_length"`
		Output    *int     `json:"output_length"`
		HashIDs   []int64  `json:"hash_ids"`
	}
	if err := decodeStrict(line, &v, false); err != nil {
		return Due{}, err
	}
	switch {
	case v.Timestamp == nil:
		return Due{}, errors.New(`field "timestamp" missing`)
	case v.Input == nil:
		return Due{}, errors.New(`field "input_length" missing`)
	case v.Output == nil:
		return Due{}, errors.New(`field "output_length" missing`)
	}
	at, err := offset(*v.Timestamp, time.Millisecond, `field "timestamp"`)
	return Due{At: at, PromptTokens: *v.Input, OutputTokens: *v.Output}, err
}

// Azure timestamps: the 2023 files write seven fractional digits and no
// zone; a trailing UTC offset is accepted too.
var azureLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"}

func parseAzure(file string, r io.Reader) ([]Due, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	bad := func(line int, format string, a ...any) error {
		return &TraceError{File: file, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return bad(pe.Line, "%v", pe.Err)
		}
		return bad(0, "reading: %v", err)
	}
	head, err := cr.Read()
	if err == io.EOF {
		return nil, bad(0, "empty file (want the header TIMESTAMP,ContextTokens,GeneratedTokens)")
	}
	if err != nil {
		return nil, csvErr(err)
	}
	col := map[string]int{"TIMESTAMP": -1, "ContextTokens": -1, "GeneratedTokens": -1}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if j, ok := col[h]; ok {
			if j >= 0 {
				return nil, bad(1, "column %q appears twice", h)
			}
			col[h] = i
		}
	}
	for _, name := range []string{"TIMESTAMP", "ContextTokens", "GeneratedTokens"} {
		if col[name] < 0 {
			return nil, bad(1, "header has no column %q (want TIMESTAMP,ContextTokens,GeneratedTokens)", name)
		}
	}
	width := len(head)
	var (
		out   []Due
		first time.Time
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != width {
			return nil, bad(line, "%d fields, the header has %d", len(rec), width)
		}
		ts := strings.TrimSpace(rec[col["TIMESTAMP"]])
		var t time.Time
		for _, layout := range azureLayouts {
			if t, err = time.Parse(layout, ts); err == nil {
				break
			}
		}
		if err != nil {
			return nil, bad(line, "TIMESTAMP %q is not \"YYYY-MM-DD hh:mm:ss.fffffff\"", ts)
		}
		if len(out) == 0 {
			first = t
		}
		ctxTok, err1 := strconv.Atoi(strings.TrimSpace(rec[col["ContextTokens"]]))
		genTok, err2 := strconv.Atoi(strings.TrimSpace(rec[col["GeneratedTokens"]]))
		if err1 != nil || err2 != nil {
			return nil, bad(line, "ContextTokens %q, GeneratedTokens %q: want integers", rec[col["ContextTokens"]], rec[col["GeneratedTokens"]])
		}
		at := t.Sub(first)
		if at == math.MaxInt64 {
			return nil, bad(line, "TIMESTAMP %q is more than 292 years after the first row's", ts)
		}
		if err := appendDue(&out, Due{At: at, PromptTokens: ctxTok, OutputTokens: genTok}); err != nil {
			return nil, bad(line, "%v", err)
		}
	}
}
