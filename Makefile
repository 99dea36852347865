# otelcol-k8saudit: build, run and test the collector distribution.
#
#   make build     bin/otelcol-k8saudit, built by ocb from builder-config.yaml
#   make run       the collector with config/default.yaml
#   make test      unit tests (with -race), the end-to-end tests, the benchmarks
#                  once and each fuzz target briefly
#   make test-reliability
#                  the long tests against the binary: SIGKILL mid-stream,
#                  downstream outage (CI runs it after make test)
#   make fuzz      the fuzz targets, by execution count (FUZZTIME overrides)
#   make bench     the benchmarks, with allocation counts, and the side-by-side
#                  measurement against contrib (docs/benchmarks.md)
#   make generate  mdatagen over every component's metadata.yaml
#   make clean     remove build output (keeps .tools/)

SHELL := /bin/bash
GO    ?= go

TOOLS_DIR := .tools
BUILDER   := $(TOOLS_DIR)/builder
MDATAGEN  := $(TOOLS_DIR)/mdatagen

DIST_NAME := otelcol-k8saudit
BUILD_DIR := _build
BINARY    := bin/$(DIST_NAME)

# What the binary is made of: the main module's non-test Go sources, its
# go.mod and go.sum, and the ocb manifest. Generated and tool trees are left out.
GO_SOURCES := $(shell find . \( -path ./.git -o -path ./$(BUILD_DIR) -o -path ./_out -o -path ./$(TOOLS_DIR) -o -path ./internal/tools \) -prune \
	-o -type f -name '*.go' ! -name '*_test.go' -print)

METADATA := $(wildcard receiver/*/metadata.yaml processor/*/metadata.yaml connector/*/metadata.yaml)

.PHONY: all build run test test-reliability fuzz bench bench-go bench-compare generate clean

all: build

build: $(BINARY)

# ocb generates _build/, pins the modules as builder-config.yaml says (the
# go.mod it writes replaces this repository's module with the working tree)
# and compiles.
$(BINARY): builder-config.yaml go.mod go.sum $(GO_SOURCES) | $(BUILDER)
	$(BUILDER) --config builder-config.yaml
	@mkdir -p $(@D)
	cp $(BUILD_DIR)/$(DIST_NAME) $@.tmp
	mv -f $@.tmp $@

run: $(BINARY)
	$(BINARY) --config config/default.yaml

test: $(BINARY)
	K8SAUDIT_E2E_BINARY=$(abspath $(BINARY)) $(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run '^$$' -bench . -benchtime=1x ./...
	$(MAKE) fuzz

test-reliability: $(BINARY)
	K8SAUDIT_RELIABILITY=1 K8SAUDIT_E2E_BINARY=$(abspath $(BINARY)) \
		$(GO) test -count=1 -v -timeout 20m -run '^TestReliability' ./e2e

# Each target on its own (go test -fuzz takes one); the seed corpora are in
# each package's testdata/fuzz/. Budgets are execution counts, not durations:
# go1.26's fuzz coordinator can fail a duration-bounded run with a spurious
# "context deadline exceeded" (golang/go#75804, fixed in go1.27). On a clean
# clone here they take 85–230 s, 16–90 s and 4–10 s, depending on the host
# (most of the first minimizing the new inputs it finds); FUZZTIME=30s (or
# 1000x) overrides them all.
FUZZTIME ?=
FUZZ_TARGETS := internal/auditevent:FuzzAppendEvent:300000x internal/auditevent:FuzzAppendPayload:300000x \
	internal/auditevent:FuzzLexerAcceptsOnlyJSON:300000x internal/auditevent:FuzzTapeMatchesJSONText:300000x \
	receiver/k8sauditreceiver:FuzzWebhookHandler:8000x

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; fn=$${rest%%:*}; budget=$${rest#*:}; \
		if [ -n "$(FUZZTIME)" ]; then budget=$(FUZZTIME); fi; \
		echo "fuzz $$fn ($$pkg, $$budget)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $$budget ./$$pkg || exit 1; \
	done

# bench: the Go benchmarks, then the side-by-side measurement of issue 6 on
# one generated log (cmd/benchrun; the table goes to docs/benchmarks.md).
bench: bench-go bench-compare

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Our components and contrib's file_log + transform in one bench-only binary,
# from bench/builder-config.yaml (the distribution's manifest is untouched).
BENCH_BINARY := bin/$(DIST_NAME)-bench
BENCH_N      ?= 500000

bench-compare: $(BENCH_BINARY)
	$(GO) run ./cmd/benchrun -bin $(BENCH_BINARY) -n $(BENCH_N) -out docs/benchmarks.md

$(BENCH_BINARY): bench/builder-config.yaml go.mod go.sum $(GO_SOURCES) | $(BUILDER)
	@mkdir -p _out # ocb creates only the last element of its output path
	$(BUILDER) --config bench/builder-config.yaml
	@mkdir -p $(@D)
	cp _out/build-bench/$(DIST_NAME)-bench $@.tmp
	mv -f $@.tmp $@

generate: $(MDATAGEN)
	@for f in $(METADATA); do \
		echo "mdatagen $$f"; \
		(cd $$(dirname $$f) && $(abspath $(MDATAGEN)) metadata.yaml) || exit 1; \
	done

# The tools are pinned by internal/tools/go.mod (a module of its own).
# `go install tool@version` would need a version list the module proxy may refuse.
$(BUILDER): internal/tools/go.mod internal/tools/go.sum
	cd internal/tools && $(GO) build -o $(abspath $@) go.opentelemetry.io/collector/cmd/builder

$(MDATAGEN): internal/tools/go.mod internal/tools/go.sum
	cd internal/tools && $(GO) build -o $(abspath $@) go.opentelemetry.io/collector/cmd/mdatagen

clean:
	rm -rf bin $(BUILD_DIR) _out
