# hypobench — see README.md. Every target works on a fresh machine with Go
# and the registries; `make test` is what CI runs.

GO       ?= go
REPORTS  ?= reports
SPEED    ?= 10
TESTFLAGS ?= -count=1 -timeout 30m

.PHONY: test bench run report baseline e2e fuzz vet fmt soak calibrate clean

## test: the whole suite through gotestsum, JUnit XML in reports/junit.xml
test:
	@mkdir -p $(REPORTS)
	$(GO) tool gotestsum --format testname --junitfile $(REPORTS)/junit.xml -- $(TESTFLAGS) ./...

## bench: the main job — the tiny suite on the target (embedded engine when
## HYPOBENCH_TARGET is unset), the hypotheses' fuller design, then the reports.
bench:
	HYPOBENCH_SPEED=$${HYPOBENCH_SPEED:-$(SPEED)} $(GO) run ./cmd/hypobench run --out $(REPORTS)
	HYPOBENCH_SPEED=$${HYPOBENCH_SPEED:-$(SPEED)} HYPOBENCH_RUN_DIR=$(REPORTS)/latest HYPOBENCH_DESIGN=full \
		$(GO) test ./hypotheses/ -count=1 -timeout 60m -v -run 'H[1-4]$$' 2>&1 | tee $(REPORTS)/latest/hypotheses.log; \
		$(GO) run ./cmd/hypobench report $(REPORTS)/latest

## report: rebuild every report file of the newest run from its JSONL
report:
	$(GO) run ./cmd/hypobench report $(REPORTS)/latest

## baseline: save the newest run as a committed baseline
baseline:
	$(GO) run ./cmd/hypobench baseline $(REPORTS)/latest $(REPORTS)/baselines

## e2e: Ollama built from the Go module proxy, a generated GGUF, H1/H2 against it
e2e:
	bash scripts/ollama/e2e.sh

## fuzz: run every fuzz target (or those matching FUZZ) for FUZZTIME each;
## the configuration path for a million executions:
##   make fuzz FUZZTIME=1000000x FUZZ=FuzzConfig
FUZZTIME ?= 30s
FUZZ     ?= .
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME) '$(FUZZ)'

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(REPORTS)/2* $(REPORTS)/latest $(REPORTS)/junit.xml
