# Normaliser benchmark: ns per px_shell_normalize call (median and p99) over
# the tldr developer commands of the eval corpus, plus typical commands.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

NORM_BENCH := $(BUILD)/bench/normalize-bench

$(NORM_BENCH): bench/normalize_bench.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)

.PHONY: bench-normalize
bench-normalize: $(NORM_BENCH)
	@PX_EVAL_DIR=$(abspath ../shared/eval) $(NORM_BENCH)

BENCHES += bench-normalize
