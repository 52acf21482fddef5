package openai

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/textproto"
)

// chunkedBody decodes an HTTP/1.1 chunked response body (RFC 9112 §7.1) in
// place: it reads into the caller's buffer and moves each chunk's data down
// over the framing, so an event read from the socket is copied once, into
// the SSE parser's buffer, instead of twice (socket → bufio → parser) as
// net/http's reader does. It reads the connection's buffered reader while
// that holds bytes (the response head's read may have taken body bytes
// with it), then the connection itself.
//
// It accepts and refuses exactly what net/http's chunked reader and
// trailer reader (net/http/internal/chunked.go, transfer.go readTrailer)
// do, with the same limits: a chunk-size line of at most 4096 bytes with
// its CRLF, no bare LF or stray CR in it, at most 16 hex digits, extensions
// after ';' ignored, CRLF after each chunk's data, no more than 16 KiB of
// framing beyond what the data justifies, and a trailer section of at most
// 4096 bytes parsed as MIME headers. FuzzChunkedBody checks this against
// http.ReadResponse on arbitrary bodies read in arbitrary pieces.
type chunkedBody struct {
	br     *bufio.Reader // the connection's reader, drained first
	src    io.Reader     // the connection
	st     chunkState
	left   uint64 // data bytes left in the current chunk
	line   []byte // the chunk-size line read so far
	tail   []byte // bytes after the last chunk's line
	excess int64
	// readErr is the error of the last read, acted on once the data that
	// came with it has been returned.
	readErr error
	done    bool // the body ended, trailer included
	// extra: bytes arrived past the body's end (or a trailer was read
	// through a temporary reader): the connection cannot be reused.
	extra bool
	err   error
}

type chunkState uint8

const (
	chunkLine chunkState = iota // reading a chunk-size line
	chunkData                   // in a chunk's data
	chunkCR                     // after the data: want '\r'
	chunkLF                     // want '\n'
	chunkEnd                    // after the last chunk: the trailer
)

// maxChunkLine is net/http's bound on a chunk-size line, CRLF included
// (its bufio.Reader's size).
const maxChunkLine = 4096

var (
	errBareLF        = errors.New("chunked line ends with bare LF")
	errStrayCR       = errors.New("invalid CR in chunked line")
	errChunkLine     = errors.New("header line too long")
	errChunkMalform  = errors.New("malformed chunked encoding")
	errChunkExcess   = errors.New("chunked encoding contains too much non-data")
	errTrailerEOF    = errors.New("http: unexpected EOF reading trailer")
	errTrailerTooBig = errors.New("http: suspiciously long trailer after chunked body")
)

func newChunkedBody(br *bufio.Reader, src io.Reader) *chunkedBody {
	return &chunkedBody{br: br, src: src}
}

// reusable reports whether the body was read to its end and nothing past it.
func (cb *chunkedBody) reusable() bool { return cb.done && !cb.extra }

// Read reads decoded body bytes into p. It returns io.EOF after the last
// chunk and its trailer, io.ErrUnexpectedEOF when the stream ends inside
// the body. Data is returned as soon as the read that brought it returns:
// whatever follows it (framing, the trailer, an error) waits for the next
// call, so the caller's read instant is the data's.
func (cb *chunkedBody) Read(p []byte) (int, error) {
	for {
		if cb.err != nil {
			return 0, cb.err
		}
		if cb.done {
			return 0, io.EOF
		}
		if len(p) == 0 {
			return 0, nil
		}
		switch {
		case cb.st == chunkEnd && (cb.readErr != nil || len(cb.tail) >= 2):
			cb.trailer(cb.readErr) // never a read past a body already ended
			continue
		case cb.readErr == io.EOF:
			cb.err = io.ErrUnexpectedEOF
			continue
		case cb.readErr != nil:
			cb.err = cb.readErr
			continue
		}
		var n int
		if cb.br.Buffered() > 0 {
			n, cb.readErr = cb.br.Read(p)
		} else {
			n, cb.readErr = cb.src.Read(p)
		}
		if out := cb.decode(p[:n]); out > 0 {
			return out, nil
		}
	}
}

// decode consumes p, moving data bytes to its front, and returns how many.
func (cb *chunkedBody) decode(p []byte) (out int) {
	for i := 0; i < len(p) && cb.err == nil; {
		switch cb.st {
		case chunkData:
			k := int(min(uint64(len(p)-i), cb.left))
			out += copy(p[out:], p[i:i+k])
			i += k
			if cb.left -= uint64(k); cb.left == 0 {
				cb.st = chunkCR
			}
		case chunkCR, chunkLF:
			want := byte('\r')
			if cb.st == chunkLF {
				want = '\n'
			}
			if p[i] != want {
				cb.err = errChunkMalform
				return out
			}
			i++
			if cb.st == chunkCR {
				cb.st = chunkLF
			} else {
				cb.st = chunkLine
			}
		case chunkLine:
			j := bytes.IndexByte(p[i:], '\n')
			if j < 0 {
				cb.line = append(cb.line, p[i:]...)
				if len(cb.line) >= maxChunkLine {
					cb.err = errChunkLine
				}
				return out
			}
			cb.line = append(cb.line, p[i:i+j+1]...)
			i += j + 1
			if len(cb.line) > maxChunkLine {
				cb.err = errChunkLine
				return out
			}
			cb.beginChunk()
		case chunkEnd:
			if cb.done {
				cb.extra = true // bytes past the body's end
				return out
			}
			cb.tail = append(cb.tail, p[i:]...)
			return out
		}
	}
	return out
}

// beginChunk parses the chunk-size line in cb.line (with its '\n') as
// net/http's chunkedReader.beginChunk does.
func (cb *chunkedBody) beginChunk() {
	line := cb.line
	cb.line = cb.line[:0]
	if cr := bytes.IndexByte(line, '\r'); cr == -1 {
		cb.err = errBareLF
		return
	} else if cr != len(line)-2 {
		cb.err = errStrayCR
		return
	}
	line = line[:len(line)-2]
	cb.excess += int64(len(line)) + 2
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	line, _, _ = bytes.Cut(line, []byte(";"))
	n, err := parseChunkSize(line)
	if err != nil {
		cb.err = err
		return
	}
	cb.excess -= 16 + (2 * int64(n))
	cb.excess = max(cb.excess, 0)
	if cb.excess > 16*1024 {
		cb.err = errChunkExcess
		return
	}
	if n == 0 {
		cb.st = chunkEnd
		return
	}
	cb.left, cb.st = n, chunkData
}

// parseChunkSize is net/http's parseHexUint: 1 to 16 hex digits.
func parseChunkSize(v []byte) (uint64, error) {
	if len(v) == 0 {
		return 0, errors.New("empty hex number for chunk length")
	}
	var n uint64
	for i, b := range v {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b = b - 'a' + 10
		case 'A' <= b && b <= 'F':
			b = b - 'A' + 10
		default:
			return 0, errors.New("invalid byte in chunk length")
		}
		if i == 16 {
			return 0, errors.New("http chunk length too large")
		}
		n = n<<4 | uint64(b)
	}
	return n, nil
}

// trailer ends the body after its last chunk: a CRLF (no trailer, the
// common case) or MIME header lines read as net/http's readTrailer does.
// readErr is the error of the read that brought cb.tail, if any.
func (cb *chunkedBody) trailer(readErr error) {
	if len(cb.tail) >= 2 && cb.tail[0] == '\r' && cb.tail[1] == '\n' {
		cb.done, cb.extra = true, len(cb.tail) > 2
		return
	}
	if len(cb.tail) < 2 {
		if readErr != nil {
			cb.err = errTrailerEOF
		}
		return // wait for more bytes
	}
	// A trailer: parse it from what arrived and the rest of the stream,
	// with net/http's bound (its reader's 4096-byte buffer).
	rest := io.MultiReader(bytes.NewReader(cb.tail), cb.br, cb.src)
	if readErr != nil {
		rest = io.MultiReader(bytes.NewReader(cb.tail), errReader{readErr})
	}
	tr := bufio.NewReaderSize(rest, maxChunkLine)
	if !upcomingDoubleCRLF(tr) {
		cb.err = errTrailerTooBig
		return
	}
	if _, err := textproto.NewReader(tr).ReadMIMEHeader(); err != nil {
		if err == io.EOF {
			err = errTrailerEOF
		}
		cb.err = err
		return
	}
	cb.done, cb.extra = true, true
}

// upcomingDoubleCRLF is net/http's seeUpcomingDoubleCRLF.
func upcomingDoubleCRLF(r *bufio.Reader) bool {
	for peek := 4; ; peek++ {
		buf, err := r.Peek(peek)
		if bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// errReader returns its error on every read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
