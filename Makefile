# rmaplab - one plain GNU Makefile.
#
# Targets:
#   all (default)  build/rmaplab and build/librmaplab.a
#   test           build and run every test; last line "N passed, N failed"
#                  (also builds $(O)/mutant/rmaplab, a deliberately wrong model that
#                  the conformance tests must catch)
#   asan           the tests under AddressSanitizer + UBSan (LeakSanitizer on), in build/asan
#   tsan           `rmaplab stress` under ThreadSanitizer on every shipped scenario with
#                  thread sections (scripts/tsan), in build/tsan (or O=DIR when given);
#                  last line "tsan: N scenarios, N clean"
#   gallery        the seed race gallery: claims and windows of scenarios with claims, rmaplab run for the rest (the README's main job)
#   test-long      the long randomised differential run (10,000 sequences)
#   bench          `rmaplab bench`: the model against this machine's kernel, scale,
#                  memory, explorer speed; JSON and SVG in $(O)/bench.json, bench.svg
#                  (BENCHFLAGS=--quick for the one-minute version)
#   lint           cppcheck over the sources
#   clean          remove build/
#
# Knobs:
#   O=DIR          out-of-tree build directory (default build)
#   SANITIZE=LIST  -fsanitize=LIST for every object (used by asan)
#   CC, CFLAGS_EXTRA, TESTFLAGS (arguments for the test runner)
#   TSAN_RUNS=N    stress runs per scenario in `make tsan` (default 30)

O ?= build
CC ?= cc
SANITIZE ?=
TESTFLAGS ?=
TSAN_RUNS ?= 30
# make tsan builds in build/tsan, or in O when O is given on the command line
TSAN_O := $(if $(filter command line,$(origin O)),$(O),build/tsan)

CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -I. -MMD -MP \
	  -fno-strict-aliasing -pthread $(CFLAGS_EXTRA)
LDFLAGS := -pthread
LDLIBS := -lm
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all -O1
LDFLAGS += -fsanitize=$(SANITIZE)
endif

LIB_SRCS := $(sort $(wildcard lib/*.c mm/*.c explore/*.c lang/*.c spec/*.c conform/*.c bench/*.c))
CLI_SRCS := $(sort $(wildcard cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/*.c tests/unit/*.c tests/explore/*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(O)/%.o)

all: deps $(O)/rmaplab $(O)/librmaplab.a

# Install a compiler and make on a fresh Debian 12 machine if missing.
deps:
	@./scripts/deps

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(O)/librmaplab.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/rmaplab: $(CLI_OBJS) $(O)/librmaplab.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(O)/librmaplab.a $(LDLIBS)

$(O)/rltest: $(TEST_OBJS) $(O)/librmaplab.a
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJS) $(O)/librmaplab.a $(LDLIBS)

# The same sources with one behaviour flipped (mm/truncate.c): `rmaplab
# conform` must tell it from Linux.  A sub-make, so it has its own objects.
MUTANT_FLAGS := -DRMAPLAB_MUTANT_TRUNCATE_KEEPS_TAIL

mutant:
	@$(MAKE) --no-print-directory O=$(O)/mutant CFLAGS_EXTRA="$(CFLAGS_EXTRA) $(MUTANT_FLAGS)" \
		$(O)/mutant/rmaplab

test: deps $(O)/rltest $(O)/rmaplab mutant
	RMAPLAB=$(O)/rmaplab RMAPLAB_MUTANT=$(O)/mutant/rmaplab $(O)/rltest $(TESTFLAGS)

bench: deps $(O)/rmaplab
	$(O)/rmaplab bench $(BENCHFLAGS) --json $(O)/bench.json --svg $(O)/bench.svg

test-long: $(O)/rltest $(O)/rmaplab
	RMAPLAB=$(O)/rmaplab $(O)/rltest --filter differential --param sequences=10000 $(TESTFLAGS)

asan:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(MAKE) O=build/asan SANITIZE=address,undefined test

# ThreadSanitizer needs -O1 (the SANITIZE knob adds it) and cannot share objects
# with ASan: its own build directory.  Only `rmaplab stress` runs under it.
tsan: deps
	$(MAKE) O=$(TSAN_O) SANITIZE=thread $(TSAN_O)/rmaplab
	./scripts/tsan $(TSAN_O)/rmaplab $(TSAN_RUNS)

gallery: deps $(O)/rmaplab
	./scripts/gallery $(O)/rmaplab

lint:
	cppcheck --std=c11 --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--suppress=missingIncludeSystem -I. lib mm explore lang spec conform cli bench

clean:
	rm -rf build

.PHONY: all deps mutant test test-long bench asan tsan gallery lint clean

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_OBJS:.o=.d)
