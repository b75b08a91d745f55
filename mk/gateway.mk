# proxilion-gateway: the HTTP service.
GATEWAY := $(BUILD)/proxilion-gateway
PROGRAMS += $(GATEWAY)

# Rules are found next to the sources by default (RULES_DIR overrides).
$(BUILD)/obj/src/common/config.o: CPPFLAGS += -DPX_DEFAULT_RULES_DIR='"$(abspath rules)"'

$(GATEWAY): $(BUILD)/obj/src/gateway/main.o $(LIB)
	@$(if $(Q),echo "  LD    $@")
	$(Q)$(CC) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS)

# `make run`: install what is missing, build, start with the defaults
# (LISTEN_ADDR=0.0.0.0:8787, in-memory sessions, MODE=block); environment
# variables override as documented in the README.
.PHONY: run
run: deps $(GATEWAY)
	exec $(GATEWAY)
