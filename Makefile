# nestbox - the only entry points: deps all test run install deb bench fuzz asan clean
#
# `make run` and `make test` each start with `deps`, so either works alone on
# a fresh Debian 12 machine (as root it installs what is missing).

PREFIX   ?= /usr/local
DESTDIR  ?=
HOST     ?= 127.0.0.1
PORT     ?= 8080
BUILD    ?= build
CGIBIN   ?= cgi-bin
BINDIR   ?= bin
PYTHON   ?= /usr/bin/python3
FUZZ_SECONDS ?= 30

CC       ?= cc
PKGS     := fcgi sqlite3 yaml-0.1 libcjson libcrypto libzstd libargon2 libcurl libarchive libconfig \
            libsquashfs1 inih libgit2 libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl is opened on first use (src/lib/fetch.c): its headers, not a link
PKG_LIBS   := $(shell pkg-config --libs $(filter-out libcurl,$(PKGS)) 2>/dev/null)
OPT      ?= -O2 -g
# CFLAGS/LDFLAGS from the command line are added to ours, never replace them
NB_CFLAGS  = $(OPT) -std=c17 -D_GNU_SOURCE -DNB_DATADIR='"$(PREFIX)/share/nestbox"' -Wall -Wextra -MMD -MP $(PKG_CFLAGS) $(SAN) $(CFLAGS)
# --as-needed: a program maps only the shared libraries it calls (smaller RSS)
NB_LDFLAGS = -Wl,--as-needed $(SAN) $(LDFLAGS)
NB_LDLIBS  = $(PKG_LIBS) -lpthread $(LDLIBS)

LIB_SRC   := $(wildcard src/lib/*.c)
DOMAINS_SRC := $(wildcard src/core/*.c) $(wildcard src/mkbox/*.c) $(wildcard src/log/*.c) \
               $(wildcard src/admin/*.c) $(wildcard src/mip/*.c) \
               $(wildcard src/ddi/*.c) $(wildcard src/ota/*.c) $(wildcard src/pypi/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
DOMAINS_OBJ := $(DOMAINS_SRC:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libnestbox.a
# every domain of DOMAINS_SRC, over the generic src/lib
DOMAINS   := $(BUILD)/libnestbox-domains.a
PROGRAMS  := list update log admin mip-index ddi ota pypi
FCGI      := $(PROGRAMS:%=$(CGIBIN)/%.fcgi)
# make bench's zero-work FastCGI ceiling: built by make bench only (not by all,
# which the container build and install run), never installed
BENCH_ZERO := $(CGIBIN)/bench-zero.fcgi
CTL       := $(BINDIR)/nestboxctl
# the request log's writer, started by the front end with its access log
# piped in (not FastCGI; beside the programs so one path finds both)
ACCESSLOG := $(CGIBIN)/nestbox-accesslog
# the static tree's keeper, started by the front end the same way
MKBOXWATCH := $(CGIBIN)/nestbox-mkbox-watch
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all deps test test-pg unit e2e run install deb bench fuzz asan clean init mutants

all: $(FCGI) $(ACCESSLOG) $(MKBOXWATCH) $(CTL)

# make test and make run build with one job per core (a clean build is
# most of a minute on one core)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(NB_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(DOMAINS): $(DOMAINS_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

# The programs' objects are made by a chain of pattern rules, which would
# make them intermediate files that make deletes after linking: every later
# make (test-pg's and e2e's `all`, a test's `make install`) then built and
# linked all eight again, at once in the two e2e runs, over each other's
# objects.  Kept, a built tree is up to date.
.SECONDARY: $(PROGRAMS:%=$(BUILD)/src/cgi/%.fcgi.o)

$(CGIBIN)/%.fcgi: $(BUILD)/src/cgi/%.fcgi.o $(DOMAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(NB_LDFLAGS) -o $@ $< $(DOMAINS) $(LIB) $(NB_LDLIBS)

$(ACCESSLOG): $(BUILD)/src/cgi/nestbox-accesslog.o $(DOMAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(NB_LDFLAGS) -o $@ $< $(DOMAINS) $(LIB) $(NB_LDLIBS)

$(MKBOXWATCH): $(BUILD)/src/cgi/nestbox-mkbox-watch.o $(DOMAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(NB_LDFLAGS) -o $@ $< $(DOMAINS) $(LIB) $(NB_LDLIBS)

# its object is not under $(BUILD)/bench/: that is where make bench writes
$(BUILD)/bench-zero.o: bench/bench-zero.c
	@mkdir -p $(dir $@)
	$(CC) $(NB_CFLAGS) -c -o $@ $<

$(BENCH_ZERO): $(BUILD)/bench-zero.o
	@mkdir -p $(dir $@)
	$(CC) $(NB_LDFLAGS) -o $@ $< $(NB_LDLIBS)

CTL_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard src/tools/*.c))

$(CTL): $(CTL_OBJ) $(DOMAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(NB_LDFLAGS) -o $@ $(CTL_OBJ) $(DOMAINS) $(LIB) $(NB_LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(DOMAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(NB_CFLAGS) $(NB_LDFLAGS) -o $@ $< $(DOMAINS) $(LIB) $(NB_LDLIBS) -lcmocka

# The durability test records the library's fsync/rename calls: the
# wrapped symbols are resolved at link time in the static libraries only.
DURABILITY_WRAP := -Wl,--wrap=fsync,--wrap=fdatasync,--wrap=rename,--wrap=renameat,--wrap=write

$(BUILD)/tests/test_durability: tests/unit/test_durability.c $(DOMAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(NB_CFLAGS) $(NB_LDFLAGS) $(DURABILITY_WRAP) -o $@ $< $(DOMAINS) $(LIB) $(NB_LDLIBS) -lcmocka

# -- tests ------------------------------------------------------------------

# The two e2e runs (SQLite, PostgreSQL) go at once: each test has its own
# state directory, ports and database, and most of a run's time is spent
# waiting on real clients and servers, so together they take little more
# than the longer one.  The PostgreSQL run's output is shown when both end.
# TEST_PG_LOG: where it is kept meanwhile (a dry run, make -n test, still
# runs this recipe's shell for its $(MAKE) lines: it names another file).
TEST_PG_LOG ?= build/test-pg.log
# each e2e run ends with its slowest tests, so that a slow run says where
# its time went (PYTEST_ARGS adds to it, --durations=0 lists them all)
PYTEST_ARGS ?= --durations=15
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all $(UNIT_BIN)
	@$(MAKE) -q all || { echo "make all left work for the next make: the two e2e runs would build over each other" >&2; exit 1; }
	@$(MAKE) --no-print-directory unit
	@if [ -x $(PG_BIN)/initdb ]; then \
	   echo "== e2e on SQLite, and at once on PostgreSQL (its output: $(TEST_PG_LOG), shown after)"; \
	   $(MAKE) --no-print-directory test-pg > $(TEST_PG_LOG) 2>&1 & pg=$$!; \
	   $(MAKE) --no-print-directory e2e; sqlite=$$?; wait $$pg; postgresql=$$?; \
	   echo "== e2e on PostgreSQL"; cat $(TEST_PG_LOG); \
	   [ $$sqlite = 0 ] || echo "e2e on SQLite failed" >&2; \
	   [ $$postgresql = 0 ] || echo "e2e on PostgreSQL failed" >&2; \
	   [ $$sqlite = 0 ] && [ $$postgresql = 0 ]; \
	 else $(MAKE) --no-print-directory e2e && \
	   echo "PostgreSQL cannot be started ($(PG_BIN)/initdb missing): e2e on PostgreSQL skipped"; fi

# The e2e suite again on a PostgreSQL store: tests/e2e/conftest.py starts a
# cluster of its own (initdb in a temporary directory, a unix socket there).
# The unit tests of the store API run on both stores in `unit` already.
PG_BIN   ?= /usr/lib/postgresql/15/bin
test-pg: all
	NESTBOX_TEST_STORE=postgresql NESTBOX_PG_BIN=$(PG_BIN) \
	  NESTBOX_CGIBIN=$(abspath $(CGIBIN)) NESTBOX_BINDIR=$(abspath $(BINDIR)) \
	  $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e $(PYTEST_ARGS)

# the unit binaries run two at a time (JOBS), each one's output kept
# together: some wait more than they compute (a PostgreSQL cluster's
# start, a busy timeout run out on purpose)
unit: $(UNIT_BIN)
	@$(MAKE) --no-print-directory -k -j$(JOBS) -O $(UNIT_BIN:=.run) || \
	 { echo "unit tests failed" >&2; exit 1; }

$(BUILD)/tests/%.run: $(BUILD)/tests/%
	@echo "== $<"; $<

e2e: all
	NESTBOX_CGIBIN=$(abspath $(CGIBIN)) NESTBOX_BINDIR=$(abspath $(BINDIR)) \
	  $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e $(PYTEST_ARGS)

# AddressSanitizer + UndefinedBehaviorSanitizer over the unit and e2e suites.
asan: deps
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  NESTBOX_ASAN=1 $(MAKE) --no-print-directory BUILD=build-asan \
	  CGIBIN=build-asan/cgi-bin BINDIR=build-asan/bin CC=clang \
	  OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  PYTEST_ARGS="$(PYTEST_ARGS)" all unit e2e

# The mutation check: each tests/mutants/*.patch breaks one property and
# must be caught by the tests its header names (slow: not part of `test`).
mutants: deps
	@sh scripts/mutants.sh

# -- fuzzing ----------------------------------------------------------------

fuzz: deps
	@sh scripts/fuzz.sh $(FUZZ_SECONDS)

# -- running ----------------------------------------------------------------

init: all
	@$(CTL) init

# only what running needs (the test toolchain comes with make test)
run:
	@sh scripts/deps.sh --run
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@HOST=$(HOST) PORT=$(PORT) sh scripts/run.sh

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_ZERO)
	@NESTBOX_BINDIR=$(BINDIR) NESTBOX_CGIBIN=$(CGIBIN) sh bench/bench.sh

# -- installing -------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/nestbox/cgi-bin $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/share/nestbox/templates $(DESTDIR)$(PREFIX)/share/nestbox/htdocs \
	  $(DESTDIR)$(PREFIX)/share/nestbox/lua $(DESTDIR)/etc/nestbox
	install -m 0755 $(FCGI) $(ACCESSLOG) $(MKBOXWATCH) $(DESTDIR)$(PREFIX)/lib/nestbox/cgi-bin/
	install -m 0755 $(CTL) $(DESTDIR)$(PREFIX)/bin/
	cp -R templates/. $(DESTDIR)$(PREFIX)/share/nestbox/templates/
	cp -R htdocs/. $(DESTDIR)$(PREFIX)/share/nestbox/htdocs/
	sed -e 's|^  var_dir: .*|  var_dir: /var/lib/nestbox|' \
	  -e 's|^  templates: .*|  templates: $(PREFIX)/share/nestbox/templates|' etc/nestbox.yaml \
	  > $(DESTDIR)/etc/nestbox/nestbox.yaml.example
	{ echo 'var.nestbox_cgibin = "$(PREFIX)/lib/nestbox/cgi-bin"'; \
	  echo 'var.nestbox_state = "/var/lib/nestbox"'; \
	  echo 'var.nestbox_htdocs = "$(PREFIX)/share/nestbox/htdocs"'; \
	  echo 'var.nestbox_lua = "$(PREFIX)/share/nestbox/lua"'; cat etc/nestbox-lighttpd.conf; } \
	  > $(DESTDIR)/etc/nestbox/lighttpd-nestbox.conf
	install -m 0644 apache-example.conf $(DESTDIR)/etc/nestbox/apache-example.conf
	install -m 0644 etc/nestbox_static.lua etc/nestbox-static.lua etc/nestbox-static-apache.lua etc/nestbox-static-raw.lua etc/nestbox-static-mkbox.lua \
	  $(DESTDIR)$(PREFIX)/share/nestbox/lua/

# The Debian package (debian/, debhelper): built from a copy of the tree in
# $(DEBDIR), so that neither the tree nor its parent directory receives
# build output; prints the path of the .deb.
DEBDIR   ?= build-deb
DEB_SRC  := Makefile apache-example.conf debian etc htdocs scripts src templates

deb:
	rm -rf $(DEBDIR) && mkdir -p $(DEBDIR)/nestbox
	tar -cf - $(DEB_SRC) | tar -xf - -C $(DEBDIR)/nestbox
	cd $(DEBDIR)/nestbox && DEB_BUILD_OPTIONS="nocheck noddebs $(DEB_BUILD_OPTIONS)" \
	  dpkg-buildpackage -b -us -uc >../build.log 2>&1 || { tail -40 ../build.log; exit 1; }
	@ls $(abspath $(DEBDIR))/nestbox_*.deb

clean:
	rm -rf build build-asan build-fuzz build-deb cgi-bin bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
