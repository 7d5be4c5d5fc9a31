# The tutorial patches (help-patches/tutorial-*.pd) and the model file
# tutorial 8 reads.  Included at the end of the Makefile, after the rules
# for bin/pd-rnn and the build folder are known.
#
#   make tutorial-models   rebuild help-patches/tutorial-data/chorales-gru.rnn
#                          from the first 40 chorale melodies with
#                          bin/pd-rnn (under a second, seeded)
#   make check-tutorials   the tutorials' tests in headless Pd: every
#                          tutorial and the overview open without an error
#                          or a warning, and tutorials 5 and 7 learn

tutorial.data := help-patches/tutorial-data
tutorial.model := $(tutorial.data)/chorales-gru.rnn
tutorial.tests := tutorials_open tutorials_learn

# A small GRU: 32 units, 50 passes over chorales 1-40 (chorales 41-50 are
# what tutorial 8 plays, unheard).  One thread and a fixed seed: the same
# binary writes the same file.
tutorial-models: bin/pd-rnn $(tutorial.data)/chorales.txt
	@mkdir -p $(build)
	head -n 40 $(tutorial.data)/chorales.txt >$(build)/chorales-1-40.txt
	bin/pd-rnn train $(build)/chorales-1-40.txt -o $(tutorial.model) \
		--tokens words --type gru --hidden 32 --epochs 50 --seed 1 \
		--threads 1

# The runner fails on "couldn't create" and on unexpected errors; a
# warning it lets pass, so the output is searched for one here.
check-tutorials: all
	@fail=0; \
	for name in $(tutorial.tests); do \
		out=$$(RNN_LIB_DIR="$(CURDIR)" sh tests/run.sh --pd-only $$name) \
			|| fail=1; \
		echo "$$out" | grep -v ' passed, ' ; \
		log=$$(timeout 300 pd -nogui -noaudio -batch -stderr -noprefs \
			-path "$(CURDIR)" -open tests/pd/$$name.pd 2>&1 </dev/null); \
		if echo "$$log" | grep -i 'warning'; then \
			echo "FAIL $$name: a warning (above)"; fail=1; \
		fi; \
	done; \
	test $$fail -eq 0

.PHONY: tutorial-models check-tutorials
