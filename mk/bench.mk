# Benchmarks: each prints a ratio against a reference measured in the same run.
BENCH_BINS := $(BUILD)/bench/engine_bench

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD    $@")
	$(Q)$(CC) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS)

.PHONY: bench-gateway bench-engine
BENCHES += bench-gateway bench-engine

bench-gateway: deps $(BUILD)/proxilion-gateway
	@PX_GATEWAY_BIN=$(BUILD)/proxilion-gateway bench/gateway_vs_nginx.sh 5

bench-engine: deps $(BUILD)/bench/engine_bench
	@bench/engine.sh $(BUILD)/bench/engine_bench $(abspath ../shared/eval)
