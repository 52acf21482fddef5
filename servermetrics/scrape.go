package servermetrics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Sample is one series of the exposition at one instant: the name as it
// appears on the wire (histogram parts carry their _bucket, _sum and _count
// suffixes), its labels, and its value.
type Sample struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	Value  float64           `json:"value"`
}

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

// ParseError locates a syntax error in an exposition. Source names the input
// (a URL or file name); Line counts from 1.
type ParseError struct {
	Source string
	Line   int
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Msg)
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

// Parse reads the Prometheus text exposition format from r and returns its
// series flattened back into wire form, sorted by name and labels. _created
// series and metrics of unknown type are kept like any other series. source
// names the input in a *ParseError.
func Parse(r io.Reader, source string) ([]Sample, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		var pe expfmt.ParseError
		if errors.As(err, &pe) {
			return nil, &ParseError{Source: source, Line: pe.Line, Msg: pe.Msg}
		}
		return nil, fmt.Errorf("parsing %s: %w", source, err)
	}
	var out []Sample
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			out = flatten(out, name, mf.GetType(), m)
		}
	}
	sortSamples(out)
	return out, nil
}

func labelsOf(m *dto.Metric, extraName, extraValue string) map[string]string {
	n := len(m.GetLabel())
	if extraName != "" {
		n++
	}
	if n == 0 {
		return nil
	}
	l := make(map[string]string, n)
	for _, lp := range m.GetLabel() {
		l[lp.GetName()] = lp.GetValue()
	}
	if extraName != "" {
		l[extraName] = extraValue
	}
	return l
}

// formatBound writes a bucket bound or quantile the way the exposition does.
func formatBound(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func flatten(out []Sample, name string, typ dto.MetricType, m *dto.Metric) []Sample {
	switch typ {
	case dto.MetricType_COUNTER:
		return append(out, Sample{Name: name, Labels: labelsOf(m, "", ""), Value: m.GetCounter().GetValue()})
	case dto.MetricType_GAUGE:
		return append(out, Sample{Name: name, Labels: labelsOf(m, "", ""), Value: m.GetGauge().GetValue()})
	case dto.MetricType_SUMMARY:
		s := m.GetSummary()
		for _, q := range s.GetQuantile() {
			out = append(out, Sample{Name: name, Labels: labelsOf(m, "quantile", formatBound(q.GetQuantile())), Value: q.GetValue()})
		}
		out = append(out,
			Sample{Name: name + "_sum", Labels: labelsOf(m, "", ""), Value: s.GetSampleSum()},
			Sample{Name: name + "_count", Labels: labelsOf(m, "", ""), Value: float64(s.GetSampleCount())})
		return out
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		h := m.GetHistogram()
		count := float64(h.GetSampleCount())
		if h.SampleCountFloat != nil {
			count = h.GetSampleCountFloat()
		}
		sawInf := false
		for _, b := range h.GetBucket() {
			c := float64(b.GetCumulativeCount())
			if b.CumulativeCountFloat != nil {
				c = b.GetCumulativeCountFloat()
			}
			if math.IsInf(b.GetUpperBound(), 1) {
				sawInf = true
			}
			out = append(out, Sample{Name: name + "_bucket", Labels: labelsOf(m, "le", formatBound(b.GetUpperBound())), Value: c})
		}
		if !sawInf && len(h.GetBucket()) > 0 {
			out = append(out, Sample{Name: name + "_bucket", Labels: labelsOf(m, "le", "+Inf"), Value: count})
		}
		out = append(out,
			Sample{Name: name + "_sum", Labels: labelsOf(m, "", ""), Value: h.GetSampleSum()},
			Sample{Name: name + "_count", Labels: labelsOf(m, "", ""), Value: count})
		return out
	default: // untyped and anything newer
		return append(out, Sample{Name: name, Labels: labelsOf(m, "", ""), Value: m.GetUntyped().GetValue()})
	}
}

// labelKey renders labels in sorted order for sorting and grouping, leaving
// out the names in skip.
func labelKey(l map[string]string, skip ...string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		if !contains(skip, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(l[k]))
		b.WriteByte(',')
	}
	return b.String()
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// boundOf returns the numeric le or quantile label, or NaN.
func boundOf(l map[string]string) float64 {
	v, ok := l["le"]
	if !ok {
		v, ok = l["quantile"]
	}
	if !ok {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// sortSamples orders samples by name, then by their labels other than le and
// quantile, then by the numeric le or quantile, so a histogram's buckets stay
// in exposition order.
func sortSamples(s []Sample) {
	type key struct {
		labels string
		bound  float64
	}
	keys := make(map[*Sample]key, len(s))
	ptrs := make([]*Sample, len(s))
	for i := range s {
		ptrs[i] = &s[i]
		keys[&s[i]] = key{labelKey(s[i].Labels, "le", "quantile"), boundOf(s[i].Labels)}
	}
	sort.SliceStable(ptrs, func(a, b int) bool {
		pa, pb := ptrs[a], ptrs[b]
		if pa.Name != pb.Name {
			return pa.Name < pb.Name
		}
		ka, kb := keys[pa], keys[pb]
		if ka.labels != kb.labels {
			return ka.labels < kb.labels
		}
		return ka.bound < kb.bound
	})
	sorted := make([]Sample, len(s))
	for i, p := range ptrs {
		sorted[i] = *p
	}
	copy(s, sorted)
}

// sampleJSON is Sample's wire form; Value is a number, or the string "NaN",
// "+Inf" or "-Inf", which JSON numbers cannot express.
type sampleJSON struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	Value  json.RawMessage   `json:"value"`
}

// MarshalJSON encodes s with non-finite values as strings.
func (s Sample) MarshalJSON() ([]byte, error) {
	var v []byte
	switch {
	case math.IsNaN(s.Value):
		v = []byte(`"NaN"`)
	case math.IsInf(s.Value, 1):
		v = []byte(`"+Inf"`)
	case math.IsInf(s.Value, -1):
		v = []byte(`"-Inf"`)
	default:
		v = strconv.AppendFloat(nil, s.Value, 'g', -1, 64)
	}
	return json.Marshal(sampleJSON{Name: s.Name, Labels: s.Labels, Value: v})
}

// UnmarshalJSON decodes what MarshalJSON writes.
func (s *Sample) UnmarshalJSON(b []byte) error {
	var w sampleJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s.Name, s.Labels = w.Name, w.Labels
	if len(w.Value) > 0 && w.Value[0] == '"' {
		var str string
		if err := json.Unmarshal(w.Value, &str); err != nil {
			return err
		}
		f, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return fmt.Errorf("sample %s: value %q: %w", w.Name, str, err)
		}
		s.Value = f
		return nil
	}
	if len(w.Value) == 0 {
		return fmt.Errorf("sample %s: missing value", w.Name)
	}
	return json.Unmarshal(w.Value, &s.Value)
}
