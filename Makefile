# threadlab: every entry point. `make check` (the labs under every tool) and `make test` (the
# project's own tests) install what they need first (scripts/install-deps).
#
#   make check [LAB=NN] [SOLUTIONS=1] [FORMAT=text|json|tap|html] [VERBOSE=1] [J=N]
#   make report [LAB=NN] [SOLUTIONS=1]
#   make test
#   make analyze FILE=path/to/your.c
#   make bench [BENCH_ONLY=overhead,latency,check,stability,grade,growth]   (see README)
#   make all | deps | clean

BUILD ?= build
J ?= $(shell nproc 2>/dev/null || echo 2)
FORMAT ?= text

CC_HARNESS ?= gcc
TSAN_CC ?= clang
# Findings and paths live in fixed-size fields that truncate by design (see tl_strlcpy), so
# gcc's guesses about snprintf truncation are noise here; every other warning is an error.
WARN := -Wall -Wextra -Werror
HCFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Wno-format-truncation -g -O2 -pthread -Iharness/src -Iharness/threadcheck
TSANFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 -pthread -fsanitize=thread -Iharness/src -Iharness/threadcheck
DEPFLAGS = -MMD -MP
# The sandbox's seccomp filters are compiled with libseccomp (libseccomp-dev), tool XML is read
# with expat (libexpat1-dev).
HARNESS_LIBS := -lseccomp -lexpat

HARNESS_SRC := $(wildcard harness/src/*.c)
HARNESS_LIB_SRC := $(filter-out harness/src/main.c,$(HARNESS_SRC))
HARNESS_OBJ := $(patsubst harness/src/%.c,$(BUILD)/obj/%.o,$(HARNESS_SRC))
HARNESS_LIB_OBJ := $(filter-out $(BUILD)/obj/main.o,$(HARNESS_OBJ))
HARNESS_TSAN_OBJ := $(patsubst harness/src/%.c,$(BUILD)/obj-tsan/%.o,$(HARNESS_SRC))
HARNESS_TSAN_LIB_OBJ := $(filter-out $(BUILD)/obj-tsan/main.o,$(HARNESS_TSAN_OBJ))

TC_SRC := $(filter-out harness/threadcheck/tc_api.c,$(wildcard harness/threadcheck/*.c))
TC_LIB := $(BUILD)/lib/libthreadcheck.so

# Harness unit tests: each harness/tests/test_X.c links with the harness stages, except
# test_threadcheck, which links only threadcheck's test API.
UNIT_SRC := $(filter-out harness/tests/test_threadcheck.c,$(wildcard harness/tests/test_*.c))
UNIT_BIN := $(patsubst harness/tests/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_TSAN_BIN := $(patsubst harness/tests/%.c,$(BUILD)/tests-tsan/%,$(UNIT_SRC))
CHILD_SRC := $(wildcard harness/tests/children/*.c)
CHILD_BIN := $(patsubst harness/tests/children/%.c,$(BUILD)/tests/children/%,$(CHILD_SRC))
LAB_COMMON_SRC := $(filter-out labs/common/test_%.c,$(wildcard labs/common/*.c))

# Benchmark helpers (harness/bench/): each workload is also built with -fsanitize=thread, with the
# same compiler and flags otherwise, so the TSan ratio measures the sanitizer only.
BENCH_BIN := $(patsubst harness/bench/%.c,$(BUILD)/bench/bin/%,$(wildcard harness/bench/*.c))
BENCH_TSAN_BIN := $(patsubst %,$(BUILD)/bench/bin/%-tsan,bench_lock bench_compute bench_hang)

THREADLAB := $(BUILD)/bin/threadlab
THREADLAB_TSAN := $(BUILD)/bin/threadlab-tsan

.PHONY: all deps check test analyze report clean _check _test _analyze _report bench bench-smoke _bench _bench-smoke
.DEFAULT_GOAL := all

all: $(THREADLAB) $(TC_LIB)

deps:
	@scripts/install-deps

# deps first, then the real work, so `make -j` never compiles before the compilers exist.
check:
	@scripts/install-deps
	@$(MAKE) --no-print-directory _check

_check: all
	$(THREADLAB) check -j $(J) --format $(FORMAT) $(if $(LAB),--lab $(LAB)) $(if $(SOLUTIONS),--solutions) $(if $(VERBOSE),--verbose)

# --validators: the report and CI-template checks of `make test` need their npm packages.
test:
	@scripts/install-deps --validators
	@$(MAKE) --no-print-directory _test

_test: all $(THREADLAB_TSAN) $(UNIT_BIN) $(UNIT_TSAN_BIN) $(BUILD)/tests/test_threadcheck $(CHILD_BIN) \
       $(BUILD)/tests/test_chan $(BUILD)/tests-tsan/test_chan $(BENCH_BIN) $(BENCH_TSAN_BIN)
	@scripts/run-tests $(BUILD)

analyze:
	@scripts/install-deps
	@$(MAKE) --no-print-directory _analyze

_analyze: all
	@test -n "$(FILE)" || { echo "usage: make analyze FILE=path/to/file.c" >&2; exit 2; }
	$(THREADLAB) analyze -j $(J) --format $(FORMAT) $(FILE)

# The same run as `make check`, as one self-contained page: build/report/index.html.
report:
	@scripts/install-deps
	@$(MAKE) --no-print-directory _report

_report: all
	@mkdir -p $(BUILD)/report
	@# Exit status 1 only means the labs still have their bugs: that is what the page shows.
	$(THREADLAB) check -j $(J) --format html --out $(BUILD)/report/index.html $(if $(LAB),--lab $(LAB)) $(if $(SOLUTIONS),--solutions) || test $$? -eq 1
	@echo "report: $(BUILD)/report/index.html"

# Benchmarks (not part of `make check`/`make test`): build/bench/results.json and a Markdown table.
bench:
	@scripts/install-deps
	@$(MAKE) --no-print-directory _bench

_bench: all $(BENCH_BIN) $(BENCH_TSAN_BIN)
	scripts/bench --build $(BUILD)

# The seconds-long version that `make test` runs: the machinery works, the JSON is well-formed.
bench-smoke:
	@scripts/install-deps
	@$(MAKE) --no-print-directory _bench-smoke

_bench-smoke: all $(BENCH_BIN) $(BENCH_TSAN_BIN)
	scripts/bench --build $(BUILD) --smoke

clean:
	rm -rf $(BUILD)

# The runner, plain and TSan-instrumented.
$(THREADLAB): $(HARNESS_OBJ)
	@mkdir -p $(@D)
	$(CC_HARNESS) $(HCFLAGS) -o $@ $^ $(HARNESS_LIBS)

$(THREADLAB_TSAN): $(HARNESS_TSAN_OBJ)
	@mkdir -p $(@D)
	$(TSAN_CC) $(TSANFLAGS) -o $@ $^ $(HARNESS_LIBS)

$(BUILD)/obj/%.o: harness/src/%.c
	@mkdir -p $(@D)
	$(CC_HARNESS) $(HCFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/obj-tsan/%.o: harness/src/%.c
	@mkdir -p $(@D)
	$(TSAN_CC) $(TSANFLAGS) $(DEPFLAGS) -c -o $@ $<

# threadcheck: the LD_PRELOAD library.
$(TC_LIB): $(TC_SRC) $(wildcard harness/threadcheck/*.h)
	@mkdir -p $(@D)
	$(CC_HARNESS) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -fPIC -shared -pthread -o $@ $(TC_SRC) -ldl

# Tests.
$(BUILD)/tests/test_%: harness/tests/test_%.c $(HARNESS_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC_HARNESS) $(HCFLAGS) $(DEPFLAGS) -o $@ $< $(HARNESS_LIB_OBJ) -lcmocka $(HARNESS_LIBS)

$(BUILD)/tests-tsan/test_%: harness/tests/test_%.c $(HARNESS_TSAN_LIB_OBJ)
	@mkdir -p $(@D)
	$(TSAN_CC) $(TSANFLAGS) $(DEPFLAGS) -o $@ $< $(HARNESS_TSAN_LIB_OBJ) -lcmocka $(HARNESS_LIBS)

$(BUILD)/tests/test_threadcheck: harness/tests/test_threadcheck.c harness/threadcheck/tc_api.c harness/threadcheck/threadcheck.h harness/threadcheck/tc_proc.h
	@mkdir -p $(@D)
	$(CC_HARNESS) $(HCFLAGS) -o $@ harness/tests/test_threadcheck.c harness/threadcheck/tc_api.c -lcmocka -ldl

$(BUILD)/tests/children/%: harness/tests/children/%.c
	@mkdir -p $(@D)
	$(CC_HARNESS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -g -O1 -pthread -o $@ $<

$(BUILD)/tests/test_chan: labs/common/test_chan.c $(LAB_COMMON_SRC) $(wildcard labs/common/*.h)
	@mkdir -p $(@D)
	$(CC_HARNESS) -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 -pthread -Ilabs/common -o $@ labs/common/test_chan.c $(LAB_COMMON_SRC) -lcmocka

$(BUILD)/tests-tsan/test_chan: labs/common/test_chan.c $(LAB_COMMON_SRC) $(wildcard labs/common/*.h)
	@mkdir -p $(@D)
	$(TSAN_CC) -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 -pthread -fsanitize=thread -Ilabs/common -o $@ labs/common/test_chan.c $(LAB_COMMON_SRC) -lcmocka

$(BUILD)/bench/bin/%: harness/bench/%.c
	@mkdir -p $(@D)
	$(TSAN_CC) -std=c11 -D_GNU_SOURCE $(WARN) -g -O2 -pthread -o $@ $<

$(BUILD)/bench/bin/%-tsan: harness/bench/%.c
	@mkdir -p $(@D)
	$(TSAN_CC) -std=c11 -D_GNU_SOURCE $(WARN) -g -O2 -pthread -fsanitize=thread -o $@ $<

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj-tsan/*.d $(BUILD)/tests/*.d $(BUILD)/tests-tsan/*.d)
