# threadlab: every entry point. `make check` (the labs under every tool) and `make test` (the
# project's own tests) install what they need first (scripts/install-deps).
#
#   make check [LAB=NN] [SOLUTIONS=1] [FORMAT=text|json|tap|html] [VERBOSE=1] [J=N]
#   make report [LAB=NN] [SOLUTIONS=1]
#   make test
#   make analyze FILE=path/to/your.c
#   make bench [BENCH_ONLY=overhead,latency,check,stability,grade,growth,explore,corpus,svcomp] [SVCOMP=DIR]
#   make all | deps | clean

BUILD ?= build
J ?= $(shell nproc 2>/dev/null || echo 2)
FORMAT ?= text

CC_HARNESS ?= gcc
TSAN_CC ?= clang
# The flags every C file of the project is built with, then each kind's own.
CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror
TSAN := -fsanitize=thread
HARNESS_INC := -Iharness/src -Iharness/threadcheck
# The runner. A path cut short names another file, so harness/src formats paths with
# tl_pathf (checked) and messages, which may be cut, with tl__errf: gcc's format-truncation
# warning stays on.
HCFLAGS := $(CSTD) $(WARN) -g -O2 -pthread $(HARNESS_INC)
TSANFLAGS := $(CSTD) $(WARN) -g -O1 -pthread $(TSAN) $(HARNESS_INC)
# The harness's tests format paths of their own scratch folders into fixed buffers, where a
# cut path fails the test rather than misleads it.
TEST_CFLAGS := $(HCFLAGS) -Wno-format-truncation
TC_CFLAGS := $(CSTD) $(WARN) -O2 -g -fPIC -shared -pthread
CHILD_CFLAGS := $(CSTD) -Wall -Wextra -g -O1 -pthread
LAB_CFLAGS := $(CSTD) $(WARN) -g -O1 -pthread -Ilabs/common
BENCH_CFLAGS := $(CSTD) $(WARN) -g -O2 -pthread
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

# The latent-bug corpus of `threadlab explore` (harness/tests/latent/, expect.txt): each
# program as it is, its correct twin (-DFIXED), and the twin under TSan for the bench's cost
# comparison; built with the TSan compiler throughout, so that ratio measures the sanitizer.
LATENT_SRC := $(wildcard harness/tests/latent/*.c)
LATENT_BIN := $(patsubst harness/tests/latent/%.c,$(BUILD)/latent/%,$(LATENT_SRC))
LATENT_ALL := $(LATENT_BIN) $(addsuffix _ok,$(LATENT_BIN)) $(addsuffix _ok-tsan,$(LATENT_BIN))

# Benchmark helpers (harness/bench/): each workload is also built with -fsanitize=thread, with the
# same compiler and flags otherwise, so the TSan ratio measures the sanitizer only.
BENCH_BIN := $(patsubst harness/bench/%.c,$(BUILD)/bench/bin/%,$(wildcard harness/bench/*.c))
BENCH_TSAN_BIN := $(patsubst %,$(BUILD)/bench/bin/%-tsan,bench_lock bench_compute bench_hang)

# The labs whose lab.decl declares explore: N (make report shows their interleavings).
EXPLORE_LABS := $(notdir $(patsubst %/lab.decl,%,$(shell grep -l '^explore:' labs/*/lab.decl)))

THREADLAB := $(BUILD)/bin/threadlab
THREADLAB_TSAN := $(BUILD)/bin/threadlab-tsan

.PHONY: all deps check test analyze report clean _check _test _analyze _report bench bench-smoke _bench _bench-smoke
.DEFAULT_GOAL := all

all: $(THREADLAB) $(TC_LIB)

deps:
	@scripts/install-deps

# The entry points install what they need first (scripts/install-deps, with the options
# DEPS_OPTS_<entry> gives), then make _<entry>, so that `make -j` never compiles before the
# compilers exist.
ENTRY_POINTS := check test analyze report bench bench-smoke
$(ENTRY_POINTS):
	@scripts/install-deps $(DEPS_OPTS_$@)
	@$(MAKE) --no-print-directory _$@

_check: all
	@$(THREADLAB) check -j $(J) --format $(FORMAT) $(if $(LAB),--lab $(LAB)) $(if $(SOLUTIONS),--solutions) $(if $(VERBOSE),--verbose)

# --validators: the report and CI-template checks of `make test` need their npm packages.
DEPS_OPTS_test := --validators

_test: all $(THREADLAB_TSAN) $(UNIT_BIN) $(UNIT_TSAN_BIN) $(BUILD)/tests/test_threadcheck $(CHILD_BIN) \
       $(BUILD)/tests/test_chan $(BUILD)/tests-tsan/test_chan $(BENCH_BIN) $(BENCH_TSAN_BIN) $(LATENT_ALL)
	@scripts/run-tests $(BUILD)

_analyze: all
	@test -n "$(FILE)" || { echo "usage: make analyze FILE=path/to/file.c" >&2; exit 2; }
	$(THREADLAB) analyze -j $(J) --format $(FORMAT) $(FILE)

# The same run as `make check`, as one self-contained page: build/report/index.html.
_report: all
	@mkdir -p $(BUILD)/report
	@# Exit status 1 only means the labs still have their bugs: that is what the page shows.
	$(THREADLAB) check -j $(J) --format html --out $(BUILD)/report/index.html $(if $(LAB),--lab $(LAB)) $(if $(SOLUTIONS),--solutions) || test $$? -eq 1
	@# Beside it, for each lab that declares explore: N, the interleaving that breaks its handout:
	@# threadlab explore on the lab folder (built as grading builds it), one page a lab.
	@test -n "$(SOLUTIONS)" || for lab in $(EXPLORE_LABS); do \
	  case ",$(LAB)" in ",") ;; *",$${lab%%-*}"*) ;; *) continue ;; esac; \
	  $(THREADLAB) explore --format html --out $(BUILD)/report/explore-$$lab.html labs/$$lab || test $$? -eq 1 || exit 1; \
	  echo "interleaving: $(BUILD)/report/explore-$$lab.html"; \
	done
	@echo "report: $(BUILD)/report/index.html"

# Benchmarks (not part of `make check`/`make test`): build/bench/results.json and a Markdown table.
_bench: all $(BENCH_BIN) $(BENCH_TSAN_BIN) $(LATENT_ALL)
	scripts/bench --build $(BUILD) $(if $(SVCOMP),--svcomp $(SVCOMP))

# The seconds-long version that `make test` runs: the machinery works, the JSON is well-formed.
_bench-smoke: all $(BENCH_BIN) $(BENCH_TSAN_BIN) $(LATENT_ALL)
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
	$(CC_HARNESS) $(TC_CFLAGS) -o $@ $(TC_SRC) -ldl

# Tests.
$(BUILD)/tests/test_%: harness/tests/test_%.c $(HARNESS_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC_HARNESS) $(TEST_CFLAGS) $(DEPFLAGS) -o $@ $< $(HARNESS_LIB_OBJ) -lcmocka $(HARNESS_LIBS)

$(BUILD)/tests-tsan/test_%: harness/tests/test_%.c $(HARNESS_TSAN_LIB_OBJ)
	@mkdir -p $(@D)
	$(TSAN_CC) $(TSANFLAGS) $(DEPFLAGS) -o $@ $< $(HARNESS_TSAN_LIB_OBJ) -lcmocka $(HARNESS_LIBS)

$(BUILD)/tests/test_threadcheck: harness/tests/test_threadcheck.c harness/threadcheck/tc_api.c harness/threadcheck/threadcheck.h harness/threadcheck/tc_proc.h
	@mkdir -p $(@D)
	$(CC_HARNESS) $(TEST_CFLAGS) -o $@ harness/tests/test_threadcheck.c harness/threadcheck/tc_api.c -lcmocka -ldl

$(BUILD)/tests/children/%: harness/tests/children/%.c
	@mkdir -p $(@D)
	$(CC_HARNESS) $(CHILD_CFLAGS) -o $@ $<

$(BUILD)/tests/test_chan: labs/common/test_chan.c $(LAB_COMMON_SRC) $(wildcard labs/common/*.h)
	@mkdir -p $(@D)
	$(CC_HARNESS) $(LAB_CFLAGS) -o $@ labs/common/test_chan.c $(LAB_COMMON_SRC) -lcmocka

$(BUILD)/tests-tsan/test_chan: labs/common/test_chan.c $(LAB_COMMON_SRC) $(wildcard labs/common/*.h)
	@mkdir -p $(@D)
	$(TSAN_CC) $(LAB_CFLAGS) $(TSAN) -o $@ labs/common/test_chan.c $(LAB_COMMON_SRC) -lcmocka

$(BUILD)/bench/bin/%: harness/bench/%.c
	@mkdir -p $(@D)
	$(TSAN_CC) $(BENCH_CFLAGS) -o $@ $<

$(BUILD)/bench/bin/%-tsan: harness/bench/%.c
	@mkdir -p $(@D)
	$(TSAN_CC) $(BENCH_CFLAGS) $(TSAN) -o $@ $<

$(BUILD)/latent/%: harness/tests/latent/%.c harness/tests/latent/latent.h
	@mkdir -p $(@D)
	$(TSAN_CC) $(CHILD_CFLAGS) -o $@ $<

$(BUILD)/latent/%_ok: harness/tests/latent/%.c harness/tests/latent/latent.h
	@mkdir -p $(@D)
	$(TSAN_CC) $(CHILD_CFLAGS) -DFIXED -o $@ $<

$(BUILD)/latent/%_ok-tsan: harness/tests/latent/%.c harness/tests/latent/latent.h
	@mkdir -p $(@D)
	$(TSAN_CC) $(CHILD_CFLAGS) $(TSAN) -DFIXED -o $@ $<

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj-tsan/*.d $(BUILD)/tests/*.d $(BUILD)/tests-tsan/*.d)
