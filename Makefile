# pd-rnn: the Pd library (rnn.pd_linux, through Debian's pd-lib-builder),
# the core's tests and benchmarks.
#
#   make            the library
#   make check      every test: the core's unit tests, then the objects in
#                   real headless Pd; ends on one "N passed, N failed" line
#   make demo       headless Pd learns Shakespeare live, then writes some
#   make bench      speed against the reference measured in the same run

lib.name = rnn
make-lib-executable = yes

# the core; the corpus readers (libsndfile) and the offline trainer serve
# only the command line
offline.sources = pd-rnn/core/corpus.c pd-rnn/core/trainer.c
core.sources = $(filter-out $(offline.sources),$(wildcard pd-rnn/core/*.c))
lib.setup.sources = pd-rnn/rnn.c
class.sources = pd-rnn/rnn_encode.c pd-rnn/rnn_cell.c pd-rnn/rnn_decode.c
common.sources = pd-rnn/rnn_shared.c $(core.sources)

# Our kernels are written to vectorise without -ffast-math, which would
# break the NaN and infinity checks; it is removed below.  The kernels are
# compiled for several instruction sets and picked at load time, so no
# -march is needed.  -fno-trapping-math only says that no code here
# enables floating-point traps, which lets float-to-int conversions
# vectorise.
cflags = -std=gnu11 -fopenmp-simd -fno-trapping-math -Wno-cast-function-type
ldlibs = -lm -lpthread

datafiles = README.md

PDLIBBUILDER_DIR ?= /usr/share/pd-lib-builder
include $(PDLIBBUILDER_DIR)/Makefile.pdlibbuilder

c.flags := $(filter-out -ffast-math,$(c.flags))

# ------------------------------------------------------------ bin/pd-rnn

CLI_CFLAGS = -std=gnu11 -O3 -Wall -Wextra -fopenmp-simd -fno-trapping-math \
	$(CPPFLAGS) $(filter-out -ffast-math,$(CFLAGS))

bin/pd-rnn: pd-rnn/cli/pd-rnn.c $(core.sources) $(offline.sources) \
		pd-rnn/core/rnn.h pd-rnn/core/internal.h
	@mkdir -p bin
	$(CC) $(CLI_CFLAGS) -o $@ pd-rnn/cli/pd-rnn.c $(core.sources) \
		$(offline.sources) $(LDFLAGS) -lsndfile -lm -lpthread

all: bin/pd-rnn

clean: clean-bin
clean-bin:
	rm -rf bin

# ------------------------------------------------------------ tests

TEST_CFLAGS = -std=gnu11 -O2 -g -Wall -Wextra -fopenmp-simd \
	-fno-trapping-math $(CPPFLAGS) $(filter-out -ffast-math,$(CFLAGS))
TEST_LDFLAGS = $(LDFLAGS)
build = build

$(build)/unit: tests/unit.c $(core.sources) pd-rnn/core/rnn.h \
		pd-rnn/core/internal.h
	@mkdir -p $(build)
	$(CC) $(TEST_CFLAGS) -o $@ tests/unit.c $(core.sources) \
		$(TEST_LDFLAGS) -lm -lpthread

$(build)/modelfile: tests/modelfile.c $(core.sources) pd-rnn/core/rnn.h \
		pd-rnn/core/internal.h
	@mkdir -p $(build)
	$(CC) $(TEST_CFLAGS) -o $@ tests/modelfile.c $(core.sources) \
		$(TEST_LDFLAGS) -lm -lpthread

# against PyTorch's numbers in tests/reference/ (tests/torch_reference.py);
# run from the repo root, where its default reference folder is
$(build)/fidelity: tests/fidelity.c $(core.sources) pd-rnn/core/rnn.h \
		pd-rnn/core/internal.h
	@mkdir -p $(build)
	$(CC) $(TEST_CFLAGS) -o $@ tests/fidelity.c $(core.sources) \
		$(TEST_LDFLAGS) -lm -lpthread

# the same core in double precision, for the finite differences
$(build)/gradcheck: tests/gradcheck.c $(core.sources) pd-rnn/core/rnn.h \
		pd-rnn/core/internal.h
	@mkdir -p $(build)
	$(CC) $(TEST_CFLAGS) -DRNN_REAL_DOUBLE -o $@ tests/gradcheck.c \
		$(core.sources) $(TEST_LDFLAGS) -lm -lpthread

# the offline trainer's minibatches against its reference, in both
# precisions
$(build)/trainer: tests/trainer.c $(core.sources) pd-rnn/core/trainer.c \
		pd-rnn/core/rnn.h pd-rnn/core/internal.h
	@mkdir -p $(build)
	$(CC) $(TEST_CFLAGS) -o $@ tests/trainer.c $(core.sources) \
		pd-rnn/core/trainer.c $(TEST_LDFLAGS) -lm -lpthread
$(build)/trainer64: tests/trainer.c $(core.sources) pd-rnn/core/trainer.c \
		pd-rnn/core/rnn.h pd-rnn/core/internal.h
	@mkdir -p $(build)
	$(CC) $(TEST_CFLAGS) -DRNN_REAL_DOUBLE -o $@ tests/trainer.c \
		$(core.sources) pd-rnn/core/trainer.c $(TEST_LDFLAGS) -lm -lpthread

unit.tests = $(build)/unit $(build)/gradcheck $(build)/modelfile \
	$(build)/trainer $(build)/trainer64 tests/cli.sh \
	tests/help_reference.sh tests/dist.sh tests/midi.sh tests/torch_convert.sh \
	$(build)/fidelity

check: all $(unit.tests)
	UNIT_TESTS="$(unit.tests)" RNN_LIB_DIR="$(CURDIR)" sh tests/run.sh

# ------------------------------------------------------------ demo, bench

demo: all
	sh demo/run.sh

$(build)/bench: bench/bench.c $(core.sources) pd-rnn/core/rnn.h
	@mkdir -p $(build)
	$(CC) -std=gnu11 -O3 -fopenmp-simd -fno-trapping-math $(CPPFLAGS) \
		-o $@ bench/bench.c $(core.sources) $(LDFLAGS) -lm -lpthread

bench: all $(build)/bench
	sh bench/run.sh
	sh bench/pd_timing.sh

# a long run: DSP on, 10^6 events through an LSTM-256 chain training on a
# worker thread, objects made and deleted; memory must stay flat
soak: all
	sh soak/run.sh

clean: clean-tests
clean-tests:
	rm -rf $(build)

.PHONY: check demo bench soak clean-tests clean-bin
-include mk/hardening.mk
include mk/dist.mk
include mk/tutorials.mk
