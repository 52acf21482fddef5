package servermetrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

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
