package record

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
)

// ScanRecords streams a requests.jsonl file without holding its records:
// fn is called with each decoded record in file order, and its line
// number, from the calling goroutine; fn must copy what it keeps of r.
// Lines are decoded in batches on up to GOMAXPROCS (at most 4) goroutines
// while fn runs, which is where the time of reading a large run goes.
// Undecodable lines are returned as *LineError values in bad, in line
// order, and skipped, as by ReadFile; a read error, or the first error fn
// returns, stops the scan and is returned as err.
func ScanRecords(path string, fn func(line int, r *Record) error) (bad []error, err error) {
	return scan(path, nil, fn)
}

// ScanFields is ScanRecords decoding only the fields in sel: the others
// are left zero, which saves most of the time of reading a large run when
// the skipped fields are its arrays (itl_s, sim_itl_s). Each line gives
// the selected fields encoding/json would (the lines hypobench writes are
// decoded by a single-pass scanner, anything unusual by encoding/json),
// and undecodable lines are the same *LineError values.
func ScanFields(path string, sel Fields, fn func(line int, r *Record) error) (bad []error, err error) {
	return scan(path, &sel, fn)
}

// scan is ScanRecords, with the fast decoder for the fields in sel when
// sel is not nil.
func scan(path string, sel *Fields, fn func(line int, r *Record) error) (bad []error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	workers := min(runtime.GOMAXPROCS(0), 4)
	work := make(chan *scanBatch, workers)
	order := make(chan *scanBatch, 2*workers)
	quit := make(chan struct{})
	var readErr error
	go func() { // reader: cut the file into batches of lines, in order
		defer close(work)
		defer close(order)
		send := func(b *scanBatch) bool {
			select {
			case order <- b:
			case <-quit:
				return false
			}
			work <- b
			return true
		}
		// Each batch is one block read from the file, whose whole lines
		// it decodes in place; the cut line at its end starts the next
		// block (which grows, up to maxLine, to hold a longer line).
		line := 0
		var carry []byte
		for eof := false; !eof; {
			size := max(scanBatchBytes, 2*len(carry))
			if len(carry) >= maxLine {
				readErr = fmt.Errorf("reading %s after line %d: %w", path, line, bufio.ErrTooLong)
				return
			}
			data := make([]byte, size)
			n := copy(data, carry)
			k, rerr := io.ReadFull(f, data[n:])
			switch {
			case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
				eof = true
			case rerr != nil:
				readErr = fmt.Errorf("reading %s after line %d: %w", path, line, rerr)
				return
			}
			data = data[:n+k]
			b := &scanBatch{data: data, done: make(chan struct{})}
			start := 0
			for start < len(data) {
				nl := bytes.IndexByte(data[start:], '\n')
				if nl < 0 && !eof {
					break // a cut line: carried to the next block
				}
				end := len(data)
				if nl >= 0 {
					end = start + nl
				}
				line++
				s, e := trimmed(data, start, end)
				if s < e {
					b.starts = append(b.starts, s)
					b.ends = append(b.ends, e)
					b.lines = append(b.lines, line)
				}
				start = end + 1
			}
			carry = data[min(start, len(data)):]
			if len(b.lines) > 0 && !send(b) {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() { // decoders
			defer wg.Done()
			var fd *fastDecoder
			if sel != nil {
				fd = newFastDecoder(*sel)
			}
			for b := range work {
				b.decode(path, fd)
				close(b.done)
			}
		}()
	}
	var stop error
	for b := range order { // fn, in file order
		<-b.done
		if stop != nil {
			continue // draining after a stop
		}
		for i := range b.recs {
			if b.errs[i] != nil {
				bad = append(bad, b.errs[i])
				continue
			}
			if stop = fn(b.lines[i], &b.recs[i]); stop != nil {
				close(quit)
				break
			}
		}
	}
	wg.Wait()
	if stop != nil {
		return bad, stop
	}
	return bad, readErr
}

// scanBatchBytes is the size of the blocks read: enough lines to
// amortise the hand-offs, few enough that the batches in flight stay
// small.
const scanBatchBytes = 512 << 10

// scanBatch is a run of consecutive lines read as one block (data): the
// non-blank ones, trimmed, are data[starts[i]:ends[i]] at line number
// lines[i]; once done is closed, recs and errs hold their records or
// *LineError values.
type scanBatch struct {
	data   []byte
	starts []int
	ends   []int
	lines  []int
	recs   []Record
	errs   []error
	done   chan struct{}
}

// trimmed returns the bounds of data[s:e] without the white space
// bytes.TrimSpace removes.
func trimmed(data []byte, s, e int) (int, int) {
	whole := data[s:e]
	t := bytes.TrimSpace(whole)
	if len(t) == 0 {
		return s, s
	}
	off := s + cap(whole) - cap(t) // t is a subslice of whole
	return off, off + len(t)
}

// decode decodes the batch's lines, with fd (the fast path for the
// selected fields) first when it is not nil.
func (b *scanBatch) decode(path string, fd *fastDecoder) {
	b.recs = make([]Record, len(b.lines))
	b.errs = make([]error, len(b.lines))
	for i, end := range b.ends {
		line := b.data[b.starts[i]:end]
		if fd != nil && fd.decode(line, &b.recs[i]) {
			continue
		}
		b.recs[i] = Record{}
		if err := decodeLine(line, &b.recs[i]); err != nil {
			b.errs[i] = &LineError{File: path, Line: b.lines[i], Err: err}
		}
	}
	b.data = nil
}

// CountLines counts the lines of a file, one more than its newlines (an
// upper bound on its records, to size what holds them), reading it in
// 1 MiB blocks.
func CountLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n := 0
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n + 1, nil // a last line without its newline
		}
		if err != nil {
			return 0, err
		}
	}
}
