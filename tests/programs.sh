# Shared by the shell tests of bin/pd-rnn: the programs they run, which
# make check-asan replaces by instrumented ones.  The caller sets $top.
#   cli  bin/pd-rnn, or $RNN_CLI
#   pd   pd, or $PD
#   lib  the folder of rnn.pd_linux, or $RNN_LIB_DIR
cli=${RNN_CLI:-$top/bin/pd-rnn}
pd=${PD:-pd}
lib=${RNN_LIB_DIR:-$top}
if [ ! -x "$cli" ]; then
    echo "FAIL $cli is not built: run make first"
    exit 1
fi
