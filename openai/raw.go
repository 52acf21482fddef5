package openai

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hypobench/hypobench/record"
)

// rawPool holds the connections of the plain-HTTP streaming path: requests
// written by hand on kept-alive HTTP/1.1 connections, response heads read
// with http.ReadResponse, chunked bodies decoded in place (chunkedBody), no
// Transport goroutines between the socket and the caller. BenchmarkStepped
// and BenchmarkSteppedFloor measured the Transport's share of the client's
// CPU per streamed event; see the package doc (Client, Hot path).
type rawPool struct {
	addr        string // host:port dialled
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	sem         chan struct{} // one token per open connection: at most MaxConns
	idle        chan *rawConn // idle connections, oldest first
	idleTimeout time.Duration
	// heads are each endpoint's request head up to the Content-Length value.
	heads map[string][]byte
}

// rawConn is one pooled connection and the buffered reader its responses
// are parsed from.
type rawConn struct {
	net.Conn
	br        *bufio.Reader
	idleSince time.Time
}

// newRawPool returns the pool for a plain-HTTP base URL, or nil when the
// path cannot carry this client's requests (https, a header value net/http
// would refuse, an IPv6 zone): those go through net/http.
func newRawPool(base, ua, auth string, maxConns int, dial func(context.Context, string, string) (net.Conn, error)) *rawPool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || strings.Contains(u.Host, "%") || !headerValueOK(ua) || !headerValueOK(auth) || !headerValueOK(u.Host) {
		return nil
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	p := &rawPool{
		addr:        net.JoinHostPort(u.Hostname(), port),
		dial:        dial,
		sem:         make(chan struct{}, maxConns),
		idle:        make(chan *rawConn, maxConns),
		idleTimeout: 90 * time.Second,
		heads:       map[string][]byte{},
	}
	for _, endpoint := range []string{EndpointCompletions, EndpointChat} {
		path, err := (&Request{Endpoint: endpoint}).path()
		if err != nil {
			return nil
		}
		eu, err := url.Parse(base + path)
		if err != nil {
			return nil
		}
		var h strings.Builder
		fmt.Fprintf(&h, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", eu.RequestURI(), u.Host, ua)
		if auth != "" {
			fmt.Fprintf(&h, "Authorization: %s\r\n", auth)
		}
		h.WriteString("Accept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ")
		p.heads[endpoint] = []byte(h.String())
	}
	p.heads[""] = p.heads[EndpointCompletions]
	return p
}

// headerValueOK reports whether s can be written as a header value as is
// (no control characters, so no header injection).
func headerValueOK(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// get returns an idle connection (reused) or dials one when fewer than
// MaxConns are open, waiting otherwise, as the Transport's MaxConnsPerHost.
func (p *rawPool) get(ctx context.Context) (c *rawConn, reused bool, err error) {
	for {
		select {
		case c = <-p.idle:
		default:
			select {
			case c = <-p.idle:
			case p.sem <- struct{}{}:
				conn, err := p.dial(ctx, "tcp", p.addr)
				if err != nil {
					<-p.sem
					return nil, false, err
				}
				return &rawConn{Conn: conn, br: bufio.NewReaderSize(conn, 4096)}, false, nil
			case <-ctx.Done():
				return nil, false, context.Cause(ctx)
			}
		}
		if time.Since(c.idleSince) <= p.idleTimeout {
			return c, true, nil
		}
		p.close(c)
	}
}

// put returns a connection whose response was read to its end.
func (p *rawPool) put(c *rawConn) {
	c.idleSince = time.Now()
	select {
	case p.idle <- c:
	default: // cannot happen (idle ≤ open ≤ cap), but never block
		p.close(c)
	}
}

// close closes c and frees its slot.
func (p *rawPool) close(c *rawConn) {
	c.Conn.Close()
	<-p.sem
}

// closeIdle closes the idle connections.
func (p *rawPool) closeIdle() {
	for {
		select {
		case c := <-p.idle:
			p.close(c)
		default:
			return
		}
	}
}

// aLongTimeAgo is a deadline in the past: setting it interrupts a blocked
// read or write.
var aLongTimeAgo = time.Unix(1, 0)

// doRaw is Do over the plain-HTTP path, from obtaining a connection on: the
// same timings, results and error classes as the net/http path. A request
// on a reused connection that fails before any response byte arrives
// (the server closed the idle connection) is sent once more on a new
// connection, as the Transport does; t0 is then the retry's.
func (c *Client) doRaw(ctx context.Context, res *Result, req *Request, body []byte, begin time.Time) {
	h := c.raw.heads[req.Endpoint]
	msg := make([]byte, 0, len(h)+24+len(body))
	msg = append(msg, h...)
	msg = strconv.AppendInt(msg, int64(len(body)), 10)
	msg = append(msg, "\r\n\r\n"...)
	msg = append(msg, body...)
	var (
		conn *rawConn
		resp *http.Response
		stop func() bool
	)
	for attempt := 0; ; attempt++ {
		cn, reused, err := c.raw.get(ctx)
		if err != nil {
			res.End = time.Since(res.T0)
			class := classify(ctx, err, true, false)
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				class = record.ClassClientLimit // out of descriptors here, not a server fault
			}
			res.fail(class, c.redact(fmt.Sprintf("sending request: %v", err)))
			return
		}
		// t0: the connection is ready and nothing of the request is written.
		res.T0 = time.Now()
		res.Connect = res.T0.Sub(begin)
		res.ConnReused = reused
		stop = context.AfterFunc(ctx, func() { cn.SetDeadline(aLongTimeAgo) })
		_, err = cn.Write(msg)
		if err == nil {
			_, err = cn.br.Peek(1) // the first response byte
		}
		idle := err != nil && reused && attempt == 0 && ctx.Err() == nil && idleClosed(err)
		if err == nil {
			resp, err = readResponse(cn.br)
		}
		if err == nil {
			conn = cn
			break
		}
		stop()
		c.raw.close(cn)
		if idle {
			continue
		}
		res.End = time.Since(res.T0)
		res.fail(classify(ctx, err, false, false), c.redact(fmt.Sprintf("sending request: %v", err)))
		return
	}
	keep := false
	defer func() {
		if stop() && keep {
			c.raw.put(conn)
		} else {
			c.raw.close(conn)
		}
	}()
	res.Status = resp.StatusCode
	res.RequestID = resp.Header.Get("X-Request-Id")
	framed := !resp.Close && (resp.ContentLength >= 0 || isChunked(resp))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// As on the Transport, a connection whose short error body was read
		// to its end carries the next request (a 429 storm does not re-dial).
		body := &eofWatch{ReadCloser: resp.Body}
		resp.Body = body
		c.failStatus(res, resp)
		res.End = time.Since(res.T0)
		keep = framed && body.eof
		return
	}
	ct := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Type")))
	if !strings.HasPrefix(ct, "text/event-stream") {
		body := &eofWatch{ReadCloser: resp.Body}
		res.ErrorBody = c.snippet(body)
		res.End = time.Since(res.T0)
		res.fail(record.ClassContentType, c.redact(fmt.Sprintf("response content type %q is not text/event-stream", ct)))
		keep = framed && body.eof
		return
	}
	var stream io.Reader = resp.Body
	var chunked *chunkedBody
	if isChunked(resp) {
		chunked = newChunkedBody(conn.br, conn.Conn)
		stream = chunked
	}
	if req.Activity != nil {
		stream = &activityReader{r: stream, at: req.Activity}
	}
	clean := c.readStream(ctx, res, stream, req.MaxTokens)
	// The body was read to its end (its last chunk, or Content-Length
	// bytes) and nothing past it: the connection can carry the next request.
	keep = clean && framed && (chunked == nil || chunked.reusable())
}

// eofWatch notes whether its reader returned io.EOF.
type eofWatch struct {
	io.ReadCloser
	eof bool
}

func (e *eofWatch) Read(p []byte) (int, error) {
	n, err := e.ReadCloser.Read(p)
	if err == io.EOF {
		e.eof = true
	}
	return n, err
}

// readResponse reads the next final response head, skipping 1xx interim
// responses as the Transport does.
func readResponse(br *bufio.Reader) (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode < 100 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
	}
}

func isChunked(resp *http.Response) bool {
	return len(resp.TransferEncoding) == 1 && resp.TransferEncoding[0] == "chunked"
}

// idleClosed reports whether err, on a reused connection before any
// response byte, says the server had closed it.
func idleClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
