package kerneltrace

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// ReadCSV reads the output of `nsys stats --report cuda_gpu_trace --format
// csv` (or the older report name gputrace).
//
// Lines before the header (NOTICE lines, "Processing [...] with [...]...")
// are skipped; the header is the first line naming a start, a duration and a
// name column. Columns are found by name, so optional ones (GreenCtx, the
// memory columns) and their order do not matter; the time unit is read from
// the header ("Start (ns)", "Start (us)", ...). Rows whose name is a memory
// operation ("[CUDA memcpy ...]", "[CUDA memset]") are counted in
// Trace.Skipped and left out. Device values such as "NVIDIA H200 (0)" give
// the number in parentheses; the stream column is "Strm" or "Stream".
//
// The CSV has times relative to the capture start and no absolute base: the
// returned Trace has HasBase false until SetBase is called.
func ReadCSV(ctx context.Context, r io.Reader, name string) (*Trace, error) {
	tr := &Trace{Path: name, Format: FormatCSV}
	br := bufio.NewReaderSize(r, 64<<10)
	line := 0
	var hdr *csvHeader
	for hdr == nil {
		s, err := br.ReadString('\n')
		if s != "" {
			line++
			if h, ok := parseCSVHeader(s); ok {
				hdr = h
				break
			}
		}
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{File: name, Line: max(line, 1), Msg: "no cuda_gpu_trace header (want columns Start, Duration and Name)"}
		}
		if err != nil {
			return nil, fmt.Errorf("reading nsys csv %s: %w", name, err)
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	names := interner{}
	for n := 0; ; n++ {
		if n%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &ParseError{File: name, Line: line + pe.Line, Msg: "malformed csv", Err: pe.Err}
			}
			return nil, fmt.Errorf("reading nsys csv %s: %w", name, err)
		}
		row, _ := cr.FieldPos(0)
		row += line
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		ev, skip, err := hdr.event(rec)
		if err != nil {
			return nil, &ParseError{File: name, Line: row, Msg: err.Error()}
		}
		if skip {
			tr.Skipped++
			continue
		}
		ev.Name = names.get(ev.Name)
		tr.Events = append(tr.Events, ev)
	}
	sortEvents(tr.Events)
	return tr, nil
}

// csvHeader maps the columns ReadCSV uses to their index (-1 when absent)
// and the time unit of each time column in nanoseconds.
type csvHeader struct {
	start, dur, name, device, stream int
	startUnit, durUnit               float64
	cols                             int
}

func parseCSVHeader(s string) (*csvHeader, bool) {
	s = strings.TrimPrefix(strings.TrimRight(s, "\r\n"), "\ufeff")
	if !strings.Contains(s, "Start") || !strings.Contains(s, "Duration") || !strings.Contains(s, "Name") {
		return nil, false
	}
	fields, err := csv.NewReader(strings.NewReader(s)).Read()
	if err != nil {
		return nil, false
	}
	h := &csvHeader{start: -1, dur: -1, name: -1, device: -1, stream: -1, cols: len(fields)}
	for i, f := range fields {
		base, unit := splitUnit(strings.TrimSpace(f))
		switch strings.ToLower(base) {
		case "start":
			h.start, h.startUnit = i, unit
		case "duration":
			h.dur, h.durUnit = i, unit
		case "name", "kernel name":
			h.name = i
		case "device", "gpu":
			h.device = i
		case "strm", "stream":
			h.stream = i
		}
	}
	if h.start < 0 || h.dur < 0 || h.name < 0 || h.startUnit == 0 || h.durUnit == 0 {
		return nil, false
	}
	return h, true
}

// splitUnit splits "Start (ns)" into "Start" and 1; a column without a unit
// is taken to be in nanoseconds, an unknown unit gives 0.
func splitUnit(f string) (string, float64) {
	i := strings.LastIndexByte(f, '(')
	if i < 0 || !strings.HasSuffix(f, ")") {
		return f, 1
	}
	base := strings.TrimSpace(f[:i])
	switch strings.ToLower(strings.TrimSpace(f[i+1 : len(f)-1])) {
	case "ns", "nsec":
		return base, 1
	case "us", "usec", "µs", "μs":
		return base, 1e3
	case "ms", "msec":
		return base, 1e6
	case "s", "sec":
		return base, 1e9
	}
	return base, 0
}

func (h *csvHeader) event(rec []string) (ev Event, skip bool, err error) {
	get := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	if len(rec) < h.cols {
		return ev, false, fmt.Errorf("row has %d fields, header has %d", len(rec), h.cols)
	}
	ev.Name = get(h.name)
	if isMemoryOp(ev.Name) {
		return ev, true, nil
	}
	start, err := parseTime(get(h.start), h.startUnit)
	if err != nil {
		return ev, false, fmt.Errorf("start: %w", err)
	}
	dur, err := parseTime(get(h.dur), h.durUnit)
	if err != nil {
		return ev, false, fmt.Errorf("duration: %w", err)
	}
	if dur < 0 {
		return ev, false, fmt.Errorf("negative duration %d ns", dur)
	}
	ev.Start, ev.Dur = start, time.Duration(dur)
	if ev.Device, err = parseDevice(get(h.device)); err != nil {
		return ev, false, fmt.Errorf("device: %w", err)
	}
	if s := get(h.stream); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return ev, false, fmt.Errorf("stream %q is not an integer", s)
		}
		ev.Stream = n
	}
	return ev, false, nil
}

// isMemoryOp reports whether a cuda_gpu_trace row is a memory operation
// rather than a kernel.
func isMemoryOp(name string) bool {
	l := strings.ToLower(name)
	return strings.HasPrefix(l, "[cuda memcpy") || strings.HasPrefix(l, "[cuda memset") ||
		strings.HasPrefix(l, "[memcpy") || strings.HasPrefix(l, "[memset")
}

// parseTime parses an integer or decimal time in unit nanoseconds.
func parseTime(s string, unit float64) (int64, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	if unit == 1 {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	v := math.Round(f * unit)
	if math.Abs(v) > 9e18 {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return int64(v), nil
}

// parseDevice reads "3", "GPU 3", "GPU3" or "NVIDIA H200 (3)".
func parseDevice(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	if i := strings.LastIndexByte(s, '('); i >= 0 && strings.HasSuffix(s, ")") {
		s = s[i+1 : len(s)-1]
	} else {
		j := len(s)
		for j > 0 && s[j-1] >= '0' && s[j-1] <= '9' {
			j--
		}
		if j == len(s) {
			// A device given by name only: one device.
			return 0, nil
		}
		s = s[j:]
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q has no device number", s)
	}
	return n, nil
}
