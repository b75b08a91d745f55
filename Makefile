# Proxilion build.  `make` builds every program into $(BUILD)/; `make test`
# builds and runs the whole suite; `make test-sanitize` runs it under ASan+UBSan.
#
# Layout: every src/**/*.c except the per-program main.c files goes into one
# static library, so tests link exactly the code the programs run.  Each
# program (gateway, load generator, ...) declares itself in mk/<name>.mk.

BUILD   ?= build
SAN     ?= 0
CC      ?= gcc
PYTHON  ?= python3

PKGS      := libh2o-evloop libcjson yaml-0.1 hiredis libhs openssl
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-align \
        -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wundef \
        -Wvla -Wwrite-strings -Wno-missing-field-initializers

OPT ?= -O2
ifeq ($(SAN),1)
OPT    := -O1
SANFL  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif

CPPFLAGS += -Isrc -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -MMD -MP
CFLAGS   += -std=c11 $(OPT) -g $(WARN) -pthread $(SANFL) $(PKG_CFLAGS)
LDFLAGS  += -pthread $(SANFL)
LDLIBS   += $(PKG_LIBS) -lhttp_parser -lm

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
CPPFLAGS += -DPX_VERSION='"$(VERSION)"' -DPX_GIT_REV='"$(GIT_REV)"'

MAINS    := $(wildcard src/*/main.c)
LIB_SRCS := $(filter-out $(MAINS),$(shell find src -name '*.c' | sort))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libproxilion.a

TEST_SRCS := $(shell find tests -name '*.c' | sort)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BIN  := $(BUILD)/tests/proxilion-tests

# Fragments append to PROGRAMS (binaries `make` builds) and BENCHES (targets
# `make bench` runs, each printing a ratio against a reference run).
# `all` stays the default goal although the fragments define targets first.
.DEFAULT_GOAL := all
PROGRAMS :=
BENCHES  :=
include $(sort $(wildcard mk/*.mk))

.PHONY: all deps run test test-sanitize bench clean
all: $(PROGRAMS)

bench: $(BENCHES)

deps:
	@./scripts/install-deps.sh

# Quiet by default; `make V=1` shows full command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC    $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/obj/tests/%.o: CFLAGS += $(shell pkg-config --cflags criterion) -Itests
$(TEST_BIN): $(TEST_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD    $@")
	$(Q)$(CC) $(LDFLAGS) $(TEST_OBJS) $(LIB) -o $@ $(shell pkg-config --libs criterion) $(LDLIBS)

# The suite runs the real programs over loopback; it finds them (and the rule
# files, and the optional eval corpora) through these variables.
TEST_ENV = PX_GATEWAY_BIN=$(abspath $(BUILD)/proxilion-gateway) \
           PX_LOAD_BIN=$(abspath $(BUILD)/proxilion-load) \
           PX_RULES_DIR=$(abspath rules) \
           PX_EVAL_DIR=$(abspath ../shared/eval) \
           PX_SRC_DIR=$(abspath .) \
           XDG_CACHE_HOME=$(abspath $(BUILD))/cache

ifeq ($(SAN),1)
TEST_ENV += ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0
endif

CRITERION_FLAGS ?= --jobs 2

# The gateway checks the rule files first: that compiles the catalogue once
# into the rule cache (under $(BUILD)/cache, through XDG_CACHE_HOME), which
# every gateway and engine the tests start then loads in milliseconds
# instead of compiling it again.
test: deps $(PROGRAMS) $(TEST_BIN)
	@$(TEST_ENV) $(GATEWAY) --check-rules --log-level warn >/dev/null 2>&1 || true
	@$(TEST_ENV) $(TEST_BIN) $(CRITERION_FLAGS)

SHELL := /bin/bash

test-sanitize: deps
	@$(MAKE) --no-print-directory SAN=1 BUILD=build/san test

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
