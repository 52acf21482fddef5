package kerneltrace

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadCSV(t *testing.T) {
	t.Parallel()
	type testCase struct {
		name    string
		in      string
		want    []Event
		skipped int
		errLine int // > 0: want a *ParseError at this line
	}
	run := func(t *testing.T, tc testCase) {
		tr, err := ReadCSV(context.Background(), strings.NewReader(tc.in), "x.csv")
		if tc.errLine > 0 {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tc.errLine || pe.File != "x.csv" {
				t.Fatalf("err = %v, want a ParseError at x.csv:%d", err, tc.errLine)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, tr.Events); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if tr.Skipped != tc.skipped || tr.HasBase {
			t.Errorf("skipped %d hasBase %v, want %d false", tr.Skipped, tr.HasBase, tc.skipped)
		}
	}
	for _, tc := range []testCase{{
		name: "current nsys with GreenCtx and preamble",
		in: "NOTICE: Existing SQLite export found: r.sqlite\n\nProcessing [r.sqlite] with [cuda_gpu_trace.py]... \n" +
			"Start (ns),Duration (ns),CorrId,GrdX,GrdY,GrdZ,BlkX,BlkY,BlkZ,Reg/Trd,StcSMem (MB),DymSMem (MB),Bytes (MB),Throughput (MB/s),SrcMemKd,DstMemKd,Device,Ctx,GreenCtx,Strm,Name\n" +
			"200,50,2,,,,,,,,,,,,,,NVIDIA H200 (1),1,,13,\"void k<int, float>(int)\"\n" +
			"100,5,1,,,,,,,,,,4.0,,Pageable,Device,NVIDIA H200 (1),1,,7,[CUDA memcpy Host-to-Device]\n" +
			"100,50,3,,,,,,,,,,,,,,NVIDIA H200 (0),1,,7,gemm\n",
		want:    []Event{{Start: 100, Dur: 50, Name: "gemm", Device: 0, Stream: 7}, {Start: 200, Dur: 50, Name: "void k<int, float>(int)", Device: 1, Stream: 13}},
		skipped: 1,
	}, {
		name:    "older gputrace columns, microseconds, reordered",
		in:      "Name,Duration (us),Start (us),Device,Context,Stream\nflash_fwd,1.5,2.25,GPU 3,1,9\n[CUDA memset],0.1,0.1,GPU 3,1,9\n",
		want:    []Event{{Start: 2250, Dur: 1500, Name: "flash_fwd", Device: 3, Stream: 9}},
		skipped: 1,
	}, {
		name: "minimal columns, CRLF",
		in:   "Start (ns),Duration (ns),CorrId,Name\r\n1,900,7,attention_kernel\r\n",
		want: []Event{{Start: 1, Dur: 900, Name: "attention_kernel"}},
	}, {
		name:    "no header",
		in:      "NOTICE: no data\nSKIPPED: r.sqlite does not contain CUDA kernel data.\n",
		errLine: 2,
	}, {
		name:    "bad start",
		in:      "Start (ns),Duration (ns),Name\n1,2,a\nx,2,b\n",
		errLine: 3,
	}, {
		name:    "negative duration",
		in:      "junk\nStart (ns),Duration (ns),Name\n1,-2,a\n",
		errLine: 3,
	}, {
		name:    "short row",
		in:      "Start (ns),Duration (ns),Strm,Name\n1,2,3,a\n4,5\n",
		errLine: 3,
	}, {
		name:    "bad quote",
		in:      "Start (ns),Duration (ns),Name\n1,2,\"a\n\n3,4,b\"x\n",
		errLine: 4,
	}} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestReadKineto(t *testing.T) {
	t.Parallel()
	const base = `"baseTimeNanoseconds": 1700000000000000000`
	type testCase struct {
		name    string
		in      string
		gz      bool
		want    []Event
		hasBase bool
		errOff  int64 // >= 0 with wantErr: the ParseError offset
		wantErr bool
	}
	run := func(t *testing.T, tc testCase) {
		in := []byte(tc.in)
		if tc.gz {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(in)
			zw.Close()
			in = b.Bytes()
		}
		tr, err := ReadKineto(context.Background(), bytes.NewReader(in), "t.json")
		if tc.wantErr {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "t.json" || (tc.errOff >= 0 && pe.Offset != tc.errOff) {
				t.Fatalf("err = %v, want a ParseError at offset %d", err, tc.errOff)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, tr.Events); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if tr.HasBase != tc.hasBase {
			t.Errorf("HasBase = %v", tr.HasBase)
		}
	}
	k := func(ts, dur string) string {
		return `{"ph":"X","cat":"kernel","name":"k","pid":0,"tid":7,"ts":` + ts + `,"dur":` + dur + `,"args":{"device":1,"stream":7}}`
	}
	for _, tc := range []testCase{{
		name:    "base before events, fractional µs exact",
		in:      `{"schemaVersion":1,` + base + `,"traceEvents":[` + k("198093488368.463", "425.4535") + `]}`,
		want:    []Event{{Start: 1700000000000000000 + 198093488368463, Dur: 425454, Name: "k", Device: 1, Stream: 7}},
		hasBase: true,
	}, {
		name: "base after events, gzipped, case and category filter",
		gz:   true,
		in: `{"traceEvents":[{"ph":"X","cat":"Kernel","name":"a","ts":2,"dur":1,"args":{"device":0,"stream":"3"}},` +
			`{"ph":"X","cat":"gpu_memcpy","name":"m","ts":1,"dur":1},{"ph":"X","cat":"cpu_op","name":"c","ts":1,"dur":1},` +
			`{"ph":"i","cat":"kernel","name":"i","ts":1}],` + base + `}`,
		want:    []Event{{Start: 1700000000000002000, Dur: 1000, Name: "a", Device: 0, Stream: 3}},
		hasBase: true,
	}, {
		name: "array format without base: relative",
		in:   `[` + k("1.5", "2") + `,` + k("1e3", "0.0005") + `]`,
		want: []Event{{Start: 1500, Dur: 2000, Name: "k", Device: 1, Stream: 7}, {Start: 1000000, Dur: 1, Name: "k", Device: 1, Stream: 7}},
	}, {
		name:    "absolute µs without base",
		in:      `{"traceEvents":[` + k("1700000000000000.25", "1") + `]}`,
		want:    []Event{{Start: 1700000000000000250, Dur: 1000, Name: "k", Device: 1, Stream: 7}},
		hasBase: true,
	}, {
		name:    "truncated",
		in:      `{"traceEvents":[` + k("1", "2"),
		wantErr: true, errOff: -1,
	}, {
		name:    "negative duration at its event's offset",
		in:      `{"traceEvents":[` + k("1", "-2") + `]}`,
		wantErr: true, errOff: 16,
	}, {
		name:    "ts not a number",
		in:      `{"traceEvents":[{"ph":"X","cat":"kernel","ts":"soon","dur":1}]}`,
		wantErr: true, errOff: 16,
	}, {
		name:    "no traceEvents",
		in:      `{"foo":1}`,
		wantErr: true, errOff: -1,
	}, {
		name:    "trailing garbage",
		in:      `{"traceEvents":[]} x`,
		wantErr: true, errOff: -1,
	}} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestUsToNs(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"0": 0, "1": 1000, "1.5": 1500, "0.0005": 1, "0.0004": 0, "-1.25": -1250, ".5": 500,
		"198093488368.463": 198093488368463, "2.5e-3": 3, "1E3": 1000000,
	} {
		got, err := usToNs(in)
		if err != nil || got != want {
			t.Errorf("usToNs(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-", "1.2.3", "1x", "9999999999999999999", "1e400"} {
		if _, err := usToNs(in); err == nil {
			t.Errorf("usToNs(%q) succeeded", in)
		}
	}
}

// TestReadSQLite covers what the fixture does not: a missing kernel table,
// a kernel ending before it starts, and an export without the session table.
func TestReadSQLite(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, stmts ...string) string {
		p := filepath.Join(dir, name)
		db, err := sql.Open("sqlite", "file:"+p)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range stmts {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return p
	}
	ctx := context.Background()
	kernel := `CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (start INTEGER, end INTEGER, deviceId INTEGER, streamId INTEGER, shortName INTEGER)`

	p := mk("empty.sqlite", `CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT)`)
	var pe *ParseError
	if _, err := ReadSQLite(ctx, p); !errors.As(err, &pe) || pe.Table != tableKernel {
		t.Errorf("no kernel table: err = %v", err)
	}

	p = mk("backwards.sqlite", kernel, `INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (5, 9, 0, 7, 1), (20, 10, 0, 7, 1)`)
	if _, err := ReadSQLite(ctx, p); !errors.As(err, &pe) || pe.Row != 2 || !strings.Contains(err.Error(), "rowid 2") {
		t.Errorf("backwards kernel: err = %v, want rowid 2", err)
	}

	p = mk("nobase.sqlite", kernel, `CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT)`,
		`INSERT INTO StringIds VALUES (1, 'gemm')`,
		`INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (30, 40, 0, 7, 1), (5, 9, 1, 8, 2)`)
	tr, err := ReadSQLite(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{Start: 5, Dur: 4, Name: "2", Device: 1, Stream: 8}, {Start: 30, Dur: 10, Name: "gemm", Device: 0, Stream: 7}}
	if diff := cmp.Diff(want, tr.Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if tr.HasBase || len(tr.Warnings) == 0 {
		t.Errorf("HasBase %v warnings %v: want no base and a warning", tr.HasBase, tr.Warnings)
	}

	// demangledName 0 (unset) falls back to the short name.
	p = mk("short.sqlite", `CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (start INTEGER, end INTEGER, demangledName INTEGER, shortName INTEGER)`,
		`CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT)`, `INSERT INTO StringIds VALUES (1, 'gemm'), (2, 'void gemm<int>(int)')`,
		`INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (1, 2, 0, 1), (3, 4, 2, 1)`)
	if tr, err = ReadSQLite(ctx, p); err != nil || tr.Events[0].Name != "gemm" || tr.Events[1].Name != "void gemm<int>(int)" {
		t.Errorf("names: %v %v", tr, err)
	}

	if _, err := Load(ctx, filepath.Join(dir, "missing.sqlite"), FormatSQLite); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		head string
		want Format
	}{
		{"SQLite format 3\x00rest", FormatSQLite},
		{"\x1f\x8b\x08", FormatKineto},
		{"  \n{\"traceEvents\"", FormatKineto},
		{"[{", FormatKineto},
		{"NOTICE: x\nStart (ns),", FormatCSV},
	} {
		if got, err := Detect([]byte(tc.head)); err != nil || got != tc.want {
			t.Errorf("Detect(%q) = %s, %v; want %s", tc.head, got, err, tc.want)
		}
	}
	for _, head := range []string{"", " \n", "a\x00b"} {
		if _, err := Detect([]byte(head)); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Detect(%q): err = %v", head, err)
		}
	}
}

func TestSetBase(t *testing.T) {
	t.Parallel()
	tr := &Trace{Events: []Event{{Start: 5, Dur: time.Microsecond}}, Ranges: []Range{{Start: 1, End: 2}}}
	if err := tr.SetBase(100, "test"); err != nil {
		t.Fatal(err)
	}
	if tr.Events[0].Start != 105 || tr.Ranges[0] != (Range{Start: 101, End: 102}) || !tr.HasBase {
		t.Errorf("after SetBase: %+v %+v", tr.Events, tr.Ranges)
	}
	if err := tr.SetBase(1, "again"); err == nil {
		t.Error("second SetBase succeeded")
	}
}
