# tandem build. GNU make. `make`, `make test`, `make test SANITIZE=1`, `make demo`, `make bench`.
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Iinclude -D_GNU_SOURCE -pthread
LDLIBS  += -pthread -lm -lpcre2-8 -lcrypt
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

.PHONY: all clean test unit demo bench
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BIN)/tandem: $(BUILD)/src/main.o $(LIB)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/tandem-app: $(APP_SRC:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/tandem-chaos: $(CHAOS_SRC:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/rules_test.h $(LIB)
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

demo:
	@sh tools/deps.sh demo
	@$(MAKE) --no-print-directory all
	@sh tools/demo.sh

bench:
	@sh tools/deps.sh bench
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh

clean:
	rm -rf build build-san bin

# every object's header dependencies, the tools' too (a changed header rebuilds them)
-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d $(APP_SRC:%.c=$(BUILD)/%.d) $(CHAOS_SRC:%.c=$(BUILD)/%.d)
