package kerneltrace

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Event is one GPU kernel execution.
//
// Start is in nanoseconds: unix wall-clock nanoseconds when the trace carries
// an absolute time base (Trace.HasBase), nanoseconds from the start of the
// capture otherwise.
type Event struct {
	Start  int64         `json:"start_ns"`
	Dur    time.Duration `json:"dur_ns"`
	Name   string        `json:"name"`
	Device int           `json:"device"`
	Stream int           `json:"stream"`
}

// End returns Start + Dur.
func (e Event) End() int64 { return e.Start + int64(e.Dur) }

// Range is an annotation range (an NVTX push/pop or start/end range) on the
// same clock as the events.
type Range struct {
	Name  string `json:"name"`
	Start int64  `json:"start_ns"`
	End   int64  `json:"end_ns"`
}

// Format names a trace file format.
type Format string

// The formats Load understands.
const (
	FormatAuto   Format = "auto"   // detect from the file's first bytes
	FormatSQLite Format = "sqlite" // nsys export --type sqlite
	FormatCSV    Format = "csv"    // nsys stats --report cuda_gpu_trace --format csv
	FormatKineto Format = "kineto" // PyTorch profiler / kineto Chrome trace, plain or gzipped
)

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case "", FormatAuto:
		return FormatAuto, nil
	case FormatSQLite, FormatCSV, FormatKineto:
		return f, nil
	}
	return "", fmt.Errorf("unknown trace format %q (want auto, sqlite, csv or kineto)", s)
}

// Trace is the kernel timeline read from one file.
type Trace struct {
	Path   string `json:"path"`
	Format Format `json:"format"`
	// Events are the kernels, sorted by Start (then device, stream, name).
	Events []Event `json:"-"`
	// Ranges are the NVTX ranges, sorted by Start; empty when the file has none.
	Ranges []Range `json:"-"`
	// HasBase reports whether Start values are unix nanoseconds.
	HasBase bool `json:"has_base"`
	// BaseUnixNs is the wall-clock instant of the trace's zero, when HasBase.
	BaseUnixNs int64 `json:"base_unix_ns"`
	// BaseSource says where the base came from (a table, a JSON field, a flag).
	BaseSource string `json:"base_source"`
	// Skipped counts device activities that are not kernels (memcpy, memset).
	Skipped int `json:"skipped"`
	// Warnings are problems that did not stop the read.
	Warnings []string `json:"warnings,omitempty"`
}

// SetBase adds baseUnixNs to every timestamp of a trace that has no absolute
// time base (an nsys CSV, whose times are relative to the capture start), so
// that it can be cut by wall-clock phases. It fails when the trace already
// has a base.
func (t *Trace) SetBase(baseUnixNs int64, source string) error {
	if t.HasBase {
		return fmt.Errorf("trace %s already has a time base (%s)", t.Path, t.BaseSource)
	}
	for i := range t.Events {
		t.Events[i].Start += baseUnixNs
	}
	for i := range t.Ranges {
		t.Ranges[i].Start += baseUnixNs
		t.Ranges[i].End += baseUnixNs
	}
	t.HasBase, t.BaseUnixNs, t.BaseSource = true, baseUnixNs, source
	return nil
}

// sortEvents puts events in a total order so that no result depends on the
// order rows were stored in.
func sortEvents(es []Event) {
	slices.SortFunc(es, func(a, b Event) int {
		switch {
		case a.Start != b.Start:
			return cmpInt(a.Start, b.Start)
		case a.Device != b.Device:
			return cmpInt(a.Device, b.Device)
		case a.Stream != b.Stream:
			return cmpInt(a.Stream, b.Stream)
		case a.Dur != b.Dur:
			return cmpInt(a.Dur, b.Dur)
		}
		return strings.Compare(a.Name, b.Name)
	})
}

func sortRanges(rs []Range) {
	slices.SortFunc(rs, func(a, b Range) int {
		switch {
		case a.Start != b.Start:
			return cmpInt(a.Start, b.Start)
		case a.End != b.End:
			return cmpInt(a.End, b.End)
		}
		return strings.Compare(a.Name, b.Name)
	})
}

func cmpInt[T ~int | ~int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ParseError reports malformed trace input and where it is. Exactly one of
// Line (CSV, 1-based), Offset (JSON byte offset into the decompressed
// stream) or Table+Row (SQLite rowid) locates it.
type ParseError struct {
	File   string
	Line   int
	Offset int64
	Table  string
	Row    int64
	Msg    string
	Err    error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Table != "" && e.Row > 0:
		fmt.Fprintf(&b, ": table %s rowid %d", e.Table, e.Row)
	case e.Table != "":
		fmt.Fprintf(&b, ": table %s", e.Table)
	case e.Line > 0:
		fmt.Fprintf(&b, ":%d", e.Line)
	default:
		fmt.Fprintf(&b, ": byte offset %d", e.Offset)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// ErrUnknownFormat is returned by Load when auto-detection cannot tell what
// the file is.
var ErrUnknownFormat = errors.New("unrecognised trace format")

var (
	sqliteMagic = []byte("SQLite format 3\x00")
	gzipMagic   = []byte{0x1f, 0x8b}
)

// Detect guesses the format from a file's first bytes: the SQLite header,
// gzip (a compressed kineto trace), a JSON object or array (kineto), or
// anything else that has a line of text (an nsys CSV).
func Detect(head []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(head, sqliteMagic):
		return FormatSQLite, nil
	case bytes.HasPrefix(head, gzipMagic):
		return FormatKineto, nil
	}
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	t = bytes.TrimPrefix(t, []byte("\xef\xbb\xbf"))
	switch {
	case len(t) == 0:
		return "", fmt.Errorf("%w: empty file", ErrUnknownFormat)
	case t[0] == '{' || t[0] == '[':
		return FormatKineto, nil
	case bytes.IndexByte(t, 0) >= 0:
		return "", fmt.Errorf("%w: binary data", ErrUnknownFormat)
	}
	return FormatCSV, nil
}

// Load reads the kernel trace at path. With FormatAuto the format is
// detected from the file's first bytes.
func Load(ctx context.Context, path string, format Format) (*Trace, error) {
	if format == "" || format == FormatAuto {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("loading kernel trace: %w", err)
		}
		head := make([]byte, 512)
		n, err := io.ReadFull(f, head)
		f.Close()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("loading kernel trace %s: %w", path, err)
		}
		format, err = Detect(head[:n])
		if err != nil {
			return nil, fmt.Errorf("loading kernel trace %s: %w", path, err)
		}
	}
	switch format {
	case FormatSQLite:
		return ReadSQLite(ctx, path)
	case FormatCSV, FormatKineto:
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("loading kernel trace: %w", err)
		}
		defer f.Close()
		if format == FormatCSV {
			return ReadCSV(ctx, f, path)
		}
		return ReadKineto(ctx, f, path)
	}
	return nil, fmt.Errorf("loading kernel trace %s: %w: %q", path, ErrUnknownFormat, format)
}

// maybeGunzip returns a reader that decompresses r when it starts with the
// gzip magic bytes, and r's bytes unchanged otherwise.
func maybeGunzip(r io.Reader) (io.Reader, func() error, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(2)
	if !bytes.Equal(head, gzipMagic) {
		return br, func() error { return nil }, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, err
	}
	return zr, zr.Close, nil
}

// checkCtx is called every ctxEvery rows by the readers.
const ctxEvery = 1 << 14

// interner keeps one copy of each kernel name: a trace has millions of
// kernels but few distinct names.
type interner map[string]string

func (in interner) get(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	in[s] = s
	return s
}
