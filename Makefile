# Every target's logic lives in scripts/ so it can run without make.
.PHONY: help run test gen check-gen build bench bench-smoke

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: ## run the all-in-one hub with embedded NATS and store (data in ./data)
	go run ./services/hub

test: ## vet, check generated code, run every module's tests with -race
	scripts/test.sh

gen: ## regenerate the Go code of proto/ and lint the contracts
	scripts/gen.sh

check-gen: ## fail when the generated code is out of date
	scripts/check-gen.sh

build: ## build the binaries into ./bin
	scripts/build.sh

bench: ## run the full benchmark (about 8 minutes on 2 cores); see docs/performance.md
	go run ./services/bench --json bench.json

bench-smoke: ## run the benchmark on tiny data (seconds)
	go run ./services/bench --quick
