# Hardening: sanitizers, valgrind, fuzzing, double precision.  Included at
# the end of the Makefile, so that the library's source lists and the unit
# tests' rules (core.sources, unit.tests, $(build)/unit, ...) are known.
#
#   make check-asan          the library, the unit tests and the storm under
#                            AddressSanitizer and UBSan (gcc); every test
#                            in tests/pd in a Pd with the runtimes preloaded
#   make check-valgrind      the unit tests and a set of patches under
#                            valgrind memcheck: no leak, no bad access
#   make check-storm         10^5 random messages into every inlet of every
#                            object in real Pd (tests/hardening/storm.sh)
#   make fuzz                each libFuzzer target for FUZZ_SECONDS (clang)
#   make fuzz-regressions    replays fuzz/regressions/ and fuzz/corpus/
#                            through every target built with gcc and ASan
#   make check-double        the library built with -DPD_FLOATSIZE=64
#                            -Wall -Wextra -Werror, and the precision checks
#   make check-hardening     all of the above but fuzz, in that order
#
# Every build goes to its own folder under build/ (build/asan, build/double,
# build/fuzz, ...); the normal build is not touched.  pd-lib-builder writes
# objects next to their sources, so a second library is built in a mirror
# of the source tree made of symbolic links (tests/hardening/mirror.sh),
# with a plain "make CC=... CFLAGS=... LDFLAGS=..." there: the same command
# a user would type, so it also checks that the project's own flags live
# in pd-lib-builder's lower-case variables.

hard.root := build
hard.scripts := tests/hardening
HARDEN_CC ?= gcc

# ------------------------------------------------------------ sanitizers

# -O1 keeps the instrumented tests fast; -fno-sanitize-recover makes UBSan
# stop at its first report, as ASan does.
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined -g -O1
asan.dir := $(hard.root)/asan
asan.tree := $(asan.dir)/tree
asan.bin := $(asan.dir)/bin
asan.logs := $(asan.dir)/logs
asan.units = $(patsubst $(build)/%,$(asan.bin)/%,$(unit.tests))
# Pd itself is not instrumented: the runtimes must be loaded first.
asan.preload = $(shell $(HARDEN_CC) -print-file-name=libasan.so) \
	$(shell $(HARDEN_CC) -print-file-name=libubsan.so)

asan-lib:
	@sh $(hard.scripts)/mirror.sh $(asan.tree) $(HARDEN_CC) $(ASAN_FLAGS)
	$(MAKE) --no-print-directory -C $(asan.tree) CC=$(HARDEN_CC) \
		CFLAGS="$(ASAN_FLAGS)" LDFLAGS="$(ASAN_FLAGS)" all

asan-units:
	$(MAKE) --no-print-directory build=$(asan.bin) CC=$(HARDEN_CC) \
		CFLAGS="$(ASAN_FLAGS)" LDFLAGS="$(ASAN_FLAGS)" $(asan.units)

# The command line, instrumented; tests/cli.sh, midi.sh and torch_convert.sh
# run it as $RNN_CLI.
asan.cli := $(asan.bin)/pd-rnn
$(asan.cli): pd-rnn/cli/pd-rnn.c $(core.sources) $(offline.sources) \
		pd-rnn/core/rnn.h pd-rnn/core/internal.h
	@mkdir -p $(asan.bin)
	$(HARDEN_CC) $(CLI_CFLAGS) $(ASAN_FLAGS) -o $@ pd-rnn/cli/pd-rnn.c \
		$(core.sources) $(offline.sources) $(ASAN_FLAGS) $(smf.libs) \
		-lsndfile \
		-lm -lpthread

# The storm runs in the same instrumented Pd; STORM_MESSAGES shortens it.
check-asan: asan-lib asan-units $(asan.cli)
	HARDEN_PRELOAD="$(strip $(asan.preload))" \
	UNIT_TESTS="$(asan.units)" RNN_LIB_DIR="$(CURDIR)/$(asan.tree)" \
	RNN_CLI="$(CURDIR)/$(asan.cli)" \
	PD="$(CURDIR)/$(hard.scripts)/pd-preload.sh" \
	sh $(hard.scripts)/sanitized.sh $(asan.logs) sh tests/run.sh
	HARDEN_PRELOAD="$(strip $(asan.preload))" \
	RNN_LIB_DIR="$(CURDIR)/$(asan.tree)" \
	PD="$(CURDIR)/$(hard.scripts)/pd-preload.sh" \
	sh $(hard.scripts)/sanitized.sh $(asan.logs) \
		sh $(hard.scripts)/storm.sh $(STORM_MESSAGES)

# ------------------------------------------------------------ valgrind

# The unit tests as built by "make check", and these patches, chosen so
# that every object and inlet (hostile_*), each cell type
# (cell_types_learn), the files (file_*, keep_k), objects made and freed
# while a patch runs (lifetime) and the error limit's clock and count
# (error_limit) run at least once.  The threaded thread_lifecycle took over
# ten minutes under memcheck: it runs under check-asan instead.
VALGRIND_PATCHES = hostile_encode hostile_cell hostile_decode \
	cell_types_learn file_roundtrip file_bad_files keep_k lifetime \
	error_limit
VALGRIND_UNITS = $(build)/unit $(build)/modelfile
valgrind.logs := $(hard.root)/valgrind

check-valgrind: all $(VALGRIND_UNITS)
	VALGRIND_LOGS="$(CURDIR)/$(valgrind.logs)" \
	UNIT_TESTS="$(patsubst %,$(CURDIR)/$(hard.scripts)/valgrind-unit/%,\
		$(notdir $(VALGRIND_UNITS)))" \
	VALGRIND_UNIT_DIR="$(CURDIR)/$(build)" \
	RNN_LIB_DIR="$(CURDIR)" PD="$(CURDIR)/$(hard.scripts)/pd-valgrind.sh" \
	sh $(hard.scripts)/valgrind.sh $(VALGRIND_PATCHES)

# ------------------------------------------------------------ storm

check-storm: all
	RNN_LIB_DIR="$(CURDIR)" sh $(hard.scripts)/storm.sh $(STORM_MESSAGES)

# ------------------------------------------------------------ fuzzing

FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_TARGETS = model_file model_file_crc vocab model_api corpus trainer
fuzz.dir := $(hard.root)/fuzz
fuzz.flags = -g -O1 -std=gnu11 -fopenmp-simd -fno-trapping-math \
	-DRNN_NO_CLONES
fuzz.sanitize = -fsanitize=address,undefined -fno-sanitize-recover=undefined
fuzz.core = $(core.sources)
fuzz.headers = pd-rnn/core/rnn.h pd-rnn/core/internal.h fuzz/fuzz.h

# each target's sources, its extra flags (defines, include folders) and
# libraries; the offline targets take the offline sources of the command
# line, the corpus readers with libsndfile and libsmf (mk/dist.mk)
fuzz.src.model_file = fuzz/model_file.c
fuzz.src.model_file_crc = fuzz/model_file.c
fuzz.def.model_file_crc = -DFUZZ_FIX_CRC
fuzz.src.vocab = fuzz/vocab.c
fuzz.src.model_api = fuzz/model_api.c
fuzz.src.corpus = fuzz/corpus.c pd-rnn/core/corpus.c
fuzz.def.corpus = $(smf.cflags)
fuzz.libs.corpus = $(smf.libs) -lsndfile
fuzz.src.trainer = fuzz/trainer.c pd-rnn/core/trainer.c
# the kernels' loops without coverage: it is not worth their time here
fuzz.cov.trainer = -fsanitize-coverage-ignorelist=fuzz/kernels.ignorelist

# libFuzzer builds (clang)
$(fuzz.dir)/libfuzzer/%: fuzz/*.c $(fuzz.core) $(offline.sources) \
		$(fuzz.headers) fuzz/kernels.ignorelist
	@mkdir -p $(@D)
	$(FUZZ_CC) $(fuzz.flags) $(fuzz.sanitize) -fsanitize=fuzzer -Wno-pass-failed \
		$(fuzz.cov.$*) $(fuzz.def.$*) -o $@ $(fuzz.src.$*) $(fuzz.core) \
		$(fuzz.libs.$*) -lm -lpthread

# replay builds: the same targets, a main of our own, gcc and ASan
$(fuzz.dir)/replay/%: fuzz/*.c $(fuzz.core) $(offline.sources) \
		$(fuzz.headers)
	@mkdir -p $(@D)
	$(HARDEN_CC) $(fuzz.flags) $(fuzz.sanitize) -fno-omit-frame-pointer \
		-Wall -Wextra \
		$(fuzz.def.$*) -o $@ $(fuzz.src.$*) fuzz/replay.c \
		$(fuzz.core) $(fuzz.libs.$*) -lm -lpthread

fuzz-build: $(addprefix $(fuzz.dir)/libfuzzer/,$(FUZZ_TARGETS))

# Each target runs FUZZ_SECONDS from its committed corpus, adding what it
# finds to a working corpus under build/fuzz (merge it into fuzz/corpus by
# hand with -merge=1 when it is worth keeping).  A crash leaves its input
# in build/fuzz/crashes/TARGET/: commit it under fuzz/regressions/TARGET/.
fuzz: fuzz-build
	sh $(hard.scripts)/fuzz.sh $(FUZZ_SECONDS) $(fuzz.dir) $(FUZZ_TARGETS)

fuzz-regressions: $(addprefix $(fuzz.dir)/replay/,$(FUZZ_TARGETS))
	sh $(hard.scripts)/replay.sh $(fuzz.dir)/replay $(FUZZ_TARGETS)

# the seed corpus of the model-file targets: real files made by the core
$(fuzz.dir)/make_seeds: fuzz/make_seeds.c $(fuzz.core) pd-rnn/core/rnn.h
	@mkdir -p $(@D)
	$(HARDEN_CC) $(fuzz.flags) -o $@ $< $(fuzz.core) -lm -lpthread

# and the binary seeds of the offline targets (sound, MIDI, trainer runs)
$(fuzz.dir)/make_offline_seeds: fuzz/make_offline_seeds.c $(fuzz.core) \
		pd-rnn/core/corpus.c pd-rnn/core/rnn.h
	@mkdir -p $(@D)
	$(HARDEN_CC) $(fuzz.flags) $(smf.cflags) -o $@ $< $(fuzz.core) \
		pd-rnn/core/corpus.c $(smf.libs) -lsndfile -lm -lpthread

fuzz-seeds: $(fuzz.dir)/make_seeds $(fuzz.dir)/make_offline_seeds
	$(fuzz.dir)/make_seeds fuzz/corpus/model_file
	cp fuzz/corpus/model_file/* fuzz/corpus/model_file_crc/
	@mkdir -p fuzz/corpus/corpus fuzz/corpus/trainer
	$(fuzz.dir)/make_offline_seeds fuzz/corpus/corpus fuzz/corpus/trainer

# ------------------------------------------------------------ double

# Debian's Pd is single precision; its headers build either.  Both builds
# are made with the warnings as errors, so that a warning that only one
# precision shows stands out.
DOUBLE_FLAGS = -O2 -g -Wall -Wextra -Werror
double.dir := $(hard.root)/double

check-double:
	@sh $(hard.scripts)/mirror.sh $(double.dir)/64 64 $(DOUBLE_FLAGS)
	$(MAKE) --no-print-directory -C $(double.dir)/64 CC=$(HARDEN_CC) \
		CPPFLAGS="-DPD_FLOATSIZE=64" CFLAGS="$(DOUBLE_FLAGS)" all
	@sh $(hard.scripts)/mirror.sh $(double.dir)/32 32 $(DOUBLE_FLAGS)
	$(MAKE) --no-print-directory -C $(double.dir)/32 CC=$(HARDEN_CC) \
		CPPFLAGS="-DPD_FLOATSIZE=32" CFLAGS="$(DOUBLE_FLAGS)" all
	HARDEN_CC=$(HARDEN_CC) sh $(hard.scripts)/precision.sh $(double.dir) \
		$(core.sources)

# ------------------------------------------------------------ all

check-hardening: check-asan check-valgrind check-double fuzz-regressions

clean-hardening:
	rm -rf $(asan.dir) $(valgrind.logs) $(fuzz.dir) $(double.dir)

.PHONY: asan-lib asan-units check-asan check-valgrind check-storm fuzz \
	fuzz-build fuzz-regressions fuzz-seeds check-double check-hardening \
	clean-hardening
