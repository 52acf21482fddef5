package servermetrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Snapshot is the result of one successful scrape.
type Snapshot struct {
	// UnixNs is the wall clock just before the request was sent.
	UnixNs int64
	// Took is the time from sending the request to having read the body.
	Took time.Duration
	// Samples holds every series, sorted by name and then labels.
	Samples []Sample
}

// Sentinel errors carried by *ScrapeError; test for them with errors.Is.
var (
	// ErrNoEndpoint means the target answered that there is no metrics
	// endpoint at that URL (HTTP 404, 405 or 410).
	ErrNoEndpoint = errors.New("no metrics endpoint")
	// ErrNotExposition means the body was not the Prometheus text format
	// (an HTML page, JSON, or text that does not parse).
	ErrNotExposition = errors.New("not a Prometheus text exposition")
	// ErrUnreachable means the request failed before a response (refused
	// connection, DNS, timeout) or the server answered with another non-2xx
	// status; it may succeed later.
	ErrUnreachable = errors.New("metrics endpoint unreachable")
)

// ScrapeError describes a failed scrape. Kind is one of the sentinel errors
// above; Err is the underlying cause, if any.
type ScrapeError struct {
	URL    string
	Status int // HTTP status, 0 when no response arrived
	Kind   error
	Err    error
}

func (e *ScrapeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scraping %s: %v", e.URL, e.Kind)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Is reports whether target is e's Kind, so errors.Is(err, ErrNoEndpoint)
// works on a *ScrapeError.
func (e *ScrapeError) Is(target error) bool { return target == e.Kind }

func (e *ScrapeError) Unwrap() error { return e.Err }

// Permanent reports whether retrying the same URL is pointless: the target
// said there is no endpoint there, or served something that is not metrics.
func (e *ScrapeError) Permanent() bool {
	return e.Kind == ErrNoEndpoint || e.Kind == ErrNotExposition
}

// maxBody bounds one /metrics body; vLLM's page is tens of kilobytes.
const maxBody = 32 << 20

// Target is a metrics endpoint and how to reach it.
type Target struct {
	// URL is the full URL of the metrics page, e.g. http://host:8000/metrics.
	URL string
	// APIKey, when set, is sent as "Authorization: Bearer <key>". It never
	// appears in errors or notices.
	APIKey string
	// Client defaults to http.DefaultClient.
	Client *http.Client
}

// Scrape fetches url with client (nil means http.DefaultClient) and parses
// the body. Failures are *ScrapeError values.
func Scrape(ctx context.Context, client *http.Client, url string) (Snapshot, error) {
	return Target{URL: url, Client: client}.Scrape(ctx)
}

// Scrape fetches t.URL once and parses the body. Failures are *ScrapeError
// values whose Kind tells a missing endpoint from an unreachable one.
func (t Target) Scrape(ctx context.Context) (Snapshot, error) {
	client := t.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return Snapshot{}, &ScrapeError{URL: t.URL, Kind: ErrUnreachable, Err: err}
	}
	// Ask for the classic text format; OpenMetrics exemplars would not parse.
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	if t.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+t.APIKey)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return Snapshot{}, &ScrapeError{URL: t.URL, Kind: ErrUnreachable, Err: stripURL(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return Snapshot{}, &ScrapeError{URL: t.URL, Status: resp.StatusCode, Kind: ErrUnreachable, Err: err}
	}
	took := time.Since(start)
	switch {
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusMethodNotAllowed,
		resp.StatusCode == http.StatusGone:
		return Snapshot{}, &ScrapeError{URL: t.URL, Status: resp.StatusCode, Kind: ErrNoEndpoint}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return Snapshot{}, &ScrapeError{URL: t.URL, Status: resp.StatusCode, Kind: ErrUnreachable}
	}
	if len(body) > maxBody {
		return Snapshot{}, &ScrapeError{URL: t.URL, Status: resp.StatusCode, Kind: ErrNotExposition,
			Err: fmt.Errorf("body exceeds %d bytes", maxBody)}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, perr := mime.ParseMediaType(ct); perr == nil && (mt == "text/html" || mt == "application/json") {
			return Snapshot{}, &ScrapeError{URL: t.URL, Status: resp.StatusCode, Kind: ErrNotExposition,
				Err: fmt.Errorf("content type %s", mt)}
		}
	}
	samples, err := Parse(bytes.NewReader(body), t.URL)
	if err != nil {
		return Snapshot{}, &ScrapeError{URL: t.URL, Status: resp.StatusCode, Kind: ErrNotExposition, Err: err}
	}
	return Snapshot{UnixNs: start.UnixNano(), Took: took, Samples: samples}, nil
}

// stripURL drops the *url.Error wrapper so the URL is not repeated.
func stripURL(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
