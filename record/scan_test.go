package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestScanRecords checks that streaming gives the records ReadRecords
// gives, in order with their line numbers, the same *LineError values for
// bad lines, and stops at the first error fn returns.
func TestScanRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), RequestsFile)
	body := `{"id":"req_000001","profile":"a","ttft_s":0.1,"total_s":1,"concurrency":1,"itl_s":[0.01,0.02]}
not json

{"id":"req_000002","profile":"b","ttft_s":null,"total_s":2,"concurrency":2} {"x":1}
{"id":"req_000003","profile":"c","ttft_s":0.3,"total_s":3,"concurrency":4}
{"id":"req_000004","profile":"d","ttft_s":0.4,"total_s":4,"concurrency":8
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	want, wantBad, err := ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []Record
	var lines []int
	bad, err := ScanRecords(path, func(line int, r *Record) error {
		got = append(got, *r)
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("records differ from ReadRecords (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int{1, 5}, lines); d != "" {
		t.Errorf("line numbers (-want +got):\n%s", d)
	}
	var msgs, wantMsgs []string
	for _, e := range bad {
		msgs = append(msgs, e.Error())
	}
	for _, e := range wantBad {
		wantMsgs = append(wantMsgs, e.Error())
	}
	if len(msgs) != 3 || cmp.Diff(wantMsgs, msgs) != "" {
		t.Errorf("bad lines %q, want the 3 of ReadRecords %q", msgs, wantMsgs)
	}
	var le *LineError
	if !errors.As(bad[0], &le) || le.Line != 2 || le.File != path {
		t.Errorf("first bad line %v, want a *LineError at %s:2", bad[0], path)
	}

	stop := errors.New("enough")
	n := 0
	_, err = ScanRecords(path, func(int, *Record) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn's error: got %v after %d calls, want %v after 1", err, n, stop)
	}
	if _, err := ScanRecords(filepath.Join(t.TempDir(), "none"), func(int, *Record) error { return nil }); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

// TestScanRecordsBatches checks order, line numbers and bad lines across
// many decoding batches, and a stop in the middle of the file.
func TestScanRecordsBatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), RequestsFile)
	var b []byte
	for i := range 5000 {
		switch {
		case i%997 == 0:
			b = append(b, "{broken\n"...)
		case i%1500 == 1:
			b = append(b, "\n"...)
		default:
			b = append(b, fmt.Sprintf(`{"id":%q,"seq":%d,"total_s":1,"itl_s":[0.1,0.2,0.3]}`+"\n", RequestID(i), i)...)
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	want, wantBad, err := ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []Record
	bad, err := ScanRecords(path, func(line int, r *Record) error {
		if line != r.Seq+1 {
			return fmt.Errorf("record %s on line %d", r.ID, line)
		}
		got = append(got, *r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("records differ from ReadRecords (-want +got):\n%s", d)
	}
	if len(bad) != len(wantBad) || len(bad) != 6 {
		t.Fatalf("%d bad lines, want ReadRecords' %d (6)", len(bad), len(wantBad))
	}
	for i := range bad {
		if bad[i].Error() != wantBad[i].Error() {
			t.Errorf("bad line %d: %v, want %v", i, bad[i], wantBad[i])
		}
	}
	n := 0
	_, err = ScanRecords(path, func(int, *Record) error {
		if n++; n == 2500 {
			return errors.New("stop")
		}
		return nil
	})
	if err == nil || n != 2500 {
		t.Errorf("stopped after %d records with %v, want 2500 and the error", n, err)
	}
}

// TestScanBlocks checks the block reader against ReadRecords (a line
// scanner) where lines cross blocks: a line longer than a block, CRLF
// endings, lines padded with Unicode spaces, blank lines, and a last line
// without its newline — for ScanRecords and ScanFields alike.
func TestScanBlocks(t *testing.T) {
	var body strings.Builder
	long := strings.Repeat("0.0125,", scanBatchBytes/3) + "0.5"
	for i := range 3000 {
		switch i % 500 {
		case 7:
			fmt.Fprintf(&body, `{"id":"r%d","profile":"p","itl_s":[%s]}`+"\n", i, long)
		case 8:
			fmt.Fprintf(&body, "{\"id\":\"r%d\",\"profile\":\"p\"}\r\n", i)
		case 9:
			fmt.Fprintf(&body, "\u00a0 {\"id\":\"r%d\",\"profile\":\"p\"}\u00a0\u2003\n", i)
		case 10:
			body.WriteString("\n \t\n")
		case 11:
			body.WriteString("{broken\n")
		default:
			fmt.Fprintf(&body, `{"id":"r%d","profile":"p%d","total_s":%d.5,"itl_s":[0.01,0.02]}`+"\n", i, i%7, i)
		}
	}
	body.WriteString(`{"id":"last","profile":"p"}`) // no newline
	path := filepath.Join(t.TempDir(), RequestsFile)
	if err := os.WriteFile(path, []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	want, wantBad, err := ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	errs := func(es []error) []string {
		var s []string
		for _, e := range es {
			s = append(s, e.Error())
		}
		return s
	}
	all := AllFields()
	for _, sel := range []*Fields{nil, {}, &all} {
		var got []Record
		fn := func(_ int, r *Record) error { got = append(got, *r); return nil }
		var bad []error
		if sel == nil {
			bad, err = ScanRecords(path, fn)
		} else {
			bad, err = ScanFields(path, *sel, fn)
		}
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(errs(wantBad), errs(bad)); d != "" || len(bad) != 6 {
			t.Errorf("bad lines (-ReadRecords +scan):\n%s", d)
		}
		if len(got) != len(want) || want[len(want)-1].ID != "last" {
			t.Fatalf("%d records, want %d ending with \"last\"", len(got), len(want))
		}
		for i := range got {
			if sel != nil && *sel == (Fields{}) {
				continue // nothing selected: only the count and errors
			}
			if d := cmp.Diff(want[i], got[i]); d != "" {
				t.Fatalf("record %d (-ReadRecords +scan):\n%s", i, d)
			}
		}
	}
}
