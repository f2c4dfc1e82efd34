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

.PHONY: all deps configure build demo test clean

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
