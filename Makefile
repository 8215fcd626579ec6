# MMGraphBench: one command per job. See README.md.
SWIFT        ?= swift
## TARGET_CPU: empty (the default) builds portable x86-64 code that runs on every
## node of a mixed cluster; TARGET_CPU=native (or a CPU name such as
## sapphirerapids) compiles Swift and C for that CPU. Measured 4-11% faster on
## an AMD EPYC and no clear gain on an Intel Xeon (docs/performance.md, "The CPU and its BLAS
## kernel"); the BLAS kernel, which is chosen at run time, matters far more.
TARGET_CPU   ?=
CPU_FLAGS     = $(if $(TARGET_CPU),-Xswiftc -target-cpu -Xswiftc $(TARGET_CPU) -Xcc -march=$(TARGET_CPU))
RELEASE_TEST  = $(SWIFT) test -c release -Xswiftc -enable-testing $(CPU_FLAGS)
APT_PACKAGES  = libopenblas-dev liblapacke-dev libssl-dev pkg-config
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

BENCH         = .build/release/bench
## JOBS: training processes side by side for `make` and `make tables` (one
## worker thread each; `bench run --jobs`): the machine's cores, at most 8 (each process
## holds its datasets, about 0.3 GB for the tables' largest).
JOBS         ?= $(shell n=$$(nproc); [ $$n -gt 8 ] && n=8; echo $$n)

.PHONY: all main reference bench build deps test test-second-kernel test-slurm test-example benchmarks tables tables-render verify-data clean

## all (the default): the main job, see `main`.
all: main

## bench: the same as main.
bench: main

## main: run the default experiment (Configs/default.json) on the embedded
## TikTok data: trains what is not stored yet into Results/tiktok-default/
## (ignored by git), then compares its runs with the committed reference,
## Results/reference/tiktok-default/, in one line.
main: build verify-data
	$(BENCH) run --jobs $(JOBS) Configs/default.json
	@$(BENCH) compare Results/tiktok-default --reference Results/reference/tiktok-default

## reference: train the main job's reference results afresh into
## Results/reference/tiktok-default/ (commit them with the machine they name).
reference: build verify-data
	rm -rf Results/reference/tiktok-default
	$(BENCH) run Configs/default.json --results Results/reference

## tables: run every experiment under Configs/tables/ (the papers' tables) and
## write its tables and figures; runs already in Results/paper-tables/runs are
## reused. From scratch: rm -rf Results/paper-tables, then make tables.
tables: build verify-data
	@for config in Configs/tables/*.json; do \
	  echo "== $$config"; $(BENCH) run --brief --jobs $(JOBS) $$config || exit $$?; \
	done

## tables-render: re-render every table and figure from the stored runs, training nothing.
tables-render: build
	@for config in Configs/tables/*.json; do \
	  $(BENCH) table $$config > /dev/null || exit $$?; echo "rendered $$config"; \
	done

## deps: install OpenBLAS (cblas) and LAPACKE with apt-get when they are missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## build: release build of bench and what it needs (the benchmark suites build
## only for `make benchmarks`).
build: deps
	$(SWIFT) build -c release --product bench $(CPU_FLAGS)

## test: every test, in release (numeric Swift is 10-100x slower in debug). The
## build includes bench, which some tests run as a process.
test: deps verify-data
	$(SWIFT) build -c release -Xswiftc -enable-testing --build-tests $(CPU_FLAGS)
	$(RELEASE_TEST) --skip-build

## test-second-kernel: the model tests again under a second OpenBLAS kernel, one
## instruction-set level below the one in use (Haswell on an AVX-512 CPU), which
## rounds differently: no learning test may pass on one kernel only. Skipped,
## with a note, where the environment pins OPENBLAS_CORETYPE.
test-second-kernel: deps verify-data
	$(SWIFT) build -c release -Xswiftc -enable-testing --build-tests $(CPU_FLAGS)
	@if [ -n "$${OPENBLAS_CORETYPE:-}" ]; then \
	  echo "test-second-kernel: skipped: the environment pins OPENBLAS_CORETYPE=$$OPENBLAS_CORETYPE"; exit 0; \
	fi; \
	kernel=$$($(BENCH) env --second-kernel); \
	if [ -z "$$kernel" ]; then echo "test-second-kernel: skipped: no second kernel below $$($(BENCH) env | sed -n 's/^blas kernel: *//p')"; exit 0; fi; \
	echo "test-second-kernel: the model tests under OPENBLAS_CORETYPE=$$kernel"; \
	OPENBLAS_CORETYPE=$$kernel $(RELEASE_TEST) --skip-build --filter ModelTests

## test-slurm: run Configs/slurm-grid.json as Slurm job arrays on a single-node
## Slurm started for the test (installs slurm-wlm and munge when missing; needs
## root), and check it against one process. See Tests/Slurm/test-slurm.sh.
test-slurm: deps verify-data
	$(SWIFT) build -c release -Xswiftc -enable-testing --product bench $(CPU_FLAGS)
	bash Tests/Slurm/test-slurm.sh $(BENCH)

## test-example: build Examples/BPRMF, a model in a package of its own that
## depends on this one, and run its tests (they train it through the runner).
test-example: deps verify-data
	cd Examples/BPRMF && $(SWIFT) test -c release $(CPU_FLAGS)

## benchmarks: the package-benchmark suites, a package of their own in Benchmarks/
## that depends on this one, so that only this target fetches and builds them
## (release; see docs/performance.md, "Benchmarks").
benchmarks: deps verify-data
	cd Benchmarks && $(SWIFT) package benchmark

## verify-data: check the embedded datasets against their checksums.
verify-data:
	cd Data && sha256sum --check --quiet SHA256SUMS

clean:
	rm -rf .build Examples/BPRMF/.build Benchmarks/.build
