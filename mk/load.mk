# proxilion-load: the native load generator (src/load/), its k6-compatible
# scenarios (loadtest/) and the throughput comparison against wrk (bench/).
PROGRAMS += $(BUILD)/proxilion-load

$(BUILD)/proxilion-load: $(BUILD)/obj/src/load/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS)

# `make bench-load`: nginx `return 200` driven by wrk and by proxilion-load in
# the same run; prints the throughput and latency ratios (bounded to ~40 s).
BENCHES += bench-load
.PHONY: bench-load loadtest-baseline
bench-load: $(BUILD)/proxilion-load
	@./bench/load_vs_wrk.sh $(abspath $(BUILD)/proxilion-load)

# Short baseline against an already running gateway (TARGET_URL, default
# http://localhost:8787); writes build/loadtest/summary.json.
TARGET_URL ?= http://localhost:8787
loadtest-baseline: $(BUILD)/proxilion-load
	@mkdir -p $(BUILD)/loadtest
	$(BUILD)/proxilion-load run -d 10s baseline -e TARGET_URL=$(TARGET_URL) \
	    --summary-export $(BUILD)/loadtest/summary.json
