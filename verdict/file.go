package verdict

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/hypobench/hypobench/record"
)

// Append adds v to dir/hypotheses.jsonl and re-renders dir/hypotheses.md
// from every verdict in the file. When the run's config.json says the
// client limited the run, v is written inconclusive (ForRunDir).
func Append(dir string, v Verdict) error {
	v, err := ForRunDir(dir, v)
	if err != nil {
		return err
	}
	w, err := record.OpenAppend(filepath.Join(dir, record.HypothesesFile))
	if err != nil {
		return fmt.Errorf("opening %s: %w", record.HypothesesFile, err)
	}
	if err := w.Write(v); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	vs, bad, err := Read(dir)
	if err != nil {
		return err
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, vs, bad); err != nil {
		return err
	}
	return record.WriteFileAtomic(filepath.Join(dir, record.HypothesesMDFile), []byte(md.String()))
}

// Read returns every verdict in dir/hypotheses.jsonl (none when the file is
// absent). Corrupt lines come back in bad with their line numbers.
func Read(dir string) (vs []Verdict, bad []error, err error) {
	vs, bad, err = record.ReadFile[Verdict](filepath.Join(dir, record.HypothesesFile))
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	return vs, bad, err
}

// Num formats a figure with 4 significant digits, "–" for NaN.
func Num[T ~float64](v T) string {
	x := float64(v)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return fmt.Sprintf("%.4g", x)
}

// PString formats a p-value, "–" when there is none.
func PString(p *float64) string {
	if p == nil {
		return "–"
	}
	if *p < 1e-4 {
		return "<0.0001"
	}
	return fmt.Sprintf("%.4f", *p)
}

// CIString formats a CI as [lo, hi] at its level.
func CIString[T ~float64](lo, hi T, level float64) string {
	if math.IsNaN(float64(lo)) || math.IsNaN(float64(hi)) {
		return "–"
	}
	return fmt.Sprintf("[%s, %s] (%g%%)", Num(lo), Num(hi), level*100)
}

// WriteMarkdown renders verdicts as a table followed by one section each.
func WriteMarkdown(w io.Writer, vs []Verdict, bad []error) error {
	var b strings.Builder
	b.WriteString("# Hypotheses\n\n")
	for _, v := range vs {
		fmt.Fprintf(&b, "- %s\n", Sentence(v))
	}
	if len(vs) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("| id | outcome | claim | test | statistic | p | α | effect | CI | n | seed |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, v := range vs {
		fmt.Fprintf(&b, "| %s | **%s** | %s | %s | %s | %s | %g | %s %s | %s | %d | %d |\n",
			v.ID, v.Outcome, esc(v.Claim), esc(v.Test), Num(v.Statistic), PString(v.P), v.Alpha,
			Num(v.Effect), v.Unit, CIString(v.EffectCI.Lo, v.EffectCI.Hi, v.EffectCI.Level), v.N, v.Seed)
	}
	for _, v := range vs {
		fmt.Fprintf(&b, "\n## %s — %s\n\n%s\n\n", v.ID, v.Outcome, v.Claim)
		if v.Design != "" {
			fmt.Fprintf(&b, "Design: %s\n\n", v.Design)
		}
		if v.Time != "" {
			fmt.Fprintf(&b, "Time: %s\n\n", v.Time)
		}
		if v.Target != "" {
			fmt.Fprintf(&b, "Target: %s", v.Target)
			if v.RunDir != "" {
				fmt.Fprintf(&b, " — data: `%s`", v.RunDir)
			}
			b.WriteString("\n\n")
		}
		b.WriteString("| check | outcome | test | statistic | p | α | effect | CI | n |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range v.Checks {
			n := fmt.Sprint(c.N)
			if c.Sample != "" {
				n += " (" + esc(c.Sample) + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %g | %s %s | %s | %s |\n", esc(c.Claim), c.Outcome, esc(c.Test),
				Num(c.Statistic), PString(c.P), c.Alpha, Num(c.Effect), c.Unit, CIString(c.EffectCI.Lo, c.EffectCI.Hi, c.EffectCI.Level), n)
		}
		if len(v.Evidence) > 0 {
			b.WriteString("\n| level | n | median | CI |\n|---|---|---|---|\n")
			for _, l := range v.Evidence {
				fmt.Fprintf(&b, "| %s | %d | %s %s | %s |\n", esc(l.Label), l.N, Num(l.Median), l.Unit, CIString(l.MedianCI.Lo, l.MedianCI.Hi, l.MedianCI.Level))
			}
		}
		for _, s := range v.Info {
			fmt.Fprintf(&b, "\n- %s", s)
		}
		for _, s := range v.Warnings {
			fmt.Fprintf(&b, "\n- warning: %s", s)
		}
		if v.Outcome == Inconclusive && v.NeededN > 0 {
			fmt.Fprintf(&b, "\n- about %d requests per level would likely decide it", v.NeededN)
		}
		if len(v.Info)+len(v.Warnings) > 0 || v.NeededN > 0 {
			b.WriteString("\n")
		}
	}
	for _, e := range bad {
		fmt.Fprintf(&b, "\n- skipped corrupt line: %v\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func esc(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
