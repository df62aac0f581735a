# cryo: checkpoint/restore for Linux process trees.
#   make               build build/cryo and the libraries under build/
#   make ASAN=1        the same with AddressSanitizer and UBSan
#   make test          set up, build, run every test (see README.md)
#   make demo          set up, build, checkpoint a real program
#   make lint          clang-format check and cppcheck
#   make fuzz          libFuzzer over the image reader (FUZZ_TIME seconds)
#   make install PREFIX=/usr/local [DESTDIR=...]

CC      ?= gcc
BUILD   ?= build
PREFIX  ?= /usr/local
FUZZ_TIME ?= 60

CFLAGS_BASE := -std=gnu11 -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers \
	-D_GNU_SOURCE -Iinclude -fPIC
ifeq ($(ASAN),1)
CFLAGS_OPT := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS_SAN := -fsanitize=address,undefined
else
CFLAGS_OPT := -O2
endif
ALL_CFLAGS := $(CFLAGS_BASE) $(CFLAGS_OPT) $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS_SAN) $(LDFLAGS)

IMG_SRCS  := $(wildcard lib/img/*.c)
IMG_OBJS  := $(IMG_SRCS:%.c=$(BUILD)/%.o)
INJ_SRCS  := $(wildcard lib/inject/*.c lib/inject/arch/x86_64/*.c)
INJ_OBJS  := $(INJ_SRCS:%.c=$(BUILD)/%.o)
CRYO_SRCS := $(wildcard src/*.c src/cli/*.c src/res/*.c)
CRYO_OBJS := $(CRYO_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)
# Tools the tests use (built, never run as tests themselves).
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:%.c=$(BUILD)/%)
CRLIB_SRCS := $(wildcard tests/cr/lib/*.c)
CRLIB_OBJS := $(CRLIB_SRCS:%.c=$(BUILD)/%.o)
CR_SRCS   := $(wildcard tests/cr/*.c)
CR_BINS   := $(CR_SRCS:%.c=$(BUILD)/%)
INJT_SRCS := $(wildcard tests/inject/*.c)
INJT_BINS := $(INJT_SRCS:%.c=$(BUILD)/%)
VICT_SRCS := $(wildcard tests/inject/victims/*.c)
VICT_BINS := $(VICT_SRCS:%.c=$(BUILD)/%)
APP_SRCS  := $(wildcard tests/apps/*.c)
APP_BINS  := $(APP_SRCS:%.c=$(BUILD)/%)

FUZZ_BIN  := $(BUILD)/fuzz/img_reader
LIBIMG_A  := $(BUILD)/libcryo-img.a
LIBIMG_SO := $(BUILD)/libcryo-img.so
LIBINJ_A  := $(BUILD)/libcryo-inject.a
LIBINJ_SO := $(BUILD)/libcryo-inject.so
CRYO      := $(BUILD)/cryo

.PHONY: all tests test demo lint fuzz fuzz-build install clean setup

all: $(CRYO) $(LIBIMG_A) $(LIBIMG_SO) $(LIBINJ_A) $(LIBINJ_SO)

# Rebuild everything when the flags change (ASAN=1 and back).
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || \
		echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@
FORCE:

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBIMG_A): $(IMG_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(LIBIMG_SO): $(IMG_OBJS)
	$(CC) -shared -Wl,-soname,libcryo-img.so.1 $(ALL_LDFLAGS) -o $@ $^

$(LIBINJ_A): $(INJ_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(LIBINJ_SO): $(INJ_OBJS)
	$(CC) -shared -Wl,-soname,libcryo-inject.so.1 $(ALL_LDFLAGS) -o $@ $^

$(CRYO): $(CRYO_OBJS) $(LIBIMG_A) $(LIBINJ_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CRYO_OBJS) $(LIBIMG_A) $(LIBINJ_A) -lpthread

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBIMG_A) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib/img -MMD -MP $< -o $@ $(LIBIMG_A) $(ALL_LDFLAGS)

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIBIMG_A) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $< -o $@ $(LIBIMG_A) $(ALL_LDFLAGS)

$(BUILD)/tests/cr/%: tests/cr/%.c $(CRLIB_OBJS) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/cr/lib -MMD -MP $< -o $@ $(CRLIB_OBJS) -lpthread $(ALL_LDFLAGS)

# Injection tests (spies) link the engine; victims are plain programs.
$(BUILD)/tests/inject/victims/%: tests/inject/victims/%.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $< -o $@ -lpthread $(ALL_LDFLAGS)

$(BUILD)/tests/inject/%: tests/inject/%.c $(LIBINJ_A) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib/inject -MMD -MP $< -o $@ $(LIBINJ_A) -lpthread $(ALL_LDFLAGS)

# Example programs of the library docs: built so that they stay true.
EXAMPLE_SRCS := $(wildcard docs/examples/*.c)
EXAMPLE_BINS := $(EXAMPLE_SRCS:docs/examples/%.c=$(BUILD)/examples/%)
$(BUILD)/examples/%: docs/examples/%.c $(LIBINJ_A) $(LIBIMG_A) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $< -o $@ $(LIBINJ_A) $(LIBIMG_A) $(ALL_LDFLAGS)

$(BUILD)/tests/apps/%: tests/apps/%.c $(CRLIB_OBJS) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/cr/lib -MMD -MP $< -o $@ $(CRLIB_OBJS) -lpthread $(ALL_LDFLAGS)

tests: all $(UNIT_BINS) $(TOOL_BINS) $(CR_BINS) $(APP_BINS) $(FUZZ_BIN) $(INJT_BINS) $(VICT_BINS) \
	$(EXAMPLE_BINS)

# The test library's objects are not intermediates: keep them.
.SECONDARY: $(CRLIB_OBJS)

setup:
	@bash scripts/setup.sh

test: setup
	@$(MAKE) --no-print-directory tests
	@BUILD=$(BUILD) bash tests/run.sh

demo: setup
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash scripts/demo.sh

LINT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find include lib src tests -name '*.[ch]')
lint:
	@echo "clang-format: checking $(words $(LINT_SRCS)) files"
	@clang-format --dry-run -Werror $(LINT_SRCS)
	@echo "cppcheck: analysing"
	@cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
		--inline-suppr --suppress=missingIncludeSystem -D__x86_64__ \
		-Iinclude -Isrc -Ilib/img -Ilib/inject -Itests/cr/lib include lib src tests
	@echo "lint: clean"

fuzz-build: $(FUZZ_BIN)
$(FUZZ_BIN): tests/fuzz/img_reader.c tests/unit/img-test.h $(IMG_SRCS) include/cryo/img.h \
		lib/img/img-internal.h
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Ilib/img \
		-fsanitize=fuzzer,address,undefined -o $@ tests/fuzz/img_reader.c $(IMG_SRCS)

# Seeds come from the golden images; findings go to build/fuzz/crash-*.
fuzz: setup $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus
	@cp -n tests/data/*.img $(BUILD)/fuzz/corpus/ 2>/dev/null || true
	$(FUZZ_BIN) -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include/cryo $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(CRYO) $(DESTDIR)$(PREFIX)/bin/cryo
	install -m 644 $(LIBIMG_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBIMG_SO) $(DESTDIR)$(PREFIX)/lib/libcryo-img.so.1
	ln -sf libcryo-img.so.1 $(DESTDIR)$(PREFIX)/lib/libcryo-img.so
	install -m 644 $(LIBINJ_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBINJ_SO) $(DESTDIR)$(PREFIX)/lib/libcryo-inject.so.1
	ln -sf libcryo-inject.so.1 $(DESTDIR)$(PREFIX)/lib/libcryo-inject.so
	install -m 644 include/cryo/*.h $(DESTDIR)$(PREFIX)/include/cryo/
	install -m 644 docs/cryo.1 $(DESTDIR)$(PREFIX)/share/man/man1/cryo.1

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
