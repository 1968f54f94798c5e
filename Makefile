# Parley: the two commands a user needs are `make run` and `make test`.
GO      ?= go
BIN     := bin/parley
FUZZTIME ?= 5s

.PHONY: run build test test-deps vet fmt-check unit test-postgres fuzz bench bench-smoke clean

## run: start the server with the embedded defaults (domain localhost, ./data)
run: build
	./$(BIN) serve

## build: compile bin/parley
build:
	$(GO) build -o $(BIN) ./cmd/parley

## test: install test dependencies if missing, then vet, unit/protocol/e2e tests (race detector),
## short fuzzing, and one quick pass of every hot-path benchmark (they must run; timings are not checked)
test: test-deps fmt-check vet unit test-postgres fuzz bench-smoke

test-deps:
	@scripts/test-deps.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

## test-postgres: the server's protocol tests once more, every test server on PostgreSQL
## (the store packages' own tests already run on it in unit)
test-postgres:
	PARLEY_TEST_STORAGE=postgres $(GO) test -race -count=1 -timeout 20m ./server/

## fuzz: run every fuzz target for FUZZTIME (default 5s)
fuzz:
	@FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## bench: the hot-path Go benchmarks (results go in docs/performance.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./xmpp/... ./router/... ./im/... ./store/sqlite/... ./store/postgres/... ./server/ ./livehelp/ ./calendar/ ./conference/ ./s2s/

## bench-compare: Parley vs ejabberd vs Prosody, same scenarios, pinned (root, ~15 min; scripts/bench-compare.sh)
bench-compare:
	scripts/bench-compare.sh

bench-smoke:
	$(GO) test -run '^$$' -bench . -benchtime 100x ./xmpp/... ./router/... ./im/... ./store/sqlite/... ./store/postgres/... ./server/ ./livehelp/ ./calendar/ ./conference/ ./s2s/

clean:
	rm -rf bin
