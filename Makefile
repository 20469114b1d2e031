# The two README commands are `make test` and `make run`; the rest are for developers.
# Builds use Ninja and ccache; JOBS defaults to the number of cores.
JOBS ?= $(shell nproc)
CMAKE_FLAGS = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
# ccache keys on paths relative to the clone, so a second clone (or a worktree) reuses the
# first one's objects; debug builds do not hash the build directory either.
export CCACHE_BASEDIR ?= $(CURDIR)/..
export CCACHE_NOHASHDIR ?= 1

.PHONY: setup test build-test release bench run format clean

setup:
	./scripts/setup.sh

# Debug build with ASan + UBSan; runs every test through ctest.
test: setup
	cmake -S . -B build/test $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DTALLY_SANITIZE=ON
	cmake --build build/test -j $(JOBS)
	cd build/test && ctest --output-on-failure -j $(JOBS)

release: setup
	cmake -S . -B build/release $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release
	cmake --build build/release -j $(JOBS)

bench: release
	./build/release/bench/ledger_bench
	./build/release/bench/pricing_bench
	./bench/http_bench.sh

# Starts the server on its built-in configuration (config/default.toml), data in ./tally-data;
# it prints where the API, the dashboard, the admin key and the data are. --demo seeds a new
# data directory with three accounts and three months of history, and prints a link that opens
# one of them in the dashboard. Ctrl-C stops it.
run: release
	./build/release/tally serve --data tally-data --demo

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf build
