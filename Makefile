# The two README commands are `make test` and `make run`; the rest are for developers.
# Builds use Ninja and ccache; JOBS defaults to the number of cores.
JOBS ?= $(shell nproc)
CMAKE_FLAGS = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
# ccache keys on paths relative to the clone, so a second clone (or a worktree) reuses the
# first one's objects; debug builds do not hash the build directory either.
export CCACHE_BASEDIR ?= $(CURDIR)/..
export CCACHE_NOHASHDIR ?= 1

.PHONY: setup test build-test release server bench run deb format clean

setup:
	./scripts/setup.sh

# Debug build with ASan + UBSan; runs every test through ctest.
test: setup
	cmake -S . -B build/test $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DTALLY_SANITIZE=ON \
	  -DTALLY_TESTS=ON -DTALLY_BENCH=ON
	cmake --build build/test -j $(JOBS)
	cd build/test && ctest --output-on-failure -j $(JOBS)

# Optimized build of the server and the benchmarks (no tests, no fuzzers).
release: setup
	cmake -S . -B build/release $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release \
	  -DTALLY_TESTS=OFF -DTALLY_BENCH=ON
	cmake --build build/release -j $(JOBS)

# Optimized build of the `tally` target alone: what `make run` and `make deb` need, from the
# packages `setup.sh server` installs.
server:
	./scripts/setup.sh server
	cmake -S . -B build/release $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release \
	  -DTALLY_TESTS=OFF -DTALLY_BENCH=OFF
	cmake --build build/release -j $(JOBS) --target tally

bench: release
	./build/release/bench/ledger_bench
	./build/release/bench/pricing_bench
	./bench/http_bench.sh

# Starts the server on its built-in configuration (config/default.toml), data in ./tally-data;
# it prints where the API, the dashboard, the admin key and the data are. --demo seeds a new
# data directory with three accounts and three months of history, and prints a link that opens
# one of them in the dashboard. Ctrl-C stops it.
run: server
	./build/release/tally serve --data tally-data --demo

# A Debian package of the server (build/tally_<version>_<arch>.deb): the binary, a systemd unit,
# its system user, /etc/tally/tally.toml as a conffile (docs/install.md).
deb: server
	./scripts/build_deb.sh build/release/tally build

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf build
