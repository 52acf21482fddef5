// Package verdict is the vocabulary every decision in hypobench shares: an
// Outcome (pass, fail, inconclusive), a Check (one falsifiable part of a
// claim with its test, statistic, p-value, α, effect and CI), a Level of the
// evidence table, and the Verdict that combines checks (Combine: any fail
// fails, any inconclusive is inconclusive, only all passes pass). CIOutcome
// decides a one-sided claim from a confidence interval; Float encodes NaN as
// JSON null; Warnings carry the problems found on the way as errors that
// wrap sentinels.
//
// Verdicts are appended to hypotheses.jsonl in the run directory (Append,
// Read) and rendered to hypotheses.md (WriteMarkdown). A verdict on a run whose
// client limited its own measurements (config.json's client_check) is
// written inconclusive, with the reasons as ErrClientLimited warnings
// (ForRun, ForRunDir, applied by Append). Too little data or
// too much noise gives inconclusive, never a pass; an inconclusive verdict
// says how many more requests would likely decide it (NeededN).
//
// Each check may carry a Sentence, written by the analysis that made it,
// saying its effect and interval in plain words ("TTFT grew 6.2× from 50
// to 1,010 prompt tokens, 90% CI 6.16–6.24×"); the verdict takes its
// deciding check's (Combine, Headline), and Sentence builds one from the
// headline figures where an analysis wrote none. hypotheses.md and the
// report page lead with one sentence per verdict. Verdict.Time names the
// time its figures are in (a record.TimeBase banner); outcomes are the
// same in either time.
//
// # One convention for α and intervals
//
// Every check decides a one-sided claim ("effect above bound", or below)
// at α = 0.05 (hypotheses.DefaultOptions.Alpha). Every interval a check
// reports is two-sided at level 1 − 2α (90%), so that each of its tails is
// a one-sided test at α: CIOutcome passes a claim when the whole interval
// lies on the claimed side of the bound (the one-sided test rejects "at or
// beyond the bound" at α), fails it when the whole interval lies on the
// other side (the data contradict the claim at α), and is inconclusive
// otherwise. An equivalence claim (inside a band) passes when the whole
// 1 − 2α interval lies inside — the two one-sided tests (TOST) at α — and
// fails when it lies wholly outside. Every p-value is one-sided. A check
// names the independent unit its interval resamples (Check.Unit says
// what the effect is measured in; Check.Detail names the unit: rounds of a
// design, or requests at concurrency 1, which share no batch).
//
// The headline of a verdict is its deciding check: the first failing
// check of a failed verdict, the first inconclusive one of an inconclusive
// verdict (Combine); only a pass may show a significance test beside a
// separate effect check (Headline).
//
// The analyses that produce verdicts live in package hypotheses (H1–H4) and
// compare (regression checks); report renders them. This package imports
// only record and stats of the project, and never testing: the glue for
// testing.T is package verdicttest.
package verdict
