package report

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/hypobench/hypobench/verdict"
)

// Page is what index.html shows. Every string is escaped by html/template;
// only the plots' data: URIs, built here from PNG bytes, are marked safe.
//
// The page reads top-down, in this order (the section ids in brackets):
// the title and the time banner [time]; what was tested [tested]; one
// sentence per verdict [verdicts]; the operating characteristics of each
// check [operating-characteristics] (Calibration: for every verdict of
// H1–H4 and the regression gate, each check's outcome beside the
// operating characteristics its calibration measured); the plots [plots]; the open-loop sections [open-loop],
// reserved for capacity plots and the client's self-check (OpenLoop); the
// tables — verdicts [verdict-table] and summary [summary]; the extra
// sections (server metrics, kernel trace); the configuration, grouped and
// collapsed [config]; notes and skipped lines. A reserved section is left
// out while it has nothing to show.
type Page struct {
	Title string
	// Banner names the time the figures are in (Summary.Banner).
	Banner string
	// Tested says what was tested: target, model, GPU, time scale, suite.
	Tested   []ConfigRow
	Verdicts []VerdictRow
	// Calibration is the operating-characteristics section, OpenLoop a
	// reserved one (see above).
	Calibration []Section
	OpenLoop    []Section
	Config      []ConfigRow
	Summary     Summary
	Plots       []Plot
	Extra       []Section
	Skipped     []error
	Notes       []string
}

// ConfigGroup is one collapsed block of the configuration: the rows whose
// key starts with Name.
type ConfigGroup struct {
	Name string
	Rows []ConfigRow
}

// groupConfig groups flattened rows by their first key segment (two for
// meta's entries: meta.engine, meta.env, ...), in first-seen order; the
// top-level scalars form the group "run".
func groupConfig(rows []ConfigRow) []ConfigGroup {
	var out []ConfigGroup
	idx := map[string]int{}
	for _, r := range rows {
		parts := strings.SplitN(r.Key, ".", 3)
		name := parts[0]
		switch {
		case len(parts) == 1:
			name = "run"
		case parts[0] == "meta" && len(parts) == 3:
			name = "meta." + parts[1]
		}
		i, ok := idx[name]
		if !ok {
			i = len(out)
			idx[name] = i
			out = append(out, ConfigGroup{Name: name})
		}
		out[i].Rows = append(out[i].Rows, r)
	}
	return out
}

// WriteHTML renders p as one self-contained page: inline CSS, images as
// data: URIs, no external resources, so it reads from a file without a
// server. A small inline script records, after load, each image's natural
// width and how many decoded (body's data-images attribute), which the
// browser test reads.
func WriteHTML(w io.Writer, p Page) error {
	return pageTmpl.Execute(w, p)
}

// VerdictRow is one line of the verdict table: the headline check's effect
// with its unit and CI as the key figure.
type VerdictRow struct {
	ID, Outcome, Claim, Key, Test, P string
	N                                int
	// Sentence is verdict.Plain: the effect and its interval in words.
	Sentence string
}

func verdictRows(vs []verdict.Verdict) []VerdictRow {
	out := make([]VerdictRow, len(vs))
	for i, v := range vs {
		key := verdict.Num(v.Effect)
		if v.Unit != "" {
			key += " " + v.Unit
		}
		key += " " + verdict.CIString(v.EffectCI.Lo, v.EffectCI.Hi, v.EffectCI.Level)
		out[i] = VerdictRow{ID: v.ID, Outcome: string(v.Outcome), Claim: v.Claim, Key: key, Test: v.Test, P: verdict.PString(v.P), N: v.N,
			Sentence: verdict.Plain(v)}
	}
	return out
}

type suiteView struct {
	Name   string
	Groups []Group
}

type metricView struct {
	Title, Field string
	Rows         []metricRow
}

type metricRow struct {
	Profile string
	Level   string
	N       int
	Mean    string
	P50     string
	P90     string
	P99     string
}

var pageTmpl = template.Must(template.New("index").Funcs(template.FuncMap{
	"suites": func(s Summary) []suiteView {
		var out []suiteView
		for _, name := range suites(s) {
			out = append(out, suiteView{Name: name, Groups: groupsOf(s, name)})
		}
		return out
	},
	"metrics": func(gs []Group) []metricView {
		var out []metricView
		for _, m := range metrics {
			mv := metricView{Title: m.Title, Field: m.Field}
			for i := range gs {
				d := m.Get(&gs[i])
				mv.Rows = append(mv.Rows, metricRow{gs[i].Profile, gs[i].Level(), d.N, ms(d.Mean), qCell(d.P50), qCell(d.P90), qCell(d.P99)})
			}
			out = append(out, mv)
		}
		return out
	},
	"pngURI": func(b []byte) template.URL {
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
	},
	"n":        num,
	"errors":   errorsCell,
	"excluded": excludedCell,
	"window":   windowCell,
	"goodput":  goodputCell,
	"slo":      sloLine,
	"skipped":  SkippedLine,
	"mstr":     func(p *float64) string { return ms(p) },
	"sprintf":  fmt.Sprintf,
	"groups":   groupConfig,
	"unit":     unitSentence,
	"overhead": overheadLine,
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d1d1f; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .86rem; }
th, td { border: 1px solid #d5d5d5; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { background: #d8f5dc; color: #11621e; font-weight: 600; }
.fail { background: #fbdada; color: #8a1010; font-weight: 600; }
.inconclusive { background: #fdf1cc; color: #6b5200; font-weight: 600; }
.muted { color: #666; font-size: .9rem; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e2e2e2; }
figcaption { color: #555; font-size: .85rem; }
pre { background: #f7f7f9; padding: .6rem; overflow-x: auto; font-size: .8rem; }
ul.warn li { color: #8a1010; }
p.banner { background: #eef3fb; border-left: 4px solid #3b6fc4; padding: .4rem .7rem; font-weight: 600; }
dl.tested { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dl.tested dt { font-weight: 600; }
dl.tested dd { margin: 0; }
p.sentence span { padding: 0 .3rem; border-radius: 3px; }
details { margin: .3rem 0; }
summary { cursor: pointer; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p id="time" class="banner">{{.Banner}}</p>
<p class="muted">Rebuilt from the run directory's files by <code>hypobench report</code>.
<a href="#tested">What was tested</a> · <a href="#verdicts">Verdicts</a> · <a href="#plots">Plots</a> · <a href="#verdict-table">Tables</a> · <a href="#config">Configuration</a></p>

<h2 id="tested">What was tested</h2>
<dl class="tested">
{{- range .Tested}}
<dt>{{.Key}}</dt><dd>{{.Value}}</dd>
{{- end}}
</dl>

<h2 id="verdicts">Verdicts</h2>
{{- if .Verdicts}}
{{- range .Verdicts}}
<p class="sentence"><span class="{{.Outcome}}">{{.Outcome}}</span> <strong>{{.ID}}</strong>: {{.Sentence}}</p>
{{- end}}
{{- else}}
<p>No hypotheses were run.</p>
{{- end}}
<!-- operating characteristics of each verdict's checks, from the calibration -->
{{- if .Calibration}}

<h2 id="operating-characteristics">Operating characteristics</h2>
<p class="muted">How each check behaves where its answer is hardest: with the true effect exactly at its bound it should pass at most α (5%) of the time, at twice the bound nearly always, and its interval should cover the truth at its stated level — measured on simulated sessions of the embedded engine in virtual time (package calibrate), not on this run.</p>
{{- range .Calibration}}
<h3>{{.Title}}</h3>
<pre>{{.Markdown}}</pre>
{{- end}}
{{- end}}

<h2 id="plots">Plots</h2>
<p class="muted">{{.Banner}}</p>
{{- range .Plots}}
<figure id="{{.Name}}">
<img src="{{pngURI .PNG}}" alt="{{.Title}}">
<figcaption>{{.Caption}} Files: plots/{{.Name}}.png, plots/{{.Name}}.svg.</figcaption>
</figure>
{{- else}}
<p>No plots: no successful request had the data they need.</p>
{{- end}}
<!-- reserved: open-loop sections (capacity plots, client self-check) -->
{{- if .OpenLoop}}

<h2 id="open-loop">Open loop</h2>
{{- range .OpenLoop}}
<h3>{{.Title}}</h3>
<pre>{{.Markdown}}</pre>
{{- end}}
{{- end}}

<h2 id="verdict-table">Verdict table</h2>
{{- if .Verdicts}}
<table>
<tr><th>id</th><th>outcome</th><th>claim</th><th>key figure</th><th>test</th><th>p</th><th>n</th></tr>
{{- range .Verdicts}}
<tr><td>{{.ID}}</td><td class="{{.Outcome}}">{{.Outcome}}</td><td>{{.Claim}}</td>
<td class="num">{{.Key}}</td>
<td>{{.Test}}</td><td class="num">{{.P}}</td><td class="num">{{.N}}</td></tr>
{{- end}}
</table>
{{- else}}
<p>No hypotheses were run.</p>
{{- end}}

<h2 id="summary">Summary</h2>
<p>{{.Summary.Records}} records in {{len .Summary.Groups}} groups (suite × profile × concurrency). {{unit .Summary.Time}}</p>
<ul class="muted">
{{- with overhead .Summary.ClientOverhead}}
<li>{{.}}</li>
{{- end}}
<li>Quantiles: {{.Summary.QuantileDefinition}}.</li>
<li>Intervals: {{.Summary.CIMethod}}.</li>
<li>Errored records are left out of every latency metric; TPOT is undefined (and left out, counted) for fewer than 2 output tokens. ITL pools the gaps of every successful request, so its intervals are too narrow.</li>
<li>{{slo .Summary.SLO}}</li>
</ul>
{{- range suites .Summary}}
<h3>Suite {{.Name}}: requests and throughput</h3>
<table>
<tr><th>profile</th><th>concurrency</th><th>n</th><th>ok</th><th>errors</th><th>excluded</th><th>window (s)</th><th>req/s</th><th>output tok/s</th><th>goodput</th></tr>
{{- range .Groups}}
<tr><td>{{.Profile}}</td><td class="num">{{.Level}}</td><td class="num">{{.N}}</td><td class="num">{{.OK}}</td><td>{{errors .Errors}}</td><td>{{excluded .Excluded}}</td><td class="num">{{window .}}</td><td class="num">{{n .RequestsS}}</td><td class="num">{{n .OutputTokS}}</td><td>{{goodput .Goodput}}</td></tr>
{{- end}}
</table>
{{- range metrics .Groups}}
<h3>{{.Title}} (<code>{{.Field}}</code>, ms)</h3>
<table>
<tr><th>profile</th><th>concurrency</th><th>n</th><th>mean</th><th>p50 [95% CI]</th><th>p90 [95% CI]</th><th>p99 [95% CI]</th></tr>
{{- range .Rows}}
<tr><td>{{.Profile}}</td><td class="num">{{.Level}}</td><td class="num">{{.N}}</td><td class="num">{{.Mean}}</td><td class="num">{{.P50}}</td><td class="num">{{.P90}}</td><td class="num">{{.P99}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- end}}
{{- range .Extra}}

<h2>{{.Title}}</h2>
<pre>{{.Markdown}}</pre>
{{- end}}

<h2 id="config">Configuration</h2>
{{- if .Config}}
{{- range groups .Config}}
<details>
<summary>{{.Name}} ({{len .Rows}})</summary>
<table>
{{- range .Rows}}
<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
</details>
{{- end}}
{{- else}}
<p>No config.json in the run directory.</p>
{{- end}}
{{- if .Notes}}

<h2>Notes</h2>
<ul>
{{- range .Notes}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Skipped}}

<h2>Skipped lines</h2>
<ul class="warn">
{{- range .Skipped}}
<li>{{skipped .}}</li>
{{- end}}
</ul>
{{- end}}
<script>
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    var w = imgs[i].naturalWidth;
    imgs[i].setAttribute("data-natural-width", String(w));
    if (imgs[i].complete && w > 0) { ok++; }
  }
  document.body.setAttribute("data-images", ok + "/" + imgs.length);
});
</script>
</body>
</html>
`
