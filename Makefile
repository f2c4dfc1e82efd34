# solidanode quick start:
#   make demo   install missing Debian packages, build (Release), run the demo
#               case on 2 MPI ranks and print where the ParaView file is
#   make test   install missing Debian packages, build, run the whole test
#               suite (serial tests and MPI tests on 1 and 2 ranks)
# Variables: BUILD (build directory), NP (ranks for the demo), JOBS.

BUILD ?= build
NP    ?= 2
JOBS  ?= $(shell nproc)

MAKEFLAGS += --no-print-directory

.PHONY: all deps configure build demo test clean fuzz sanitize

# Robustness: libFuzzer targets for the input readers, built with
# clang in $(FUZZ_BUILD) and run for FUZZ_SECONDS each (see fuzz/CMakeLists.txt);
# and the whole test suite built with ASan/UBSan in $(ASAN_BUILD).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
ASAN_BUILD   ?= build-asan

fuzz:
	@scripts/install_deps.sh --fuzz
	@CC=clang-14 CXX=clang++-14 cmake -S fuzz -B $(FUZZ_BUILD) > /dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

sanitize: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Release -DSOLIDANODE_SANITIZE=ON > /dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j $(JOBS) -LE slurm

all: build

deps:
	@scripts/install_deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > /dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	cluster/mpirun.sh -np $(NP) $(BUILD)/solidanode run inputs/demo.yaml --overwrite
	@echo "Demo finished: open results/demo/solution.pvd in ParaView (table: results/demo/summary.csv)"

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
