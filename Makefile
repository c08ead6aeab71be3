# Content Factory. `make help` lists the targets.

# A Go release with no known standard-library vulnerabilities, fetched from
# the module proxy by the go command itself.
export GOTOOLCHAIN := go1.26.11
export GOFLAGS := -buildvcs=false

BIN := $(CURDIR)/bin/factory
GO_TEST_FLAGS ?= -count=1 -timeout 30m

.DEFAULT_GOAL := help
.PHONY: help run build test test-unit bench eval perf chaos fmt vet lint fuzz clean stage tf-validate

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

run: build ## Run the whole system locally (emulators, offline AI) on http://127.0.0.1:8080
	@scripts/ensure-espeak.sh
	$(BIN) dev

build: ## Build the factory command into bin/
	go build -o $(BIN) ./cmd/factory

test: build ## Run every test: unit, emulator integration and end-to-end
	@scripts/ensure-espeak.sh
	FACTORY_BIN=$(BIN) $(BIN) emulators -- go test $(GO_TEST_FLAGS) ./...

test-unit: ## Run the tests that need no emulator
	go test $(GO_TEST_FLAGS) -short ./...

bench: build ## Run the benchmarks (timings are reported, never asserted)
	FACTORY_BIN=$(BIN) $(BIN) emulators -- go test -run '^$$' -bench . -benchtime 5x ./...

eval: build ## Score the corpus in test/eval/corpus on the offline backend: a table per format; the report in .build/eval/latest.json
	$(BIN) eval

perf: build ## Measure the local stack beside baselines (job vs critical path, submit vs raw, cold start, memory); prints a table, writes .build/perf/latest.json
	FACTORY_BIN=$(BIN) $(BIN) emulators -- go run ./test/perf $(PERF_FLAGS)

chaos: build ## Soak the whole local stack under injected faults (CHAOS_JOBS=200; make test runs 30)
	FACTORY_BIN=$(BIN) CHAOS_JOBS=$${CHAOS_JOBS:-200} $(BIN) emulators -- go test -count=1 -timeout 60m -v -run TestChaosSoak ./test/chaos/

fmt: ## Format the code
	gofmt -w $$(git ls-files '*.go')

vet: ## go vet
	go vet ./...

lint: ## gofmt, go vet, staticcheck, govulncheck (offline vulnerability database; tools cached outside the repo)
	scripts/lint.sh

fuzz: ## Run every fuzz target in turn for FUZZTIME each (default 60s); fails if any fails
	@failed=; for t in \
		FuzzParseRequest:./shared/content \
		FuzzCleanText:./shared/content \
		FuzzFromEvent:./shared/queue \
		FuzzDecodeEnvelope:./shared/queue \
		FuzzGuardCheck:./shared/webhook \
		FuzzPublic:./shared/webhook \
		FuzzSplit:./shared/ai/tts \
		FuzzScore:./shared/guard; do \
		name=$${t%%:*}; pkg=$${t#*:}; \
		echo "go test -run '^\$$' -fuzz '^$$name\$$' -fuzztime $${FUZZTIME:-60s} -fuzzminimizetime 10s $$pkg"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $${FUZZTIME:-60s} -fuzzminimizetime 10s $$pkg || failed="$$failed $$name"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed"; exit 1; fi

stage: ## Stage every function for deployment: .build/<pkg>/ and a deterministic .build/<pkg>.zip
	scripts/stage-functions.sh

tf-validate: ## Check terraform/ offline: fmt, validate, tflint, policy tests, offline plan (builds the provider once)
	scripts/tf-validate.sh

clean: ## Remove build output and local state
	rm -rf bin .build .factory
