package openai_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
)

const healthyTokens = 6

// checkHealthy fails the test unless res is a complete healthy response.
func checkHealthy(t *testing.T, what string, res *openai.Result) {
	t.Helper()
	if !res.OK() || len(res.Content) != healthyTokens || !res.Done || res.ChoiceEvents == 0 {
		t.Errorf("%s: want a healthy response, got class %q (%s), %d content events, done %t", what, res.ErrorClass, res.Error, len(res.Content), res.Done)
	}
}

// TestFaultClasses sends one faulty request (selected by a prompt marker)
// among healthy ones on the same client and checks the faulty one's error
// class and that the healthy ones are unaffected.
func TestFaultClasses(t *testing.T) {
	type testCase struct {
		fault     openaitest.Fault
		class     record.ErrorClass
		status    int
		partial   bool // timings measured before the fault are kept
		checkMore func(t *testing.T, res *openai.Result)
	}
	cases := []testCase{
		{fault: openaitest.HTTP500, class: record.ClassHTTPStatus, status: 500, checkMore: func(t *testing.T, r *openai.Result) {
			if !strings.Contains(r.ErrorBody, "injected fault") || !strings.Contains(r.Error, "HTTP 500") {
				t.Errorf("error %q, body %q", r.Error, r.ErrorBody)
			}
		}},
		{fault: openaitest.HTTP503, class: record.ClassHTTPStatus, status: 503},
		{fault: openaitest.HTTP429, class: record.ClassHTTPStatus, status: 429, checkMore: func(t *testing.T, r *openai.Result) {
			if r.RetryAfter != "1" {
				t.Errorf("Retry-After %q, want 1", r.RetryAfter)
			}
		}},
		{fault: openaitest.Redirect, class: record.ClassRedirect, status: 307, checkMore: func(t *testing.T, r *openai.Result) {
			if r.Location != "/v1/moved" {
				t.Errorf("Location %q", r.Location)
			}
		}},
		{fault: openaitest.ContentType, class: record.ClassContentType, status: 200},
		{fault: openaitest.EchoAuth, class: record.ClassHTTPStatus, status: 401},
		{fault: openaitest.Reset, class: record.ClassReset, status: 200, partial: true},
		{fault: openaitest.NoDone, class: record.ClassNoDone, status: 200, partial: true},
		{fault: openaitest.Malformed, class: record.ClassMalformed, status: 200, partial: true},
		{fault: openaitest.StreamError, class: record.ClassStreamError, status: 200, partial: true, checkMore: func(t *testing.T, r *openai.Result) {
			if !strings.Contains(r.Error, "injected fault stream_error") {
				t.Errorf("error %q does not carry the server's message", r.Error)
			}
		}},
		{fault: openaitest.Stall, class: record.ClassTimeout, status: 200, partial: true},
		{fault: openaitest.InvalidUTF8, class: record.ClassInvalidUTF8, status: 200, partial: true},
		{fault: openaitest.LongLine, class: record.ClassLineTooLong, status: 200, partial: true},
		{fault: openaitest.CommentOnly, class: record.ClassNoDone, status: 200, partial: true},
	}
	run := func(t *testing.T, tc testCase, netHTTP bool) {
		srv := openaitest.NewServer(openaitest.Config{})
		defer srv.Close()
		c := newClient(t, openai.Config{BaseURL: srv.URL, Timeout: 2 * time.Second, NetHTTP: netHTTP})
		var wg sync.WaitGroup
		healthy := make([]*openai.Result, 4)
		for i := range healthy {
			wg.Add(1)
			go func() {
				defer wg.Done()
				healthy[i] = c.Do(context.Background(), openai.Request{Prompt: "fine", MaxTokens: healthyTokens, IncludeUsage: true})
			}()
		}
		res := c.Do(context.Background(), openai.Request{Prompt: "please " + openaitest.Marker(tc.fault), MaxTokens: healthyTokens, IncludeUsage: true})
		wg.Wait()
		if res.ErrorClass != tc.class || res.Status != tc.status {
			t.Errorf("class %q status %d, want %q %d (error: %s)", res.ErrorClass, res.Status, tc.class, tc.status, res.Error)
		}
		if res.Error == "" {
			t.Error("no error message")
		}
		if ttft, ok := res.TTFT(); tc.partial != ok || (ok && ttft <= 0) {
			t.Errorf("TTFT measured %t (%v), want %t", ok, ttft, tc.partial)
		}
		var rec record.Record
		res.Fill(&rec)
		if rec.ErrorClass != tc.class || rec.OK() || rec.HTTPStatus != tc.status || rec.Total <= 0 {
			t.Errorf("record: class %q ok %t status %d total %v", rec.ErrorClass, rec.OK(), rec.HTTPStatus, rec.Total)
		}
		if tc.checkMore != nil {
			tc.checkMore(t, res)
		}
		for i, h := range healthy {
			checkHealthy(t, fmt.Sprintf("concurrent healthy request %d", i), h)
		}
		checkHealthy(t, "healthy request after the fault", c.Do(context.Background(), openai.Request{Prompt: "fine", MaxTokens: healthyTokens}))
	}
	for _, path := range clientPaths {
		for _, tc := range cases {
			t.Run(path.name+"/"+string(tc.fault), func(t *testing.T) { run(t, tc, path.netHTTP) })
		}
	}
}

func TestFaultRulesEveryK(t *testing.T) {
	rules, err := openaitest.ParseFaults("http503:3")
	if err != nil {
		t.Fatal(err)
	}
	srv := openaitest.NewServer(openaitest.Config{Faults: rules})
	defer srv.Close()
	c := newClient(t, openai.Config{BaseURL: srv.URL})
	for i := 1; i <= 9; i++ {
		res := c.Do(context.Background(), openai.Request{Prompt: "x", MaxTokens: healthyTokens})
		if i%3 == 0 {
			if res.ErrorClass != record.ClassHTTPStatus || res.Status != 503 {
				t.Errorf("request %d: class %q status %d, want http_status 503", i, res.ErrorClass, res.Status)
			}
		} else {
			checkHealthy(t, fmt.Sprintf("request %d", i), res)
		}
	}
}

func TestParseFaultsErrors(t *testing.T) {
	for _, in := range []string{"nope", "reset:0", "reset:x", "reset:2+y", "reset:2+-1"} {
		if _, err := openaitest.ParseFaults(in); err == nil {
			t.Errorf("ParseFaults(%q) accepted", in)
		}
	}
	got, err := openaitest.ParseFaults("reset:7+3, http500")
	if err != nil || len(got) != 2 || got[0] != (openaitest.FaultRule{Fault: openaitest.Reset, Every: 7, Offset: 3}) || got[1].Every != 1 {
		t.Errorf("ParseFaults = %+v, %v", got, err)
	}
}

func TestConnectionRefused(t *testing.T) {
	u, err := openaitest.RefusedURL()
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, openai.Config{BaseURL: u})
	res := c.Do(context.Background(), openai.Request{Prompt: "x"})
	if res.ErrorClass != record.ClassConnect || res.Status != 0 {
		t.Fatalf("class %q status %d (%s), want connect", res.ErrorClass, res.Status, res.Error)
	}
}

func TestTLS(t *testing.T) {
	srv := openaitest.NewTLSServer(openaitest.Config{})
	defer srv.Close()
	req := openai.Request{Prompt: "x", MaxTokens: healthyTokens}

	res := newClient(t, openai.Config{BaseURL: srv.URL}).Do(context.Background(), req)
	if res.ErrorClass != record.ClassConnect {
		t.Errorf("self-signed certificate with verification on: class %q (%s), want connect", res.ErrorClass, res.Error)
	}
	checkHealthy(t, "InsecureSkipVerify", newClient(t, openai.Config{BaseURL: srv.URL, InsecureSkipVerify: true}).Do(context.Background(), req))
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	checkHealthy(t, "RootCAs with the server's certificate", newClient(t, openai.Config{BaseURL: srv.URL, RootCAs: pool}).Do(context.Background(), req))

	rst := newClient(t, openai.Config{BaseURL: srv.URL, InsecureSkipVerify: true}).Do(context.Background(),
		openai.Request{Prompt: openaitest.Marker(openaitest.Reset), MaxTokens: healthyTokens})
	if rst.ErrorClass != record.ClassReset {
		t.Errorf("reset over TLS: class %q (%s)", rst.ErrorClass, rst.Error)
	}
}

func TestCanceled(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{})
	defer srv.Close()
	c := newClient(t, openai.Config{BaseURL: srv.URL})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *openai.Result)
	go func() {
		done <- c.Do(ctx, openai.Request{Prompt: openaitest.Marker(openaitest.Stall), MaxTokens: healthyTokens})
	}()
	// Cancel once the stream has started: wait for the server to see it.
	for srv.Requests() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	res := <-done
	if res.ErrorClass != record.ClassCanceled {
		t.Fatalf("class %q (%s), want canceled", res.ErrorClass, res.Error)
	}
	// A caller deadline is a timeout, not a cancellation.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if res := c.Do(ctx2, openai.Request{Prompt: openaitest.Marker(openaitest.Stall), MaxTokens: healthyTokens}); res.ErrorClass != record.ClassTimeout {
		t.Fatalf("caller deadline: class %q (%s), want timeout", res.ErrorClass, res.Error)
	}
}

func TestBadRequestNeverPanics(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{})
	defer srv.Close()
	c := newClient(t, openai.Config{BaseURL: srv.URL})
	res := c.Do(context.Background(), openai.Request{Endpoint: "embeddings"})
	if res == nil || res.ErrorClass != record.ClassRequest {
		t.Fatalf("unknown endpoint: %+v", res)
	}
	res = c.Do(context.Background(), openai.Request{Prompt: "x", Extra: map[string]any{"bad": func() {}}})
	if res.ErrorClass != record.ClassRequest {
		t.Fatalf("unencodable extra field: class %q", res.ErrorClass)
	}
	if _, err := openai.New(openai.Config{BaseURL: "localhost:8000"}); err == nil {
		t.Error("New accepted a base URL without scheme")
	}
}

// TestSecretsNeverLeak runs every fault with a recognisable key and checks
// that no Result, record, error or printed config contains it.
func TestSecretsNeverLeak(t *testing.T) {
	const key = "sk-hypobench-SECRET-9f8e7d6c"
	srv := openaitest.NewServer(openaitest.Config{APIKey: key})
	defer srv.Close()
	cfg := openai.Config{BaseURL: srv.URL, APIKey: key, Timeout: time.Second}
	c := newClient(t, cfg)
	var dump strings.Builder
	fmt.Fprintf(&dump, "%v %+v %#v %s %q %x %v\n", cfg, cfg, cfg, cfg.APIKey, cfg.APIKey, cfg.APIKey, c)
	js, _ := json.Marshal(cfg)
	dump.Write(js)
	ok := c.Do(context.Background(), openai.Request{Prompt: "x", MaxTokens: 2})
	checkResultDump(t, &dump, ok)
	if !ok.OK() {
		t.Fatalf("the right key was refused: %s", ok.Error)
	}
	for _, f := range openaitest.AllFaults {
		checkResultDump(t, &dump, c.Do(context.Background(), openai.Request{Prompt: openaitest.Marker(f), MaxTokens: 2}))
	}
	// A wrong key is refused, and the refusal does not echo it.
	bad := newClient(t, openai.Config{BaseURL: srv.URL, APIKey: key + "-wrong"})
	if r := bad.Do(context.Background(), openai.Request{Prompt: "x"}); r.Status != 401 {
		t.Errorf("wrong key: status %d", r.Status)
	} else {
		checkResultDump(t, &dump, r)
	}
	if strings.Contains(dump.String(), "SECRET-9f8e7d6c") {
		t.Fatalf("the API key leaked into:\n%s", dump.String())
	}
	if !strings.Contains(dump.String(), "[REDACTED]") {
		t.Fatal("the echoed key was not redacted (the echo_auth fault should have produced [REDACTED])")
	}
}

func checkResultDump(t *testing.T, dump *strings.Builder, res *openai.Result) {
	t.Helper()
	var rec record.Record
	res.Fill(&rec)
	js, err := json.Marshal(&rec)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(dump, "%+v\n%s\n", *res, js)
}
