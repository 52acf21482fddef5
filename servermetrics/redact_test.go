package servermetrics

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/record"
)

// TestScrapeLogRedacted: a server that echoes the key into metric names,
// label names and values — as sent, upper-cased and lower-cased — leaves
// no trace of it in server-metrics.jsonl; nor does an error text that
// quotes it (issue 20, item 9).
func TestScrapeLogRedacted(t *testing.T) {
	const key = "sk-Canary-Mixed-42"
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 3 {
			http.Error(w, "bad key "+key, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE up gauge\nup{auth=%q,who=\"%s\"} 1\nup{%s=\"x\"} 2\n", "Bearer "+strings.ToUpper(key), strings.ToLower(key), "k_"+strings.ReplaceAll(key, "-", "_"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	s, err := Start(context.Background(), Config{Target: Target{URL: srv.URL}, Dir: dir, Interval: -1, Secret: key})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		s.Mark(context.Background(), i, EdgeStart)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, record.ServerMetricsFile))
	if !bytes.Contains(b, []byte(record.Redacted)) {
		t.Fatalf("nothing was redacted (the echo did not happen?):\n%s", b)
	}
	if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(key))) {
		t.Errorf("the key is in the scrape log:\n%s", b)
	}
}
