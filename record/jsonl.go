package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Writer appends JSON objects to a file one whole line at a time. Each Write
// issues a single write(2) of the encoded line including its newline, so a
// crash leaves a valid prefix. Writer is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	f   *os.File
	buf bytes.Buffer
	n   int
}

// OpenAppend opens path for appending, creating it if needed, and returns
// a Writer for it. Lines already in the file are kept.
func OpenAppend(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &Writer{f: f}, nil
}

// Write encodes v as one line and writes it through to the file.
func (w *Writer) Write(v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Reset()
	enc := json.NewEncoder(&w.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding line %d of %s: %w", w.n+1, w.f.Name(), err)
	}
	if _, err := w.f.Write(w.buf.Bytes()); err != nil {
		return &WriteError{File: w.f.Name(), Err: err}
	}
	w.n++
	return nil
}

// Lines returns how many lines have been written.
func (w *Writer) Lines() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// Close syncs and closes the file. A failure is a *WriteError: lines may
// not have reached the disk.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	serr := w.f.Sync()
	cerr := w.f.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return &WriteError{File: w.f.Name(), Err: err}
	}
	return nil
}

// WriteError is a line, or the final sync, that did not reach a run file —
// a full disk, typically. The file's content is incomplete; the runner
// lists such files in RunConfig.WriteErrors.
type WriteError struct {
	File string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("writing %s: %v", e.File, e.Err) }

func (e *WriteError) Unwrap() error { return e.Err }

// LineError describes a line of a JSONL file that could not be decoded.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// maxLine bounds one JSONL line; a record with thousands of ITL gaps stays
// far below it.
const maxLine = 64 << 20

// Decode reads JSONL from r, calling fn with each decoded value. Blank lines
// are skipped. A line that does not decode (including a truncated last line)
// is reported as a *LineError in the returned slice and skipped; a read error
// stops the scan and is returned as err. name labels the errors.
func Decode[T any](r io.Reader, name string, fn func(line int, v T)) (bad []error, err error) {
	return decode(r, name, func(line int, b []byte) (bool, error) {
		var v T
		if err := decodeLine(b, &v); err != nil {
			return false, err
		}
		fn(line, v)
		return false, nil
	})
}

// decodeLine decodes one JSON object from b into v, refusing trailing data.
func decodeLine[T any](b []byte, v *T) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON object")
	}
	return nil
}

// decode calls fn with each non-blank line of r, trimmed; a line fn
// cannot decode (its error) is collected as a *LineError in bad, and fn's
// stop ends the scan.
func decode(r io.Reader, name string, fn func(line int, b []byte) (stop bool, err error)) (bad []error, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		stop, derr := fn(line, b)
		if derr != nil {
			bad = append(bad, &LineError{File: name, Line: line, Err: derr})
			continue
		}
		if stop {
			return bad, nil
		}
	}
	if serr := sc.Err(); serr != nil {
		return bad, fmt.Errorf("reading %s after line %d: %w", name, line, serr)
	}
	return bad, nil
}

// ReadFile decodes every line of a JSONL file into a slice. Undecodable lines
// are returned as *LineError values in bad and skipped.
func ReadFile[T any](path string) (vs []T, bad []error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	bad, err = Decode(f, path, func(_ int, v T) { vs = append(vs, v) })
	return vs, bad, err
}

// ReadRecords reads a requests.jsonl file.
func ReadRecords(path string) ([]Record, []error, error) { return ReadFile[Record](path) }

// ReadPhases reads a phases.jsonl file.
func ReadPhases(path string) ([]Phase, []error, error) { return ReadFile[Phase](path) }
