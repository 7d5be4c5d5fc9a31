# Shared by the shell tests of bin/pd-rnn: one line per check, PASS or
# FAIL, for tests/run.sh.  The caller sets $work (a scratch folder) and
# failed=0, and exits with $failed.

check() { # description command...
    what=$1
    shift
    if "$@" >"$work/out" 2>"$work/err"; then
        echo "PASS $what"
    else
        echo "FAIL $what"
        sed 's/^/  | /' "$work/err" | tail -5
        failed=1
    fi
}

refuses() { # description command... : must exit non-zero with one line
    what=$1
    shift
    if "$@" >"$work/out" 2>"$work/err"; then
        echo "FAIL $what: exit 0"
        failed=1
    elif [ "$(wc -l <"$work/err")" -eq 1 ] && grep -q '^pd-rnn: ' "$work/err"
    then
        echo "PASS $what: $(cat "$work/err")"
    else
        echo "FAIL $what: not one 'pd-rnn:' line"
        sed 's/^/  | /' "$work/err" | tail -5
        failed=1
    fi
}
