package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFieldTableCoversRecord checks fieldTable against Record's JSON
// tags: every field is listed once, with the kind its Go type decodes as
// and an accessor that reaches that very field.
func TestFieldTableCoversRecord(t *testing.T) {
	rt := reflect.TypeFor[Record]()
	kinds := map[reflect.Type]fieldKind{
		reflect.TypeFor[string](): kString, reflect.TypeFor[ErrorClass](): kString,
		reflect.TypeFor[float64](): kFloat, reflect.TypeFor[*float64](): kFloatPtr,
		reflect.TypeFor[int](): kInt, reflect.TypeFor[*int](): kIntPtr, reflect.TypeFor[int64](): kInt64,
		reflect.TypeFor[bool](): kBool, reflect.TypeFor[[]float64](): kFloats, reflect.TypeFor[[]int](): kInts,
	}
	if rt.NumField() != len(fieldTable) {
		t.Errorf("Record has %d fields, fieldTable %d: add the new field to fieldTable in fields.go", rt.NumField(), len(fieldTable))
	}
	var r Record
	base := reflect.ValueOf(&r).Elem()
	for i := range rt.NumField() {
		sf := rt.Field(i)
		key, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		fi, ok := fieldByKey[key]
		if !ok {
			t.Errorf("Record.%s (json %q) is missing from fieldTable in fields.go", sf.Name, key)
			continue
		}
		f := fieldTable[fi]
		want, ok := kinds[sf.Type]
		if !ok || f.kind != want {
			t.Errorf("fieldTable %q: kind %d, Record.%s is a %s", key, f.kind, sf.Name, sf.Type)
			continue
		}
		if got, want := accessorAddr(&r, &f), base.Field(i).Addr().Pointer(); got != want {
			t.Errorf("fieldTable %q: accessor reaches another field than Record.%s", key, sf.Name)
		}
	}
}

func accessorAddr(r *Record, f *field) uintptr {
	var p any
	switch f.kind {
	case kString:
		p = f.str(r)
	case kFloat:
		p = f.f64(r)
	case kFloatPtr:
		p = f.f64p(r)
	case kInt:
		p = f.i(r)
	case kIntPtr:
		p = f.ip(r)
	case kInt64:
		p = f.i64(r)
	case kBool:
		p = f.b(r)
	case kFloats:
		p = f.f64s(r)
	case kInts:
		p = f.is(r)
	}
	return reflect.ValueOf(p).Pointer()
}

// selectedDiff describes how a and b differ in the fields of sel.
func selectedDiff(a, b *Record, sel Fields) string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	rt := va.Type()
	var out []string
	for i := range rt.NumField() {
		key, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if !sel.Has(key) {
			continue
		}
		if d := cmp.Diff(va.Field(i).Interface(), vb.Field(i).Interface()); d != "" {
			out = append(out, key+": "+d)
		}
	}
	return strings.Join(out, "\n")
}

// testSelections are the selections checked: everything, a report's and
// a comparison's (no arrays), and a few scalars.
var testSelections = []Fields{
	AllFields(),
	AllFields().Without("itl_s", "sim_itl_s", "itl_token_s", "chunk_tokens", "id", "error", "server_request_id"),
	FieldsOf("profile", "ttft_s", "concurrency", "itl_s", "token_mismatch", "shard", "start_unix_ns"),
}

// checkFast decodes line with the fast decoder and with encoding/json and
// reports a difference on the selected fields; handled says whether the
// fast path took the line.
func checkFast(t *testing.T, line []byte, sel Fields) (handled bool) {
	t.Helper()
	var want Record
	werr := decodeLine(line, &want)
	var got Record
	handled = newFastDecoder(sel).decode(line, &got)
	if !handled {
		return false
	}
	if werr != nil {
		t.Fatalf("fast path took %q, which encoding/json refuses: %v", line, werr)
	}
	if d := selectedDiff(&want, &got, sel); d != "" {
		t.Fatalf("fast path on %q differs from encoding/json (-json +fast):\n%s", line, d)
	}
	return true
}

// fastCases are lines the fast path must take (true) or leave to
// encoding/json (false), each checked against encoding/json.
var fastCases = []struct {
	line string
	fast bool
}{
	{`{"id":"req_000001","profile":"a","ttft_s":0.1,"total_s":1,"concurrency":1,"itl_s":[0.01,2e-7,1E2],"shard":3,"token_mismatch":true}`, true},
	{` { "profile" : "a" , "ttft_s" : null , "itl_s" : [ ] , "chunk_tokens":[1, 2] } `, true},
	{`{}`, true},
	{`{"unknown":{"a":[1,"x\u00e9\n",{"b":null}],"c":true},"profile":"p"}`, true},
	{`{"error":"caf\u00e9 \"quoted\"","profile":"p"}`, false}, // escapes: taken only by a selection that skips error
	{`{"Profile":"a"}`, false},               // case-insensitive match
	{`{"PROFILE":"a","profile":"b"}`, false}, // both spellings
	{`{"profile":"a","profile":"b"}`, false}, // last wins
	{`{"profile":"caf\u00e9"}`, false},       // escape in a decoded string
	{"{\"profile\":\"caf\xc3\xa9\"}", false}, // non-ASCII
	{"{\"profile\":\"bad\xff\"}", false},     // invalid UTF-8 (replaced by encoding/json)
	{`{"concurrency":1.5}`, false},           // not an integer
	{`{"concurrency":"1"}`, false},           // wrong type
	{`{"seq":"1"}`, false},                   // wrong type in a skipped field too
	{`{"seq":1e2}`, false},                   //
	{`{"total_s":1e400}`, false},             // out of range
	{`{"itl_s":[1e400]}`, false},             //
	{`{"itl_s":[1,null]}`, false},            // null element
	{`{"total_s":01}`, false},                // bad number
	{`{"total_s":.5}`, false},                //
	{`{"total_s":-}`, false},                 //
	{`{"total_s":1.}`, false},                //
	{`{"total_s":NaN}`, false},               //
	{`{"profile":"a"} x`, false},             // trailing data
	{`{"profile":"a"}}`, false},              // accepted by the stream decoder
	{`{"profile":"a",}`, false},              // trailing comma
	{`{"profile":"a"`, false},                // truncated
	{`null`, false},                          //
	{`[]`, false},                            //
	{`{"x":"tab	in string"}`, false},         // control character
	{`{"x":"\q"}`, false},                    // bad escape
	{`{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, false}, // deep
	{`{"token_mismatch":1}`, false},                                              //
	{`{"concurrency":99999999999999999999}`, false},                              // overflow
}

// TestFastDecodeCases checks the fast path against encoding/json on lines
// it must take and lines it must leave alone, for every test selection.
func TestFastDecodeCases(t *testing.T) {
	for _, c := range fastCases {
		for si, sel := range testSelections {
			got := checkFast(t, []byte(c.line), sel)
			// A line that only skips a field may be taken by one selection
			// and not by another; the table's verdict is for AllFields.
			if si == 0 && got != c.fast {
				t.Errorf("fast path took %q: %v, want %v", c.line, got, c.fast)
			}
		}
	}
}

// TestFastDecodeWrittenRecords checks the fast path takes every line the
// writer produces (the golden records) and agrees with encoding/json.
func TestFastDecodeWrittenRecords(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "records.golden.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range bytes.Lines(b) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		for _, sel := range testSelections {
			if !checkFast(t, line, sel) {
				t.Errorf("fast path left a written record to encoding/json: %s", line)
			}
		}
		n++
	}
	if n == 0 {
		t.Fatal("no records in the golden file")
	}
}

// FuzzFastDecode checks that whatever the fast path takes, encoding/json
// takes too, with the same selected fields.
//
//	go test ./record -run '^$' -fuzz FuzzFastDecode -fuzztime 60s
func FuzzFastDecode(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c.line))
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "records.golden.jsonl")); err == nil {
		for line := range bytes.Lines(b) {
			f.Add(bytes.TrimSpace(line))
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, sel := range testSelections {
			checkFast(t, line, sel)
		}
	})
}

// TestScanFields checks that ScanFields gives ScanRecords' records on the
// selected fields, the same line numbers and the same bad lines.
func TestScanFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), RequestsFile)
	var body strings.Builder
	for i := range 1500 { // several batches
		fmt.Fprintf(&body, `{"id":"req_%06d","profile":"p%d","ttft_s":0.%d,"total_s":%d,"concurrency":%d,"itl_s":[0.01,0.0%d]}`+"\n", i, i%3, i+1, i, i%4, i)
		switch i {
		case 7:
			body.WriteString("not json\n")
		case 900:
			body.WriteString(`{"Profile":"folded","total_s":1}` + "\n\n")
		case 901:
			body.WriteString(`{"profile":"x","concurrency":"2"}` + "\n")
		}
	}
	if err := os.WriteFile(path, []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	type got struct {
		line int
		r    Record
	}
	collect := func(scan func(func(int, *Record) error) ([]error, error)) ([]got, []string) {
		var gs []got
		bad, err := scan(func(line int, r *Record) error {
			gs = append(gs, got{line, *r})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, e := range bad {
			msgs = append(msgs, e.Error())
		}
		return gs, msgs
	}
	want, wantBad := collect(func(fn func(int, *Record) error) ([]error, error) { return ScanRecords(path, fn) })
	for _, sel := range testSelections {
		gs, bad := collect(func(fn func(int, *Record) error) ([]error, error) { return ScanFields(path, sel, fn) })
		if d := cmp.Diff(wantBad, bad); d != "" || len(bad) != 2 {
			t.Errorf("bad lines (-ScanRecords +ScanFields):\n%s", d)
		}
		if len(gs) != len(want) {
			t.Fatalf("%d records, want %d", len(gs), len(want))
		}
		for i := range gs {
			if gs[i].line != want[i].line {
				t.Fatalf("record %d at line %d, want %d", i, gs[i].line, want[i].line)
			}
			if d := selectedDiff(&want[i].r, &gs[i].r, sel); d != "" {
				t.Fatalf("line %d differs:\n%s", gs[i].line, d)
			}
		}
	}
}

// BenchmarkDecode measures one line's decoding by encoding/json and by
// the fast path for each test selection, over HYPOBENCH_SCAN_SAMPLE (a
// requests.jsonl; default the golden records):
//
//	head -n 4000 RUN/requests.jsonl > /tmp/sample.jsonl
//	HYPOBENCH_SCAN_SAMPLE=/tmp/sample.jsonl go test ./record -run '^$' -bench Decode
func BenchmarkDecode(b *testing.B) {
	path := os.Getenv("HYPOBENCH_SCAN_SAMPLE")
	if path == "" {
		path = filepath.Join("testdata", "records.golden.jsonl")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for l := range bytes.Lines(data) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			lines = append(lines, l)
		}
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
		b.SetBytes(int64(len(data)))
	}
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			for _, l := range lines {
				var r Record
				if err := decodeLine(l, &r); err != nil {
					b.Fatal(err)
				}
			}
		}
		report(b)
	})
	for i, sel := range testSelections {
		b.Run(fmt.Sprintf("fast-%d-fields-%d", i, sel.Len()), func(b *testing.B) {
			d := newFastDecoder(sel)
			for b.Loop() {
				for _, l := range lines {
					var r Record
					if !d.decode(l, &r) {
						b.Fatal("not taken")
					}
				}
			}
			report(b)
		})
	}
}

// TestParseFloat checks parseFloat bit for bit against strconv on
// numbers written every way Go and JSON writers write them, and on its
// edges (15 and 16 digits, exponents ±22 and beyond, zeros).
func TestParseFloat(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, werr := strconv.ParseFloat(s, 64)
		got, gerr := parseFloat([]byte(s))
		if (werr == nil) != (gerr == nil) || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("parseFloat(%q) = %v, %v; strconv gives %v, %v", s, got, gerr, want, werr)
		}
	}
	for _, s := range []string{"0", "-0", "0.0", "-0.000", "1", "-1", "0.013266", "123456789012345", "1234567890123456",
		"0.000000000000000000001", "1e22", "1e23", "9e-22", "9e-23", "1.5e-7", "2E+3", "1e0", "0e5", "100000000000000000000000",
		"0.1234567890123456789", "4.9e-324", "1e308", "1e309", "1e-400", "17976931348623157e292", "1.000000000000001"} {
		check(s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		x := math.Float64frombits(rng.Uint64())
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		if rng.IntN(2) == 0 {
			x = rng.ExpFloat64() * math.Pow(10, float64(rng.IntN(12)-9))
		}
		b, _ := json.Marshal(x)
		check(string(b))
		check(strconv.FormatFloat(x, 'f', rng.IntN(10), 64))
		check(strconv.FormatFloat(x, 'e', rng.IntN(17), 64))
		check(strconv.FormatFloat(x, 'g', -1, 64))
	}
}
