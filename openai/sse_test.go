package openai

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// ev is an event reduced to what the parser decides.
type ev struct {
	Type, Data, ID string
	Offset         int64
}

// parseAll parses r to its end and returns the events and the final error
// (nil for a clean end).
func parseAll(r io.Reader, maxLine int) ([]ev, error) {
	p := NewParser(r, maxLine)
	var out []ev
	for {
		e, err := p.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev{e.Type, string(e.Data), e.ID, e.Offset})
	}
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := min(c.n, len(p), len(c.b))
	copy(p, c.b[:k])
	c.b = c.b[k:]
	return k, nil
}

func TestParser(t *testing.T) {
	type testCase struct {
		name    string
		in      string
		maxLine int
		want    []ev
		wantErr error
		errOff  int64
	}
	cases := []testCase{
		{name: "single", in: "data: a\n\n", want: []ev{{"message", "a", "", 0}}},
		{name: "multi-line data joined with LF", in: "data: a\ndata:b\ndata:  c\n\n", want: []ev{{"message", "a\nb\n c", "", 0}}},
		{name: "CRLF", in: "data: a\r\n\r\ndata: b\r\n\r\n", want: []ev{{"message", "a", "", 0}, {"message", "b", "", 11}}},
		{name: "CR only", in: "data: a\r\rdata: b\r\r", want: []ev{{"message", "a", "", 0}, {"message", "b", "", 9}}},
		{name: "comments and keep-alives", in: ": ping\n\n:\ndata: x\n: mid\n\n", want: []ev{{"message", "x", "", 10}}},
		{name: "event type and id", in: "event: error\nid: 7\ndata: {}\n\ndata: y\n\n", want: []ev{{"error", "{}", "7", 0}, {"message", "y", "7", 29}}},
		{name: "id with NUL ignored", in: "id: a\x00b\ndata: z\n\n", want: []ev{{"message", "z", "", 0}}},
		{name: "empty data dispatches empty event", in: "data\n\ndata:\n\n", want: []ev{{"message", "", "", 0}, {"message", "", "", 6}}},
		{name: "no data no event", in: "event: x\n\nretry: 10\nfoo: bar\n\n", want: nil},
		{name: "field without colon", in: "data\ndata\n\n", want: []ev{{"message", "\n", "", 0}}},
		{name: "only first space stripped", in: "data:   a  \n\n", want: []ev{{"message", "  a  ", "", 0}}},
		{name: "BOM stripped", in: "\xEF\xBB\xBFdata: a\n\n", want: []ev{{"message", "a", "", 3}}},
		{name: "incomplete event at EOF discarded", in: "data: a\n\ndata: b\n", want: []ev{{"message", "a", "", 0}}},
		{name: "unterminated line at EOF discarded", in: "data: a\n\ndata: b", want: []ev{{"message", "a", "", 0}}},
		{name: "DONE", in: "data: [DONE]\n\n", want: []ev{{"message", "[DONE]", "", 0}}},
		{name: "line too long", in: "data: 0123456789\n\n", maxLine: 8, wantErr: ErrLineTooLong, errOff: 0},
		{name: "line too long after an event", in: "data: a\n\ndata: 0123456789\n\n", maxLine: 8, want: []ev{{"message", "a", "", 0}}, wantErr: ErrLineTooLong, errOff: 9},
		{name: "unterminated line too long", in: strings.Repeat("x", 20), maxLine: 8, wantErr: ErrLineTooLong},
		{name: "line at the limit", in: "data: 12\n\n", maxLine: 8, want: []ev{{"message", "12", "", 0}}},
		{name: "invalid UTF-8", in: "data: ok\n\ndata: a\xffb\n\n", want: []ev{{"message", "ok", "", 0}}, wantErr: ErrInvalidUTF8, errOff: 17},
	}
	run := func(t *testing.T, tc testCase) {
		for _, n := range []int{1, 2, 3, 7, 1 << 16} {
			got, err := parseAll(&chunkReader{b: []byte(tc.in), n: n}, tc.maxLine)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("reads of %d bytes: events (-want +got):\n%s", n, d)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("reads of %d bytes: err = %v, want %v", n, err, tc.wantErr)
			}
			var pe *ParseError
			if tc.wantErr != nil && errors.As(err, &pe) && pe.Offset != tc.errOff {
				t.Errorf("reads of %d bytes: error offset %d, want %d (%v)", n, pe.Offset, tc.errOff, err)
			}
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { t.Parallel(); run(t, tc) })
	}
}

// timedReader delivers pieces one per Read and advances a fake clock by one
// second per Read.
type timedReader struct {
	pieces []string
	clock  *time.Time
}

func (r *timedReader) Read(p []byte) (int, error) {
	if len(r.pieces) == 0 {
		return 0, io.EOF
	}
	*r.clock = r.clock.Add(time.Second)
	n := copy(p, r.pieces[0])
	r.pieces = r.pieces[1:]
	return n, nil
}

func TestParserArrivalIsDispatchingRead(t *testing.T) {
	t.Parallel()
	base := time.Unix(1000, 0)
	clock := base
	// read 1: a whole event and half of the next; read 2: the rest of it
	// without the blank line; read 3: the blank line; read 4: two events.
	r := &timedReader{clock: &clock, pieces: []string{"data: a\n\ndata: b", "\n", "\n", "data: c\n\ndata: d\n\n"}}
	p := NewParser(r, 0)
	p.now = func() time.Time { return clock }
	want := []time.Duration{1 * time.Second, 3 * time.Second, 4 * time.Second, 4 * time.Second}
	for i, w := range want {
		e, err := p.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if got := e.Arrival.Sub(base); got != w {
			t.Errorf("event %d (%q): arrival %v, want %v", i, e.Data, got, w)
		}
	}
	if _, err := p.Next(); err != io.EOF {
		t.Fatalf("after the last event: err = %v, want io.EOF", err)
	}
}

func TestParserReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	p := NewParser(io.MultiReader(strings.NewReader("data: a\n\ndata: b\n"), iotestErr{boom}), 0)
	if _, err := p.Next(); err != nil {
		t.Fatal(err)
	}
	_, err := p.Next()
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v", err, boom)
	}
	if _, err2 := p.Next(); !errors.Is(err2, boom) {
		t.Fatalf("second call after error: %v", err2)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestParserOllamaFixtures(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../fixtures/sse/ollama-v0.17.4/*.txt")
	if len(files) != 3 {
		t.Fatalf("found %d Ollama fixtures, want 3", len(files))
	}
	wantEvents := map[string]int{"chat-include-usage.txt": 11, "completions-include-usage.txt": 11, "completions-no-usage.txt": 5}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseAll(bytes.NewReader(b), 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if n := wantEvents[filepath.Base(f)]; len(got) != n {
			t.Errorf("%s: %d events, want %d", f, len(got), n)
		}
		if last := got[len(got)-1]; last.Data != "[DONE]" {
			t.Errorf("%s: last event %q, want [DONE]", f, last.Data)
		}
	}
}

// FuzzSSE checks that the parser never panics, respects its line limit,
// returns only valid UTF-8, and that cutting the stream into reads of any
// size gives the same events and the same error.
func FuzzSSE(f *testing.F) {
	files, _ := filepath.Glob("../fixtures/sse/ollama-v0.17.4/*.txt")
	for _, fn := range files {
		if b, err := os.ReadFile(fn); err == nil {
			f.Add(b, uint8(3))
		}
	}
	f.Add([]byte("data: a\r\ndata: b\r\n\r\n: c\r\rdata: [DONE]\n\n"), uint8(1))
	f.Add([]byte("\xEF\xBB\xBFevent: error\nid: 1\ndata: {\"error\":{}}\n\n"), uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		const maxLine = 64
		whole, errWhole := parseAll(bytes.NewReader(in), maxLine)
		cut, errCut := parseAll(&chunkReader{b: in, n: int(split%16) + 1}, maxLine)
		if d := cmp.Diff(whole, cut); d != "" {
			t.Fatalf("events differ between one read and reads of %d bytes (-whole +cut):\n%s", split%16+1, d)
		}
		if (errWhole == nil) != (errCut == nil) || (errWhole != nil && errWhole.Error() != errCut.Error()) {
			t.Fatalf("errors differ: one read %v, cut reads %v", errWhole, errCut)
		}
		for _, e := range whole {
			if !utf8.ValidString(e.Data) || !utf8.ValidString(e.Type) || !utf8.ValidString(e.ID) {
				t.Fatalf("invalid UTF-8 in event %+v", e)
			}
			for _, l := range strings.Split(e.Data, "\n") {
				if len(l) > maxLine {
					t.Fatalf("data line of %d bytes passed a limit of %d", len(l), maxLine)
				}
			}
			if e.Offset < 0 || e.Offset > int64(len(in)) {
				t.Fatalf("event offset %d outside the input of %d bytes", e.Offset, len(in))
			}
		}
	})
}
