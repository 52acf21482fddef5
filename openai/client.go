package openai

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hypobench/hypobench/record"
)

// Secret is an API key. It formats as "[REDACTED]" under every fmt verb and
// in JSON, so printing a Config never leaks it.
type Secret string

const redacted = record.Redacted

// String returns "[REDACTED]" (or "" for an empty key).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the redacted form for %#v.
func (s Secret) GoString() string { return `openai.Secret("` + s.String() + `")` }

// Format prints the redacted form for every verb.
func (s Secret) Format(f fmt.State, verb rune) { io.WriteString(f, s.String()) }

// MarshalText encodes the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// KeyFromEnv returns HYPOBENCH_API_KEY, falling back to OPENAI_API_KEY.
func KeyFromEnv() Secret {
	if k := os.Getenv("HYPOBENCH_API_KEY"); k != "" {
		return Secret(k)
	}
	return Secret(os.Getenv("OPENAI_API_KEY"))
}

// Config configures a Client. Zero fields get the defaults named on each.
type Config struct {
	// BaseURL is the server root ("http://127.0.0.1:8000") or its /v1 root;
	// "/v1" is appended when the path does not already end with it.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer <key>" when non-empty. New
	// does not read the environment; pass KeyFromEnv() for that.
	APIKey Secret
	// Timeout bounds each request from the call to Do to the end of the
	// body; 0 means DefaultTimeout, negative means none.
	Timeout time.Duration
	// ConnectTimeout bounds dialling; 0 means 10s.
	ConnectTimeout time.Duration
	// MaxConns bounds open connections to the server, hence concurrent
	// streams; 0 means DefaultMaxConns. Idle connections kept for reuse are
	// sized to the same number so a closed loop never re-dials.
	MaxConns int
	// MaxLine is the longest accepted SSE line in bytes; 0 means DefaultMaxLine.
	MaxLine int
	// InsecureSkipVerify turns off TLS certificate verification (on by default).
	InsecureSkipVerify bool
	// RootCAs, when non-nil, replaces the system roots for TLS verification.
	RootCAs *x509.CertPool
	// UserAgent is sent as User-Agent; empty means "hypobench".
	UserAgent string
	// NetHTTP sends every request through net/http's Transport. Without it,
	// requests to a plain http:// server are written on the client's own
	// kept-alive HTTP/1.1 connections and their responses read with
	// net/http's parsers but no Transport in between (see the package doc,
	// Hot path); https:// always goes through the Transport.
	NetHTTP bool
}

// Defaults for Config's zero fields.
const (
	DefaultTimeout  = 10 * time.Minute
	DefaultMaxConns = 8192
)

// Client sends streaming requests over one shared, tuned HTTP/1.1
// transport. Build it once with New and share it: it is safe for concurrent
// use by thousands of goroutines.
type Client struct {
	base    string // ".../v1" without a trailing slash
	key     Secret
	auth    string
	ua      string
	timeout time.Duration
	maxLine int
	hc      *http.Client
	tr      *http.Transport
	// raw, when set, carries the requests (plain http://, see raw.go).
	raw *rawPool
	// noScan sends every event through encoding/json, skipping scanChunk
	// (tests compare the two paths).
	noScan bool
	// readClock, when set, replaces the parser's clock for the read
	// instants (tests shift it to check the read→parse delay).
	readClock func() time.Time
}

// New builds a Client from cfg.
func New(cfg Config) (*Client, error) {
	root, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: root + "/v1", key: cfg.APIKey, ua: cfg.UserAgent, timeout: cfg.Timeout, maxLine: cfg.MaxLine}
	if c.ua == "" {
		c.ua = "hypobench"
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if cfg.APIKey != "" {
		c.auth = "Bearer " + string(cfg.APIKey)
	}
	maxConns := cfg.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	connect := cfg.ConnectTimeout
	if connect <= 0 {
		connect = 10 * time.Second
	}
	dial := (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	c.tr = &http.Transport{
		Proxy:                 nil, // a proxy hop would be measured as server time
		DialContext:           dial,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify, RootCAs: cfg.RootCAs},
		TLSHandshakeTimeout:   connect,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1 only
		DisableCompression:    true,
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		MaxConnsPerHost:       maxConns,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: 0,
		ForceAttemptHTTP2:     false,
	}
	c.hc = &http.Client{
		Transport: c.tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if !cfg.NetHTTP {
		c.raw = newRawPool(c.base, c.ua, c.auth, maxConns, dial)
	}
	return c, nil
}

// String describes the client without its key.
func (c *Client) String() string {
	return fmt.Sprintf("openai.Client{base: %s, key set: %t, timeout: %s}", c.base, c.key != "", c.timeout)
}

// URL returns the full URL requests to endpoint go to.
func (c *Client) URL(endpoint string) (string, error) {
	r := Request{Endpoint: endpoint}
	p, err := r.path()
	if err != nil {
		return "", err
	}
	return c.base + p, nil
}

// CloseIdleConnections closes pooled idle connections.
func (c *Client) CloseIdleConnections() {
	c.tr.CloseIdleConnections()
	if c.raw != nil {
		c.raw.closeIdle()
	}
}

// errRequestTimeout is the cause set on a request's context when
// Config.Timeout expires.
var errRequestTimeout = fmt.Errorf("request timeout")

// Do sends req and reads its stream to the end. It never returns nil and
// never panics: every failure is a Result with an ErrorClass.
func (c *Client) Do(ctx context.Context, req Request) (res *Result) {
	begin := time.Now()
	res = &Result{Endpoint: req.Endpoint, Model: req.Model, T0: begin}
	if res.Endpoint == "" {
		res.Endpoint = EndpointCompletions
	}
	// t0 is kept as a monotonic offset from begin, written by the trace hook
	// (which may run on another goroutine) and read after RoundTrip returns.
	var t0off atomic.Int64
	var gotConn, reused atomic.Bool
	defer func() {
		if p := recover(); p != nil {
			res.fail(record.ClassRequest, c.redact(fmt.Sprintf("panic in client: %v", p)))
			res.End = time.Since(res.T0)
		}
	}()

	path, err := req.path()
	if err != nil {
		res.fail(record.ClassRequest, err.Error())
		return res
	}
	body, err := req.Body()
	if err != nil {
		res.fail(record.ClassRequest, err.Error())
		return res
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, c.timeout, errRequestTimeout)
		defer cancel()
	}
	if c.raw != nil {
		if req.Activity != nil {
			req.Activity.Store(time.Now().UnixNano())
		}
		c.doRaw(ctx, res, &req, body, begin)
		return res
	}
	trace := &httptrace.ClientTrace{
		// GotConn fires once the connection (new or pooled) is ready and the
		// request is about to be handed to the connection's writer: this is t0.
		// If the transport transparently retries a request nothing of which
		// was written, it fires again and t0 moves to the retry.
		GotConn: func(info httptrace.GotConnInfo) {
			t0off.Store(int64(time.Since(begin)))
			gotConn.Store(true)
			reused.Store(info.Reused)
		},
	}
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		res.fail(record.ClassRequest, c.redact(fmt.Sprintf("building request: %v", err)))
		return res
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "text/event-stream")
	hreq.Header.Set("User-Agent", c.ua)
	if c.auth != "" {
		hreq.Header.Set("Authorization", c.auth)
	}

	if req.Activity != nil {
		req.Activity.Store(time.Now().UnixNano())
	}
	resp, err := c.hc.Do(hreq)
	setT0 := func() {
		if gotConn.Load() {
			d := time.Duration(t0off.Load())
			res.T0 = begin.Add(d)
			res.Connect = d
			res.ConnReused = reused.Load()
		}
	}
	setT0()
	if err != nil {
		res.End = time.Since(res.T0)
		class := classify(ctx, err, !gotConn.Load(), false)
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			class = record.ClassClientLimit // out of descriptors here, not a server fault
		}
		res.fail(class, c.redact(fmt.Sprintf("sending request: %v", err)))
		return res
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	res.RequestID = resp.Header.Get("X-Request-Id")
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		c.failStatus(res, resp)
		res.End = time.Since(res.T0)
		return res
	}
	ct := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Type")))
	if !strings.HasPrefix(ct, "text/event-stream") {
		res.ErrorBody = c.snippet(resp.Body)
		res.End = time.Since(res.T0)
		res.fail(record.ClassContentType, c.redact(fmt.Sprintf("response content type %q is not text/event-stream", ct)))
		return res
	}
	var stream io.Reader = resp.Body
	if req.Activity != nil {
		stream = &activityReader{r: resp.Body, at: req.Activity}
	}
	c.readStream(ctx, res, stream, req.MaxTokens)
	return res
}

// activityReader stamps Request.Activity on every read that returns bytes.
type activityReader struct {
	r  io.Reader
	at *atomic.Int64
}

func (a *activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.at.Store(time.Now().UnixNano())
	}
	return n, err
}

// failStatus records a non-2xx response.
func (c *Client) failStatus(res *Result, resp *http.Response) {
	res.RetryAfter = resp.Header.Get("Retry-After")
	res.ErrorBody = c.snippet(resp.Body)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		res.Location = c.redact(resp.Header.Get("Location"))
		res.fail(record.ClassRedirect, fmt.Sprintf("server redirected (HTTP %d) to %q; redirects are not followed", resp.StatusCode, res.Location))
		return
	}
	msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if res.RetryAfter != "" {
		msg += " (Retry-After: " + c.redact(res.RetryAfter) + ")"
	}
	if res.ErrorBody != "" {
		msg += ": " + oneLine(res.ErrorBody, 200)
	}
	res.fail(record.ClassHTTPStatus, msg)
}

// snippet reads at most 512 bytes of an error body, redacted.
func (c *Client) snippet(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 512))
	return c.redact(strings.ToValidUTF8(string(b), "\uFFFD"))
}

// redact removes the API key from s (record.Redact: case-insensitive).
func (c *Client) redact(s string) string { return record.Redact(s, string(c.key)) }

// oneLine collapses whitespace and truncates s to n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

// fail sets the error class and message unless one is already set: the
// first failure is the one recorded.
func (r *Result) fail(class record.ErrorClass, msg string) {
	if r.ErrorClass != "" {
		return
	}
	r.ErrorClass, r.Error = class, msg
}
