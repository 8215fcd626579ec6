# MMGraphBench: one command per job. See README.md.
SWIFT        ?= swift
RELEASE_TEST  = $(SWIFT) test -c release -Xswiftc -enable-testing
APT_PACKAGES  = libopenblas-dev liblapacke-dev pkg-config
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

BENCH         = .build/release/bench
SEED         ?= 2024

.PHONY: all main build deps test bench verify-data clean

## all (the default): the main job, see `main`.
all: main

## main: train LightGCN and VBPR on the embedded TikTok data to early stop
## (validation Recall@20, patience 20) and write each run to Results/tiktok/.
main: build verify-data
	@mkdir -p Results/tiktok
	$(BENCH) train --dataset tiktok --model LightGCN --seed $(SEED) --output Results/tiktok/LightGCN-seed$(SEED).json
	$(BENCH) train --dataset tiktok --model VBPR --seed $(SEED) --output Results/tiktok/VBPR-seed$(SEED).json
	@echo "run results: Results/tiktok/LightGCN-seed$(SEED).json, Results/tiktok/VBPR-seed$(SEED).json"

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

## build: release build of every target.
build: deps
	$(SWIFT) build -c release

## test: every test, in release (numeric Swift is 10-100x slower in debug).
test: deps verify-data
	$(RELEASE_TEST)

## bench: the package-benchmark suites in Benchmarks/ (release).
bench: deps
	$(SWIFT) package benchmark

## verify-data: check the embedded datasets against their checksums.
verify-data:
	cd Data && sha256sum --check --quiet SHA256SUMS

clean:
	rm -rf .build
