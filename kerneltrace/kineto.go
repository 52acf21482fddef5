package kerneltrace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// absoluteUs is the smallest ts (µs) taken to be a unix time rather than an
// offset from baseTimeNanoseconds: 2001-09-09. Offsets within one capture
// are many orders of magnitude smaller.
const absoluteUs = 1e15

// ReadKineto reads a PyTorch profiler (kineto) Chrome trace, plain or
// gzipped (detected by the gzip magic bytes, not the file name).
//
// Kernels are the complete events (ph "X") whose cat is "kernel", compared
// case-insensitively; gpu_memcpy and gpu_memset events are counted in
// Trace.Skipped. ts and dur are microseconds, possibly fractional, and are
// converted to integer nanoseconds from their decimal text so that no
// precision is lost. ts is relative to the top-level baseTimeNanoseconds (a
// unix time in ns) wherever that field appears in the object; a trace
// without it whose ts values are unix microseconds (older kineto) is
// accepted as absolute, otherwise the trace has no base. Device and stream
// come from args.device and args.stream, falling back to pid and tid.
//
// The file is decoded one event at a time, so memory grows with the number
// of kernels, not with the size of the file. A top-level JSON array of
// events (the Chrome "array format") is accepted too.
func ReadKineto(ctx context.Context, r io.Reader, name string) (*Trace, error) {
	rd, closeZ, err := maybeGunzip(r)
	if err != nil {
		return nil, &ParseError{File: name, Msg: "bad gzip header", Err: err}
	}
	defer closeZ()
	k := &kinetoReader{ctx: ctx, dec: json.NewDecoder(rd), tr: &Trace{Path: name, Format: FormatKineto}, names: interner{}}
	k.dec.UseNumber()
	if err := k.read(); err != nil {
		return nil, err
	}
	return k.finish()
}

type kinetoReader struct {
	ctx     context.Context
	dec     *json.Decoder
	tr      *Trace
	base    int64
	hasBase bool
	events  int
	raw     json.RawMessage // reused between events
	names   interner
}

func (k *kinetoReader) errAt(off int64, msg string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &ParseError{File: k.tr.Path, Offset: off, Msg: msg, Err: err}
}

func (k *kinetoReader) read() error {
	tok, err := k.dec.Token()
	if err != nil {
		return k.errAt(k.dec.InputOffset(), "reading JSON", err)
	}
	switch tok {
	case json.Delim('['):
		if err := k.readEvents(); err != nil {
			return err
		}
	case json.Delim('{'):
		if err := k.readObject(); err != nil {
			return err
		}
	default:
		return k.errAt(0, "want a JSON object with traceEvents", nil)
	}
	if _, err := k.dec.Token(); !errors.Is(err, io.EOF) {
		return k.errAt(k.dec.InputOffset(), "trailing data after the trace", err)
	}
	return nil
}

func (k *kinetoReader) readObject() error {
	seen := false
	for k.dec.More() {
		off := k.dec.InputOffset()
		tok, err := k.dec.Token()
		if err != nil {
			return k.errAt(off, "reading key", err)
		}
		key, _ := tok.(string)
		switch key {
		case "traceEvents":
			t, err := k.dec.Token()
			if err != nil {
				return k.errAt(off, "reading traceEvents", err)
			}
			if t != json.Delim('[') {
				return k.errAt(off, "traceEvents is not an array", nil)
			}
			if err := k.readEvents(); err != nil {
				return err
			}
			seen = true
		case "baseTimeNanoseconds":
			var n json.Number
			if err := k.dec.Decode(&n); err != nil {
				return k.errAt(off, "reading baseTimeNanoseconds", err)
			}
			v, err := strconv.ParseInt(n.String(), 10, 64)
			if err != nil {
				return k.errAt(off, "baseTimeNanoseconds is not an integer", err)
			}
			k.base, k.hasBase = v, true
		default:
			var skip json.RawMessage
			if err := k.dec.Decode(&skip); err != nil {
				return k.errAt(off, fmt.Sprintf("reading %q", key), err)
			}
		}
	}
	if _, err := k.dec.Token(); err != nil {
		return k.errAt(k.dec.InputOffset(), "reading end of object", err)
	}
	if !seen {
		return k.errAt(k.dec.InputOffset(), "no traceEvents array", nil)
	}
	return nil
}

// kinetoEvent is the part of a Chrome trace event the reader looks at.
type kinetoEvent struct {
	Ph   string          `json:"ph"`
	Cat  string          `json:"cat"`
	Name string          `json:"name"`
	Ts   json.Number     `json:"ts"`
	Dur  json.Number     `json:"dur"`
	Pid  json.RawMessage `json:"pid"`
	Tid  json.RawMessage `json:"tid"`
	Args json.RawMessage `json:"args"`
}

type kinetoArgs struct {
	Device json.RawMessage `json:"device"`
	Stream json.RawMessage `json:"stream"`
}

func (k *kinetoReader) readEvents() error {
	for k.dec.More() {
		if k.events%ctxEvery == 0 {
			if err := k.ctx.Err(); err != nil {
				return err
			}
		}
		k.events++
		off := k.dec.InputOffset()
		if err := k.dec.Decode(&k.raw); err != nil {
			return k.errAt(off, "decoding event", err)
		}
		// Most events are CPU ops: skip those without a device category
		// before paying for a reflective decode.
		if !bytes.Contains(k.raw, []byte(`ernel"`)) && !bytes.Contains(k.raw, []byte(`ERNEL"`)) && !bytes.Contains(k.raw, []byte(`gpu_mem`)) {
			continue
		}
		var ev kinetoEvent
		if err := json.Unmarshal(k.raw, &ev); err != nil {
			return k.errAt(off, "decoding event", err)
		}
		if ev.Ph != "X" {
			continue
		}
		switch strings.ToLower(ev.Cat) {
		case "kernel":
		case "gpu_memcpy", "gpu_memset":
			k.tr.Skipped++
			continue
		default:
			continue
		}
		e, err := kernelEvent(ev)
		if err != nil {
			return k.errAt(off, "kernel event", err)
		}
		e.Name = k.names.get(e.Name)
		k.tr.Events = append(k.tr.Events, e)
	}
	if _, err := k.dec.Token(); err != nil {
		return k.errAt(k.dec.InputOffset(), "reading end of traceEvents", err)
	}
	return nil
}

func kernelEvent(ev kinetoEvent) (Event, error) {
	e := Event{Name: ev.Name}
	if ev.Ts == "" {
		return e, errors.New("no ts")
	}
	ts, err := usToNs(ev.Ts.String())
	if err != nil {
		return e, fmt.Errorf("ts: %w", err)
	}
	var dur int64
	if ev.Dur != "" {
		if dur, err = usToNs(ev.Dur.String()); err != nil {
			return e, fmt.Errorf("dur: %w", err)
		}
	}
	if dur < 0 {
		return e, fmt.Errorf("negative dur %s", ev.Dur)
	}
	e.Start, e.Dur = ts, time.Duration(dur)
	var a kinetoArgs
	if len(ev.Args) > 0 && string(ev.Args) != "null" {
		if err := json.Unmarshal(ev.Args, &a); err != nil {
			return e, fmt.Errorf("args: %w", err)
		}
	}
	e.Device = intOf(a.Device, ev.Pid)
	e.Stream = intOf(a.Stream, ev.Tid)
	return e, nil
}

// intOf returns the first of vs that is a JSON integer (or a string holding
// one), and 0 when none is.
func intOf(vs ...json.RawMessage) int {
	for _, v := range vs {
		s := strings.Trim(strings.TrimSpace(string(v)), `"`)
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	return 0
}

// usToNs converts a decimal count of microseconds to integer nanoseconds,
// exactly for plain decimals (rounding beyond the third fractional digit
// half away from zero) and through float64 for exponent notation.
func usToNs(s string) (int64, error) {
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.Abs(f) > 9e15 {
			return 0, fmt.Errorf("%q is not a time in µs", s)
		}
		return int64(math.Round(f * 1e3)), nil
	}
	neg := strings.HasPrefix(s, "-")
	t := strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(t, ".")
	if ip == "" && fp == "" || strings.ContainsAny(ip, "+-") {
		return 0, fmt.Errorf("%q is not a time in µs", s)
	}
	if ip == "" {
		ip = "0"
	}
	i, err := strconv.ParseInt(ip, 10, 64)
	if err != nil || i > math.MaxInt64/1000-1 {
		return 0, fmt.Errorf("%q is not a time in µs", s)
	}
	ns := i * 1000
	for d := 0; d < 3; d++ {
		c := byte('0')
		if d < len(fp) {
			c = fp[d]
		}
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a time in µs", s)
		}
		ns += int64(c-'0') * []int64{100, 10, 1}[d]
	}
	if len(fp) > 3 {
		for _, c := range fp[3:] {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("%q is not a time in µs", s)
			}
		}
		if fp[3] >= '5' {
			ns++
		}
	}
	if neg {
		ns = -ns
	}
	return ns, nil
}

func (k *kinetoReader) finish() (*Trace, error) {
	tr := k.tr
	absolute := len(tr.Events) > 0 && float64(tr.Events[0].Start) >= absoluteUs*1e3
	switch {
	case k.hasBase && !absolute:
		tr.HasBase, tr.BaseUnixNs, tr.BaseSource = true, k.base, "baseTimeNanoseconds"
		for i := range tr.Events {
			tr.Events[i].Start += k.base
		}
	case absolute:
		tr.HasBase, tr.BaseSource = true, "absolute ts (unix µs)"
		if k.hasBase {
			tr.Warnings = append(tr.Warnings, fmt.Sprintf("%s: ts values are unix times; baseTimeNanoseconds %d ignored", tr.Path, k.base))
		}
	default:
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("%s: no baseTimeNanoseconds: times are relative", tr.Path))
	}
	sortEvents(tr.Events)
	return tr, nil
}
