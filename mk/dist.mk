# Distribution: the MIDI reader's flags, install, the deken package and a
# build for multi-instance hosts.  Included at the end of the Makefile, so
# that pd-lib-builder's variables (installpath, c.flags, system, ...) and
# the project's source lists are known.
#
#   make install            pd-lib-builder's install (the library, README)
#                           plus LICENSE and everything in help-patches/,
#                           sub-folders kept, into DESTDIR/PDLIBDIR/rnn
#   make dist               the deken package, build/rnn[vVERSION](OS-cpu-
#                           floatsize).dek: a ZIP of the installed rnn/
#                           folder (DIST_DIR=. puts it in the top folder)
#   make check-pdinstance   the library compiled with -DPDINSTANCE
#                           -DPDTHREADS (as libpd builds Pd) and -Werror
#                           into build/pdinstance, and a scan of its objects
#                           for per-process state
#   make check-dist         tests/dist.sh, tests/midi.sh and
#                           tests/torch_convert.sh

# ------------------------------------------------------------ libsmf

# bin/pd-rnn reads and writes MIDI files with libsmf, whose header needs
# GLib's.
smf.cflags := $(shell pkg-config --cflags smf 2>/dev/null)
smf.libs := $(shell pkg-config --libs smf 2>/dev/null)
ifeq ($(smf.libs),)
  smf.cflags := -I/usr/include/glib-2.0 \
	-I/usr/lib/$(shell $(CC) -dumpmachine)/glib-2.0/include
  smf.libs := -lsmf -lglib-2.0
endif
CLI_CFLAGS += $(smf.cflags)
bin/pd-rnn: override LDFLAGS += $(smf.libs)

# ------------------------------------------------------------ install

# pd-lib-builder installs the library and datafiles; the help patches go
# beside the library, where Pd looks for them, with whatever they read in
# help-patches/ at the same place relative to them (pd-lib-builder's
# datadirs would put help-patches/DIR at rnn/help-patches/DIR, away from
# the patches that read it, so help-patches/ is left to install-help).
datafiles := $(filter-out help-patches/%,$(datafiles))
datafiles += $(filter-out $(datafiles),LICENSE)
datadirs := $(filter-out help-patches/%,$(datadirs))

install: install-help
install-help: all
	$(INSTALL_DIR) "$(installpath)"
	find help-patches -type f ! -name '.*' ! -name '*~' | LC_ALL=C sort | \
	while IFS= read -r file; do \
		$(INSTALL) -D -p -m 644 "$$file" \
			"$(installpath)/$${file#help-patches/}" || exit 1; \
	done

# ------------------------------------------------------------ deken

# deken's name: library[vVERSION](OS-cpu-floatsize).dek, a ZIP of the
# library's folder.  The version is RNN_VERSION in the core's header.
DIST_DIR ?= $(build)
dist.version := $(shell sed -n \
	's/^.define RNN_VERSION "\([^"]*\)".*/\1/p' pd-rnn/core/rnn.h)
dist.cpu := $(patsubst x86_64,amd64,$(patsubst i%86,i386,\
	$(patsubst aarch64,arm64,$(patsubst armv7%,armv7,$(patsubst \
	armv6%,armv6,$(target.arch))))))
dist.floatsize := $(if $(findstring PD_FLOATSIZE=64,$(CPPFLAGS) $(CFLAGS) \
	$(cflags)),64,32)
dist.arch := $(system)-$(dist.cpu)-$(dist.floatsize)
dist.name := $(lib.name)[v$(dist.version)]($(dist.arch)).dek
dist.stage := $(build)/dist-stage

# pd-lib-builder has a "dist" of its own that does nothing yet; this one
# replaces it (make warns that it does, only when asked for it).
ifneq ($(filter dist,$(MAKECMDGOALS)),)
dist: deken
	@:
endif

deken: all
	rm -rf "$(dist.stage)"
	$(MAKE) --no-print-directory install \
		DESTDIR="$(abspath $(dist.stage))" PDLIBDIR=
	@mkdir -p "$(DIST_DIR)"
	rm -f "$(DIST_DIR)/$(dist.name)"
	cd "$(dist.stage)" && zip -q -r -X \
		"$(abspath $(DIST_DIR))/$(dist.name)" "$(lib.name)"
	rm -rf "$(dist.stage)"
	@echo "deken package: $(DIST_DIR)/$(dist.name)"

# ------------------------------------------------------------ multi-instance

# libpd and other hosts that run several Pd instances build Pd with
# PDINSTANCE (pd_this, symbols and classes per instance) and PDTHREADS
# (an instance per thread).  The library is compiled so, from the same
# sources with pd-lib-builder's flags, and its objects are scanned: the
# only writable data of static storage allowed is a t_class pointer
# (classes are shared by the instances); anything else is state that the
# instances would share.
PDINSTANCE_FLAGS = -DPDINSTANCE -DPDTHREADS -Wall -Wextra -Werror
pdinstance.dir := $(build)/pdinstance
pdinstance.sources := $(lib.setup.sources) $(class.sources) $(common.sources)
pdinstance.objects := $(patsubst %.c,$(pdinstance.dir)/%.o,\
	$(pdinstance.sources))
pdinstance.lib := $(pdinstance.dir)/$(lib.name).$(extension)

$(pdinstance.dir)/%.o: %.c $(wildcard pd-rnn/*.h pd-rnn/core/*.h)
	@mkdir -p $(@D)
	$(CC) $(c.flags) $(PDINSTANCE_FLAGS) -c -o $@ $<

$(pdinstance.lib): $(pdinstance.objects)
	$(CC) $(c.ldflags) -o $@ $(pdinstance.objects) $(c.ldlibs)

check-pdinstance: $(pdinstance.lib)
	@found=0; for object in $(pdinstance.objects); do \
		objdump -t "$$object" | awk -v object="$$object" \
		'/ (\.t?bss|\.tdata|\.data(\.rel(\.local)?)?|\*COM\*)[ \t]/ \
		 && $$NF !~ /^\./ && $$NF !~ /_class$$/ { \
		 print "per-process state: " object \
		 ": " $$NF; found = 1 } END { exit found }' || found=1; \
	done; \
	if [ $$found -ne 0 ]; then exit 1; fi; \
	echo "PASS $(pdinstance.lib): built with $(PDINSTANCE_FLAGS);" \
		"no static state but t_class pointers"

# ------------------------------------------------------------ tests

dist.tests = tests/dist.sh tests/midi.sh tests/torch_convert.sh

check-dist: all
	UNIT_TESTS="$(dist.tests)" RNN_LIB_DIR="$(CURDIR)" \
		sh tests/run.sh --unit-only

clean: clean-dist
clean-dist:
	rm -rf "$(pdinstance.dir)" "$(dist.stage)"

.PHONY: install-help deken check-pdinstance check-dist clean-dist
