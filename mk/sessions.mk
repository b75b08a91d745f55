# Sessions: the Redis throughput benchmark, and the sanitizer suppressions
# the session tests (which start real gateways and stop them with SIGTERM)
# need until the gateway frees its H2O loops at exit.

BENCHES += bench-redis

# `make bench-redis`: /analyze with SESSION_STORE=redis (and memory) against
# nginx `return 200`, same box, same wrk run shape; prints the ratios.
.PHONY: bench-redis
bench-redis: deps $(GATEWAY)
	@PX_GATEWAY_BIN=$(abspath $(GATEWAY)) ./bench/redis_vs_nginx.sh

# Exported (rather than added to TEST_ENV, which the Makefile sets after
# including this file) so the test binary and every gateway it starts get it.
ifeq ($(SAN),1)
LSAN_OPTIONS ?= suppressions=$(abspath tests/support/lsan.supp):print_suppressions=0
export LSAN_OPTIONS
endif
