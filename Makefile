# dfsopt — make targets. Needs only Go; redis-server (Debian package) makes
# the end-to-end test use a real Redis instead of the in-process fallback.

SHELL := /bin/bash
GO    ?= go
GOFMT ?= $(shell $(GO) env GOROOT)/bin/gofmt
BIN   := bin
# Every module of the go.work workspace.
MODULES  := api optimizer pkg worker
PKGS     := $(addprefix ./,$(addsuffix /...,$(MODULES)))
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 15s
# Minimizing each new input of a multi-kB request document byte by byte
# would take the whole FUZZTIME (the default bound is 60 s per input).
FUZZMINIMIZETIME ?= 2s
BENCHTIME ?= 1s
BENCHCOUNT ?= 1
# Real slates (../shared/data beside the checkout) and how many lineups CBC
# solves in bench-cbc (0: the whole sequence, which takes CBC over 10 minutes;
# fewer are scaled up linearly, which understates CBC: its later solves are slower).
SLATES ?= ../shared/data/slates
CBC_LINEUPS ?= 30
# Per-package test timeout (the race detector makes compute tests slower).
TEST_TIMEOUT ?= 15m

.PHONY: all help run build test test-unit test-e2e test-neo4j neo4j lint fmt-check vet fmt bench bench-cbc fuzz fuzz-api loadtest tidy docker up down clean

all: lint build test-unit ## lint, build and unit-test

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## run the gateway (embedded Redis + worker unless DFSOPT_REDIS_URL is set)
	@$(MAKE) --no-print-directory build >/dev/null
	@if [ -z "$$DFSOPT_REDIS_URL" ]; then \
		exec $(BIN)/gateway; \
	else \
		echo "DFSOPT_REDIS_URL is set: running gateway and one worker as two processes" && \
		{ $(BIN)/worker & wpid=$$!; \
		  trap 'kill -TERM $$wpid 2>/dev/null; wait $$wpid' EXIT INT TERM; \
		  $(BIN)/gateway; }; \
	fi

build: ## build bin/gateway, bin/worker and bin/dfsopt
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/gateway ./api/cmd/gateway
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/worker ./worker/cmd/worker
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/dfsopt ./optimizer/cmd/dfsopt

test: lint ## gofmt check, go vet, unit tests with -race, end-to-end test
	@if command -v redis-server >/dev/null; then echo "e2e: using $$(command -v redis-server)"; \
	else echo "!!! WARNING: redis-server is not installed: Redis tests fall back to miniredis (apt-get install redis-server; under CI=true they fail)"; fi
	@command -v cbc >/dev/null || echo "!!! WARNING: cbc is not installed: the CBC cross-checks of the optimizer are SKIPPED (apt-get install coinor-cbc; under CI=true they fail)"
	@[ -n "$$DFSOPT_TEST_NEO4J_URI" ] || echo "!!! WARNING: DFSOPT_TEST_NEO4J_URI is unset: the Neo4j store tests are SKIPPED (make test-neo4j starts a real Neo4j; under CI=true they fail)"
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

test-unit: ## unit tests only (-short skips the end-to-end test)
	$(GO) test -race -short -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

test-e2e: ## the end-to-end test only
	$(GO) test -count=1 -v -run TestEndToEnd ./api/e2e/

neo4j: ## run a real Neo4j 5.x (fetched with Maven) on a free loopback port until Ctrl-C; prints its DFSOPT_TEST_NEO4J_* settings
	deployments/neo4j/run.sh run

test-neo4j: ## start a real Neo4j, run the slate store tests against it, stop it
	@dir=$$(mktemp -d); trap 'deployments/neo4j/run.sh stop "$$dir"; rm -rf "$$dir"' EXIT; \
	deployments/neo4j/run.sh start "$$dir" && source "$$dir/env" && \
	$(GO) test -race -count=1 -v ./pkg/slatestore/...

lint: fmt-check vet ## gofmt check and go vet

fmt-check:
	@out=$$($(GOFMT) -l $(MODULES)) || exit 1; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

fmt: ## gofmt -w every module
	$(GOFMT) -w $(MODULES)

bench: ## run the benchmarks (BENCHCOUNT runs each, for benchstat), then the optimizer against CBC
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) $(PKGS)
	@$(MAKE) --no-print-directory bench-cbc

bench-cbc: ## 150 DK NFL lineups (min_unique 3, real projections): the optimizer and CBC side by side, with the ratio
	@if ! command -v cbc >/dev/null; then echo "!!! WARNING: cbc is not installed (apt-get install coinor-cbc): no CBC comparison"; \
	elif [ ! -f $(SLATES)/dk-nfl-2019-09-08/projections_with_actuals.csv ]; then echo "!!! WARNING: $(SLATES) not found: no CBC comparison"; \
	else $(GO) run ./optimizer/internal/cmd/lineupvscbc -salaries $(SLATES)/dk-nfl-2019-09-08/DKSalaries.csv \
		-projections $(SLATES)/dk-nfl-2019-09-08/projections_with_actuals.csv -lineups 150 -min-unique 3 -cbc-lineups $(CBC_LINEUPS); fi

fuzz: ## run each fuzz target for FUZZTIME
	@set -e; for pkg in $(PKGS); do \
		for dir in $$($(GO) list -f '{{.Dir}}' $$pkg); do \
			for f in $$(grep -hoE '^func Fuzz[A-Za-z0-9_]+' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
				echo "fuzz $$f in $$dir"; \
				(cd $$dir && $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) .); \
			done; \
		done; \
	done

fuzz-api: ## schemathesis (PyPI, into a venv) against a real gateway and redis-server: no 5xx, answers conform to /openapi.json
	api/e2e/schemathesis.sh

loadtest: build ## bounded load test on loopback: gateway + redis-server (+ wrk if installed), no worker; submit/status rates, p50/p99, CPU per op, ratio to bare asynq Enqueue
	$(GO) run ./api/internal/cmd/loadtest -gateway $(BIN)/gateway $(LOADTEST_FLAGS)

tidy: ## go mod tidy in every module
	@for m in $(MODULES); do (cd $$m && GOWORK=off $(GO) mod tidy); done

docker: ## build the gateway and worker images
	docker build -f deployments/gateway.Dockerfile -t dfsopt-gateway:$(VERSION) .
	docker build -f deployments/worker.Dockerfile -t dfsopt-worker:$(VERSION) .

up: ## run the stack with docker compose (Redis with AOF, gateway, 2 workers)
	docker compose up --build

down: ## stop the docker compose stack
	docker compose down

clean: ## remove built binaries
	rm -rf $(BIN)
