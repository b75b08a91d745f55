# Fuzzers.  Every fuzz/<name>_fuzz.c becomes $(BUILD)/fuzz/<name>, built with
# clang and libFuzzer + ASan + UBSan directly from the sources listed in
# FUZZ_<name>_SRCS (extra libraries in FUZZ_<name>_LIBS).  To add a target,
# add fuzz/<name>_fuzz.c, fuzz/corpus/<name>/ seeds and FUZZ_<name>_SRCS in
# any mk/*.mk fragment (and optionally a libFuzzer dictionary fuzz/<name>.dict).
#
#   make fuzz                     build every fuzzer
#   make fuzz-smoke               run each for FUZZ_SECONDS over its seeds
#
# Not part of `make test`: fuzzing is open-ended and needs clang.

# `make` alone must keep building the programs, not the first rule below.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS  := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer -Isrc -D_GNU_SOURCE -pthread
FUZZ_NAMES   := $(patsubst fuzz/%_fuzz.c,%,$(wildcard fuzz/*_fuzz.c))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)

FUZZ_CFLAGS  += $(shell pkg-config --cflags libcjson libhs yaml-0.1 2>/dev/null)

FUZZ_normalize_SRCS := src/common/arena.c src/common/buf.c $(sort $(wildcard src/engine/normalize/*.c))

# The request parser and the whole engine behind it (rules from rules/).
FUZZ_request_SRCS := src/common/arena.c src/common/buf.c src/common/fmt.c src/common/log.c src/api/request.c src/api/toolmap.c \
                     $(sort $(shell find src/engine -name '*.c'))
FUZZ_request_LIBS := $(shell pkg-config --libs libcjson libhs yaml-0.1 libcrypto 2>/dev/null) -lm

# What the gateway reads back from Redis (the session string, the script's values).
FUZZ_redis_reply_SRCS := src/common/buf.c src/session/redis_proto.c
FUZZ_redis_reply_LIBS := -lhiredis -lm

# Second expansion lets FUZZ_<name>_SRCS be defined in a fragment read later.
.SECONDEXPANSION:
$(BUILD)/fuzz/%: fuzz/%_fuzz.c $$(FUZZ_$$*_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_$*_SRCS) -o $@ $(FUZZ_$*_LIBS)

.PHONY: fuzz fuzz-smoke
fuzz: $(FUZZ_BINS)

# New inputs go to $(BUILD)/fuzz/corpus-<name>; the committed seeds stay as they are.
fuzz-smoke: $(FUZZ_BINS)
	@set -e; for n in $(FUZZ_NAMES); do \
	    mkdir -p $(BUILD)/fuzz/corpus-$$n; \
	    dict=""; if [ -f fuzz/$$n.dict ]; then dict="-dict=fuzz/$$n.dict"; fi; \
	    echo "fuzz-smoke: $$n for $(FUZZ_SECONDS)s"; \
	    $(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 $$dict \
	        -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/$$n- \
	        $(BUILD)/fuzz/corpus-$$n fuzz/corpus/$$n; \
	done
