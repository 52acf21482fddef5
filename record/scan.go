package record

import (
	"bufio"
	"bytes"
	"fmt"
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
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), maxLine)
		line := 0
		b := &scanBatch{done: make(chan struct{})}
		send := func() bool {
			select {
			case order <- b:
			case <-quit:
				return false
			}
			work <- b
			b = &scanBatch{done: make(chan struct{})}
			return true
		}
		for sc.Scan() {
			line++
			t := bytes.TrimSpace(sc.Bytes())
			if len(t) == 0 {
				continue
			}
			b.ends = append(b.ends, len(b.data)+len(t))
			b.data = append(b.data, t...)
			b.lines = append(b.lines, line)
			if len(b.data) >= scanBatchBytes || len(b.lines) >= scanBatchLines {
				if !send() {
					return
				}
			}
		}
		if serr := sc.Err(); serr != nil {
			readErr = fmt.Errorf("reading %s after line %d: %w", path, line, serr)
		}
		if len(b.lines) > 0 {
			send()
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

// Batch bounds: enough lines to amortise the hand-offs, few enough that
// the batches in flight stay small.
const (
	scanBatchBytes = 1 << 20
	scanBatchLines = 512
)

// scanBatch is a run of consecutive non-blank lines: their bytes (data,
// each ending at ends[i]), line numbers, and once done is closed their
// records or *LineError values.
type scanBatch struct {
	data  []byte
	ends  []int
	lines []int
	recs  []Record
	errs  []error
	done  chan struct{}
}

// decode decodes the batch's lines, with fd (the fast path for the
// selected fields) first when it is not nil.
func (b *scanBatch) decode(path string, fd *fastDecoder) {
	b.recs = make([]Record, len(b.lines))
	b.errs = make([]error, len(b.lines))
	start := 0
	for i, end := range b.ends {
		line := b.data[start:end]
		if fd != nil && fd.decode(line, &b.recs[i]) {
			start = end
			continue
		}
		b.recs[i] = Record{}
		if err := decodeLine(line, &b.recs[i]); err != nil {
			b.errs[i] = &LineError{File: path, Line: b.lines[i], Err: err}
		}
		start = end
	}
	b.data = nil
}
