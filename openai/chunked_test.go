package openai

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

const chunkedHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"

// netHTTPChunked decodes body as net/http does (http.ReadResponse, whose
// Body reads the chunks and the trailer).
func netHTTPChunked(body []byte) ([]byte, error) {
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(chunkedHead+string(body))), nil)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(resp.Body)
}

// ourChunked decodes body with chunkedBody, the stream arriving in reads
// of at most `piece` bytes and read into buffers of at most `out` bytes,
// after the head was parsed from the same buffered reader (so some body
// bytes start out in it). It also reports whether the connection would be
// reusable.
func ourChunked(t *testing.T, body []byte, piece, out int) ([]byte, error, bool) {
	src := &endReader{chunkReader{b: []byte(chunkedHead + string(body)), n: piece}, false}
	br := bufio.NewReaderSize(src, maxChunkLine)
	if _, err := http.ReadResponse(br, nil); err != nil {
		t.Fatalf("head: %v", err)
	}
	cb := newChunkedBody(br, src)
	var got []byte
	buf := make([]byte, out)
	for range 1 << 20 {
		n, err := cb.Read(buf)
		if n < 0 || n > len(buf) {
			t.Fatalf("Read returned %d for a %d-byte buffer", n, len(buf))
		}
		got = append(got, buf[:n]...)
		if err == io.EOF {
			if src.pastEnd {
				// On a connection that read would wait for bytes that never come.
				t.Fatalf("%q: a read past the end of a body that had ended", body)
			}
			return got, nil, cb.reusable()
		}
		if err != nil {
			return got, err, false
		}
		if n == 0 {
			t.Fatal("Read returned 0 bytes and no error")
		}
	}
	t.Fatal("no end after 2^20 reads")
	return nil, nil, false
}

// endReader is a chunkReader that notes a read after its bytes ran out.
type endReader struct {
	chunkReader
	pastEnd bool
}

func (e *endReader) Read(p []byte) (int, error) {
	if len(e.b) == 0 {
		e.pastEnd = true
	}
	return e.chunkReader.Read(p)
}

var chunkedSeeds = []string{
	"5\r\nhello\r\n0\r\n\r\n",
	"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	"5;ext=1\r\nhello\r\n0 \r\n\r\n",
	"5\t\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n",
	"5\r\nhello\r\n0\r\n\r\nGARBAGE",
	"5\nhello\r\n0\r\n\r\n",      // bare LF
	"5\r\nhelloXX0\r\n\r\n",      // no CRLF after data
	"5 ;x\r\nhello\r\n0\r\n\r\n", // space before ';'
	"10000000000000000\r\n",      // 17 digits
	"5\r\nhel",                   // truncated data
	"5\r\nhello\r\n0\r\n",        // no end of trailer
	"5\r\nhello\r\n0\r\nBad Trailer\r\n\r\n",
	"a\r\ndata: {}\n\n\r\n0\r\n\r\n",
	"1\r\na\r\n1\r\nb\r\n1\r\nc\r\n1\r\nd\r\n0\r\n\r\n",
	"\r\n",
	"5\r\r\nhello\r\n0\r\n\r\n",
}

// TestChunkedBodyMatchesNetHTTP checks chunkedBody against net/http on
// fixed bodies, each read in 1-byte, 3-byte and whole pieces.
func TestChunkedBodyMatchesNetHTTP(t *testing.T) {
	long := strings.Repeat("x", maxChunkLine-3) // the longest chunk-size line net/http takes, with "\r\n"
	seeds := append(chunkedSeeds,
		"1;"+long[:len(long)-2]+"\r\na\r\n0\r\n\r\n",
		"1;"+long[:len(long)-1]+"\r\na\r\n0\r\n\r\n",
		"0\r\nX: "+strings.Repeat("y", 5000)+"\r\n\r\n",
		strings.Repeat("0;"+strings.Repeat("e", 100)+"\r\n", 1)+"\r\n",
		strings.Repeat("1;"+strings.Repeat("e", 1000)+"\r\nz\r\n", 20)+"0\r\n\r\n",
	)
	for _, s := range seeds {
		for _, piece := range []int{1, 3, 1 << 16} {
			checkChunked(t, []byte(s), piece, 7)
			checkChunked(t, []byte(s), piece, 4096)
		}
	}
	// The reusable flag: only a body read to its end and nothing past it.
	for body, want := range map[string]bool{
		"5\r\nhello\r\n0\r\n\r\n":           true,
		"5\r\nhello\r\n0\r\n\r\nGARBAGE":    false,
		"5\r\nhello\r\n0\r\nX: 1\r\n\r\n":   false,
		"5\r\nhello\r\n":                    false,
		"5\r\nhello\r\n0\r\n\r\n\r\n\r\n\r": false,
	} {
		if _, _, reusable := ourChunked(t, []byte(body), 4096, 4096); reusable != want {
			t.Errorf("%q: reusable %t, want %t", body, reusable, want)
		}
	}
}

func checkChunked(t *testing.T, body []byte, piece, out int) {
	t.Helper()
	want, wantErr := netHTTPChunked(body)
	got, err, _ := ourChunked(t, body, piece, out)
	switch {
	case wantErr == nil && err != nil:
		t.Fatalf("%q (pieces of %d): net/http decodes %q, chunkedBody fails: %v", body, piece, want, err)
	case wantErr != nil && err == nil:
		t.Fatalf("%q (pieces of %d): net/http fails (%v), chunkedBody decodes %q", body, piece, wantErr, got)
	case wantErr == nil && !bytes.Equal(got, want):
		t.Fatalf("%q (pieces of %d): chunkedBody %q, net/http %q", body, piece, got, want)
	case wantErr != nil && !bytes.HasPrefix(got, want) && !bytes.HasPrefix(want, got):
		// Both fail; the data delivered before failing may differ in how
		// much of it arrived, never in what it is.
		t.Fatalf("%q (pieces of %d): before failing, chunkedBody gave %q, net/http %q", body, piece, got, want)
	}
}

// FuzzChunkedBody checks on arbitrary bodies, arriving in arbitrary
// pieces, that chunkedBody decodes what net/http decodes and fails where
// it fails.
//
//	go test ./openai -run '^$' -fuzz FuzzChunkedBody -fuzztime 60s
func FuzzChunkedBody(f *testing.F) {
	for _, s := range chunkedSeeds {
		f.Add([]byte(s), uint8(1), uint16(7))
	}
	f.Fuzz(func(t *testing.T, body []byte, piece uint8, out uint16) {
		checkChunked(t, body, int(piece)%64+1, int(out)%5000+1)
	})
}
