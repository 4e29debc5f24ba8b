# jobctl front door: `make deps`, `make test`, `make demo`.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build test test-asan demo bench clean format lint

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

test: deps build
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure --timeout 600

# Unit tests and fuzz corpora under AddressSanitizer + UBSan (CI job 2).
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DJC_ASAN=ON -DJC_UBSAN=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && JC_TEST_TIMEOUT_MULTIPLIER=4 ctest -j$(JOBS) -L unit --output-on-failure

demo: deps build
	@sh scripts/demo.sh

bench: deps build
	@sh bench/run-all.sh

lint:
	/usr/bin/python3 tests/lint/checksrc.py .

format:
	find lib orchestrator tasks tests -name '*.[ch]' -not -path '*/node_modules/*' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
