package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestSlowClientsBounded holds slowloris-style connections open against
// the embedded engine — headers sent and a body promised but never sent,
// and connections that send nothing at all — and checks that a normal
// request completes meanwhile, that the goroutines stay bounded (one per
// connection, plus a constant), and that the server closes every slow
// connection once its timeout passes (issue 20). The timeouts are
// shortened for the test; no duration is asserted, only that the closes
// happen.
func TestSlowClientsBounded(t *testing.T) {
	defer func(h, b, i time.Duration) { headerTimeout, bodyTimeout, idleTimeout = h, b, i }(headerTimeout, bodyTimeout, idleTimeout)
	headerTimeout, bodyTimeout, idleTimeout = 300*time.Millisecond, 300*time.Millisecond, time.Second
	cfg := DefaultConfig
	cfg.Spec = "h100-sxm:qwen2.5-0.5b"
	cfg.Speed = 100
	srv, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL(), "http://")
	before := runtime.NumGoroutine()

	const bodyless, silent = 40, 40
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range bodyless + silent {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if i < bodyless {
			fmt.Fprintf(c, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
		}
	}
	// A normal request completes while they are held.
	body := `{"model":"` + srv.ModelName() + `","prompt":"hello there","max_tokens":4,"stream":true}`
	resp, err := http.Post(srv.URL()+"/v1/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("a normal request beside %d slow connections: %v", len(conns), err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "[DONE]") {
		t.Fatalf("normal request: HTTP %d %q", resp.StatusCode, b)
	}
	// Each held connection costs the server at most a couple of goroutines
	// (its conn goroutine; a client-side dial adds none here).
	if g := runtime.NumGoroutine(); g > before+2*len(conns)+20 {
		t.Errorf("%d goroutines with %d slow connections (%d before): not bounded by the connections", g, len(conns), before)
	}
	// Every slow connection is closed by the server: a read ends (a 400 or
	// 408 answer, then EOF). The deadline is a hang guard, not a speed check.
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, err := io.Copy(io.Discard, bufio.NewReader(c))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			kind := "body never sent"
			if i >= bodyless {
				kind = "nothing sent"
			}
			t.Fatalf("connection %d (%s) still open after 30 s: the server has no timeout for it", i, kind)
		}
	}
	// And their goroutines are gone.
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > before+10 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after the slow connections closed (%d before)", runtime.NumGoroutine(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestShutdownDrains: Shutdown lets a stream in flight finish with [DONE]
// while refusing new connections; with no time left, the stream ends with
// an error event instead of being cut without one.
func TestShutdownDrains(t *testing.T) {
	for _, tc := range []struct {
		name  string
		drain time.Duration
		want  string
	}{
		{"finishes", time.Minute, "data: [DONE]"},
		{"ended with an error event", 0, `"error"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig
			cfg.Spec = "h100-sxm:qwen2.5-0.5b"
			cfg.Speed = 1
			srv, err := Start(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			body := `{"model":"` + srv.ModelName() + `","prompt":"hello","max_tokens":200,"ignore_eos":true,"stream":true}`
			resp, err := http.Post(srv.URL()+"/v1/completions", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			r := bufio.NewReader(resp.Body)
			if _, err := r.ReadString('\n'); err != nil { // the first event: the stream is in flight
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tc.drain)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- srv.Shutdown(ctx) }()
			rest, _ := io.ReadAll(r)
			if !strings.Contains(string(rest), tc.want) {
				t.Errorf("stream ended %q, want %q", tail(string(rest)), tc.want)
			}
			<-done
			if _, err := http.Get(srv.URL() + "/health"); err == nil {
				t.Error("the server still accepts connections after Shutdown")
			}
		})
	}
}

func tail(s string) string {
	if len(s) > 300 {
		return "…" + s[len(s)-300:]
	}
	return s
}
