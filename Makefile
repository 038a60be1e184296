# tandem build. GNU make. `make`, `make test`, `make test SANITIZE=1`, `make demo`, `make bench`.
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Iinclude -D_GNU_SOURCE -pthread
LDLIBS  += -lssl -lcrypto -pthread -lm -lcares -lpcre2-8 -lcrypt   # OpenSSL 3 (libssl-dev): TLS on both sides; c-ares: DNS discovery; PCRE2 and crypt(3): the rules language
BUILD   ?= build
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD   := build-san
BIN     := build-san/bin
endif
BIN     ?= bin

# Library: everything under src/ except the entry point, shared by the binaries and unit tests.
LIB_SRC := $(sort $(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libtandem.a
APP_SRC := $(sort $(wildcard tools/app/*.c))
CHAOS_SRC := $(sort $(wildcard tools/chaos/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

PROGS := $(BIN)/tandem $(BIN)/tandem-app
ifneq ($(CHAOS_SRC),)
PROGS += $(BIN)/tandem-chaos
endif

.PHONY: all clean test unit demo bench print-ldlibs
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The dashboard's files (src/admin/www/) are embedded into the binary by
# tools/embed.py. The generated file is committed, so a build without Python
# still works; with Python, an edited page is embedded again at once.
src/admin/www_gen.c: $(wildcard src/admin/www/*) tools/embed.py
	@if command -v python3 >/dev/null 2>&1; then python3 tools/embed.py; \
	else echo "make: no python3: src/admin/www_gen.c kept as committed" >&2; touch $@; fi

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BIN)/tandem: $(BUILD)/src/main.o $(LIB)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# tandem-app talks to Redis with hiredis (Debian: libhiredis-dev); only it links it.
$(BIN)/tandem-app: $(APP_SRC:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ -lhiredis $(LDLIBS)

$(BIN)/tandem-chaos: $(CHAOS_SRC:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/rules_test.h tests/unit/cfg_test.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDLIBS)

unit: $(UNIT_BIN)

# The whole suite: unit tests, corpus, short fuzz, black-box tests. Ends with "N passed, N failed".
# Each entry point first installs what it needs (Debian packages, only when
# missing), so the README's commands work on a fresh machine.
test:
	@sh tools/deps.sh test
	@$(MAKE) --no-print-directory all unit
	@SANITIZE=$(SANITIZE) BUILD=$(BUILD) BIN=$(BIN) sh tests/run.sh

# `make demo`: three nodes behind tandem. `make demo LAB=000`: that lab of the seeds
# (contrib/labs/000/, doc/labs.md), started and held by tandem-chaos --demo.
demo:
	@sh tools/deps.sh demo $(if $(LAB),lab)
	@$(MAKE) --no-print-directory all
	@LAB='$(LAB)' sh tools/demo.sh

# the bench's open-loop load generator (bench/loadgen.c), not installed
$(BUILD)/bench/loadgen: bench/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

bench:
	@sh tools/deps.sh bench
	@$(MAKE) --no-print-directory all $(BUILD)/bench/loadgen
	@LOADGEN=$(BUILD)/bench/loadgen sh bench/run.sh
	@sh bench/tls.sh

# the link libraries, for scripts that build against the library (tests/fuzz/run.sh)
print-ldlibs:
	@echo $(LDLIBS)

clean:
	rm -rf build build-san bin

# every object's header dependencies, the tools' too (a changed header rebuilds them)
-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d $(APP_SRC:%.c=$(BUILD)/%.d) $(CHAOS_SRC:%.c=$(BUILD)/%.d)
