# poolbench — `make help` lists the targets.
GO      ?= go
BIN     ?= bin/poolbench
PKGS    := ./...

.PHONY: help build test lint bench e2e compare baseline verify-model clean

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/poolbench
	$(GO) build -o $(BIN) .

test: lint ## vet, gofmt check, and every test with -race
	$(GO) test -race -count=1 $(PKGS)

lint: ## go vet and a gofmt check
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

bench: build ## run the seed-816s and cap-sweep scenarios on the embedded mock
	$(BIN) run seed-816s
	$(BIN) run cap-sweep

clean: ## remove built binaries and generated reports (keeps reports/baseline)
	rm -rf bin
	find reports -mindepth 1 -maxdepth 1 ! -name baseline -exec rm -rf {} +

# The CI gate (bench/compare): the ci-gate scenario against its committed
# baseline. `make compare` exits 1 on a regression, 2 when the baseline is
# missing or unreadable; `make baseline` re-records it deliberately.
BASELINE ?= reports/baseline/ci-gate

compare: build ## run scenarios/ci-gate.yaml and compare with reports/baseline/ci-gate (exit 1 on a regression)
	$(BIN) run -out reports/ci-gate scenarios/ci-gate.yaml
	$(BIN) compare $(BASELINE) reports/ci-gate

baseline: build ## re-record reports/baseline/ci-gate deliberately (then review and commit it)
	rm -rf reports/.baseline-tmp
	$(BIN) run -out reports/.baseline-tmp scenarios/ci-gate.yaml
	mkdir -p $(BASELINE)
	cp reports/.baseline-tmp/results.json $(BASELINE)/results.json
	if [ -f reports/.baseline-tmp/results.bench.txt ]; then cp reports/.baseline-tmp/results.bench.txt $(BASELINE)/; fi
	rm -rf reports/.baseline-tmp
	@echo "baseline recorded in $(BASELINE): review it (git diff --stat) and commit it"
