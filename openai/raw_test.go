package openai_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
)

// clientPaths are the two ways a request to a plain http:// server can
// travel: the client's own HTTP/1.1 connections (the default) and
// net/http's Transport (Config.NetHTTP).
var clientPaths = []struct {
	name    string
	netHTTP bool
}{{"raw", false}, {"nethttp", true}}

// connCounter follows a test server's connections.
type connCounter struct {
	mu                         sync.Mutex
	open, peak, opened, closed int
}

func (cc *connCounter) hook(_ net.Conn, s http.ConnState) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	switch s {
	case http.StateNew:
		cc.open++
		cc.opened++
		cc.peak = max(cc.peak, cc.open)
	case http.StateClosed, http.StateHijacked:
		cc.open--
		cc.closed++
	}
}

func (cc *connCounter) get() (open, peak, opened, closed int) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.open, cc.peak, cc.opened, cc.closed
}

// waitClosed waits until the server has seen n connections close.
func (cc *connCounter) waitClosed(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, _, _, closed := cc.get(); closed >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server saw fewer than %d connections close", n)
		}
	}
}

// countingServer starts a fake server whose connections are counted.
func countingServer(t *testing.T, cfg openaitest.Config) (*httptest.Server, *connCounter) {
	t.Helper()
	cc := &connCounter{}
	s := httptest.NewUnstartedServer(openaitest.NewHandler(cfg))
	s.Config.ConnState = cc.hook
	s.Start()
	t.Cleanup(s.Close)
	return s, cc
}

// TestConnectionsReused checks that consecutive requests share one
// kept-alive connection on both paths, also across error responses whose
// short bodies were read (429, 500, a redirect, a JSON body), and that
// CloseIdleConnections closes it.
func TestConnectionsReused(t *testing.T) {
	faults := []openaitest.Fault{openaitest.None, openaitest.HTTP429, openaitest.None, openaitest.HTTP500,
		openaitest.Redirect, openaitest.ContentType, openaitest.None}
	for _, path := range clientPaths {
		t.Run(path.name, func(t *testing.T) {
			srv, cc := countingServer(t, openaitest.Config{})
			c := newClient(t, openai.Config{BaseURL: srv.URL, NetHTTP: path.netHTTP})
			for i, f := range faults {
				prompt := "x"
				if f != openaitest.None {
					prompt = openaitest.Marker(f)
				}
				res := c.Do(context.Background(), openai.Request{Prompt: prompt, MaxTokens: healthyTokens})
				if f == openaitest.None {
					checkHealthy(t, "request", res)
				} else if res.OK() {
					t.Errorf("request %d (%s) succeeded", i, f)
				}
				if res.ConnReused != (i > 0) {
					t.Errorf("request %d (%s): reused %t", i, f, res.ConnReused)
				}
			}
			if _, _, opened, _ := cc.get(); opened != 1 {
				t.Errorf("the server saw %d connections, want 1", opened)
			}
			c.CloseIdleConnections()
			cc.waitClosed(t, 1)
		})
	}
}

// TestIdleConnectionClosedByServer checks that a request sent on a pooled
// connection the server has since closed (a keep-alive timeout: uvicorn's
// is 5 s) is sent again on a new connection instead of failing. Only the
// raw path is checked: net/http's Transport drops such a connection when
// its background read sees the close, but a POST that wins that race fails
// with EOF (the Transport replays only idempotent requests), so there the
// outcome depends on goroutine timing.
func TestIdleConnectionClosedByServer(t *testing.T) {
	srv, cc := countingServer(t, openaitest.Config{})
	c := newClient(t, openai.Config{BaseURL: srv.URL})
	checkHealthy(t, "first request", c.Do(context.Background(), openai.Request{Prompt: "x", MaxTokens: healthyTokens}))
	srv.CloseClientConnections()
	cc.waitClosed(t, 1)
	res := c.Do(context.Background(), openai.Request{Prompt: "x", MaxTokens: healthyTokens})
	checkHealthy(t, "request after the server closed the idle connection", res)
	if res.ConnReused {
		t.Error("the request reports a reused connection; the pooled one was closed")
	}
	if _, _, opened, _ := cc.get(); opened != 2 {
		t.Errorf("the server saw %d connections, want 2", opened)
	}
}

// TestMaxConnsBoundsConnections checks that MaxConns bounds the open
// connections on both paths (requests wait for a free one), and that a
// request whose deadline passes while it waits is a timeout.
func TestMaxConnsBoundsConnections(t *testing.T) {
	for _, path := range clientPaths {
		t.Run(path.name, func(t *testing.T) {
			srv, cc := countingServer(t, openaitest.Config{TokenDelay: 2 * time.Millisecond, NoLog: true})
			c := newClient(t, openai.Config{BaseURL: srv.URL, MaxConns: 2, NetHTTP: path.netHTTP})
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					checkHealthy(t, "request", c.Do(context.Background(), openai.Request{Prompt: "x", MaxTokens: healthyTokens}))
				}()
			}
			wg.Wait()
			if _, peak, _, _ := cc.get(); peak > 2 {
				t.Errorf("%d connections open at once, MaxConns is 2", peak)
			}

			one := newClient(t, openai.Config{BaseURL: srv.URL, MaxConns: 1, NetHTTP: path.netHTTP})
			stalled := make(chan *openai.Result)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				stalled <- one.Do(ctx, openai.Request{Prompt: openaitest.Marker(openaitest.Stall), MaxTokens: healthyTokens})
			}()
			for srv.Config.Handler.(*openaitest.Handler).Requests() < 9 {
				time.Sleep(time.Millisecond)
			}
			wctx, wcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer wcancel()
			if res := one.Do(wctx, openai.Request{Prompt: "x", MaxTokens: healthyTokens}); res.ErrorClass != record.ClassTimeout || res.Status != 0 {
				t.Errorf("waiting for a connection past the deadline: class %q status %d (%s), want timeout", res.ErrorClass, res.Status, res.Error)
			}
			cancel()
			if res := <-stalled; res.ErrorClass != record.ClassCanceled {
				t.Errorf("stalled request: class %q (%s), want canceled", res.ErrorClass, res.Error)
			}
		})
	}
}

// TestHeaderInjectionRefused checks that a user agent carrying a line break
// is refused as net/http refuses it (such a client sends through net/http:
// the hand-written request head never writes it), and that the server
// receives nothing.
func TestHeaderInjectionRefused(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{})
	defer srv.Close()
	c := newClient(t, openai.Config{BaseURL: srv.URL, UserAgent: "hypobench\r\nX-Injected: 1"})
	res := c.Do(context.Background(), openai.Request{Prompt: "x", MaxTokens: healthyTokens})
	if res.OK() || !strings.Contains(res.Error, "invalid header field value") || srv.Requests() != 0 {
		t.Errorf("class %q (%s), server saw %d requests; want net/http's refusal and none", res.ErrorClass, res.Error, srv.Requests())
	}
}
