# Sessions: the Redis throughput benchmark.

BENCHES += bench-redis

# `make bench-redis`: /analyze with SESSION_STORE=redis (and memory) against
# nginx `return 200`, same box, same wrk run shape; prints the ratios.
.PHONY: bench-redis
bench-redis: deps $(GATEWAY)
	@PX_GATEWAY_BIN=$(abspath $(GATEWAY)) ./bench/redis_vs_nginx.sh
