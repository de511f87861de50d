# poolbench — `make help` lists the targets.
GO      ?= go
BIN     ?= bin/poolbench
PKGS    := ./...

.PHONY: help build test test-short lint allocs allocs-baseline bench bench-all e2e compare baseline verify-model clean

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z0-9-]+:.*## /{printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/poolbench
	$(GO) build -o $(BIN) .

# SKIPPED is where the tests write the scripts that skipped (a server or
# tool not installed), for test to list them: go test shows nothing of a
# package that passed.
SKIPPED ?= bin/skipped-tests.txt

# STATS_PKGS run a second time without -race: their tests that compute for
# seconds (statistics over thousands of simulated cells, goldens; 7x slower
# under the race detector) skip under -race and run there.
STATS_PKGS := ./bench/model

test: lint allocs ## vet, gofmt check, the allocations gate, every test with -race, the model's statistical tests without; lists the scripts skipped and why
	@mkdir -p $(dir $(SKIPPED)) && rm -f $(SKIPPED)
	@echo "$(GO) test -race -count=1 $(PKGS)"
	@POOLBENCH_SKIPPED_TESTS="$(abspath $(SKIPPED))" $(GO) test -race -count=1 $(PKGS); status=$$?; \
	echo "$(GO) test -count=1 $(STATS_PKGS)"; $(GO) test -count=1 $(STATS_PKGS) || status=1; \
	if [ -s $(SKIPPED) ]; then echo "skipped (install what they need to run them):"; sed 's/^/  /' $(SKIPPED); \
	elif [ -e $(SKIPPED) ]; then echo "no script skipped"; fi; \
	exit $$status

test-short: ## the edit loop: every test with -short, without -race (skips the end-to-end and real-server scripts and the long statistical checks); make test before merging
	$(GO) test -short $(PKGS)

# The allocations gate: the simulation's, the client's and the mock's
# allocations per operation (Go benchmarks, without -race) held to
# reports/baseline/allocs.txt by poolbench compare -allocs; times printed,
# not gated. make allocs-baseline re-records it (review, then commit).
allocs: build ## hold the simulation's, client's and mock's allocations per operation to reports/baseline/allocs.txt
	POOLBENCH=$(BIN) scripts/allocs.sh check

allocs-baseline: ## re-record reports/baseline/allocs.txt deliberately (then review and commit it)
	scripts/allocs.sh record

lint: ## go vet and a gofmt check
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Timing runs take the CPU before other work where they may: nice -n -10
# (as root, or with CAP_SYS_NICE; elsewhere nice says so and runs as is).
NICE ?= nice -n -10

# make bench and verify-model opt in to keep-awake (run -keep-awake: a busy
# loop per CPU at nice 19 while cells run faster than real time, so the
# harness's wake-ups cost less) and say so first; KEEP_AWAKE= lets the CPUs
# idle.
KEEP_AWAKE ?= -keep-awake
AWAKE_NOTE = @echo "$@: $(if $(KEEP_AWAKE),keeps the CPUs awake ($(BIN) run $(KEEP_AWAKE): a busy loop per CPU at nice 19 while cells run faster than real time; KEEP_AWAKE= to let them idle),lets the CPUs idle (KEEP_AWAKE is empty))"

bench: ## run the seed-816s and cap-sweep scenarios on the embedded mock (at raised priority, CPUs kept awake)
	$(AWAKE_NOTE)
	@$(MAKE) --no-print-directory build
	$(NICE) $(BIN) run $(KEEP_AWAKE) seed-816s
	$(NICE) $(BIN) run $(KEEP_AWAKE) cap-sweep

bench-all: bench ## make bench, then the seeds' other claims (seed-100-urls, seed-consumers), the adaptive scenarios (adaptive-reject, adaptive-queue) and rate-capacity
	$(NICE) $(BIN) run seed-100-urls
	$(NICE) $(BIN) run seed-consumers
	$(NICE) $(BIN) run adaptive-reject
	$(NICE) $(BIN) run adaptive-queue
	$(NICE) $(BIN) run rate-capacity

clean: ## remove built binaries and generated reports (keeps reports/baseline)
	rm -rf bin
	find reports -mindepth 1 -maxdepth 1 ! -name baseline -exec rm -rf {} +

VERIFY_DIR ?= reports/verify-model
verify-model: ## run seed-816s and cap-sweep, hold every cell the harness did not flag to its run's error budget (1%) of the model
	$(AWAKE_NOTE)
	@$(MAKE) --no-print-directory build
	$(NICE) $(BIN) run $(KEEP_AWAKE) -out $(VERIFY_DIR)/seed-816s seed-816s
	$(NICE) $(BIN) run $(KEEP_AWAKE) -out $(VERIFY_DIR)/cap-sweep cap-sweep
	$(BIN) predict -verify $(VERIFY_DIR)/seed-816s $(VERIFY_DIR)/cap-sweep

e2e: ## render a scenario page, check it in headless Chromium (installs Debian's chromium if missing)
	./scripts/e2e.sh

.PHONY: perf
perf: ## the performance table: client vs wrk/hey/fortio/vegeta (req/s, CPU per request, h2 row); scripts/perf.sh, under measure.lock
	scripts/perf.sh

.PHONY: bench-mock
bench-mock: ## measure the mock upstream with wrk (fidelity at 10ms; zero latency vs fortio server)
	scripts/bench-mock.sh 3
	$(GO) test -run '^$$' -bench ServeHTTP ./mocksrv
	$(GO) test -run '^$$' -bench SleepAccuracy -benchtime=2000x ./mocksrv

# The CI gate (bench/compare): the ci-gate scenario against its committed
# baseline, through scripts/gate.sh (the recipe a user's CI runs on its own
# scenario: a regression is confirmed by a second run before the gate
# fails). `make compare` exits 1 on a confirmed regression, 2 when the
# baseline is missing or unreadable; `make baseline` re-records it.
BASELINE ?= reports/baseline/ci-gate

compare: build ## run scenarios/ci-gate.yaml and compare with reports/baseline/ci-gate (exit 1 on a confirmed regression)
	POOLBENCH=$(BIN) scripts/gate.sh check scenarios/ci-gate.yaml $(BASELINE) reports/ci-gate

baseline: build ## re-record reports/baseline/ci-gate deliberately (then review and commit it)
	POOLBENCH=$(BIN) scripts/gate.sh record scenarios/ci-gate.yaml $(BASELINE)
