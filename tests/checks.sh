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

# must exit non-zero with one 'pd-rnn: ' line matching a regular expression
refuses_saying() { # description pattern command...
    what=$1
    pattern=$2
    shift 2
    if "$@" >"$work/out" 2>"$work/err"; then
        echo "FAIL $what: exit 0"
        failed=1
    elif [ "$(wc -l <"$work/err")" -eq 1 ] &&
        grep -q '^pd-rnn: ' "$work/err" && grep -Eq -e "$pattern" "$work/err"
    then
        echo "PASS $what: $(cat "$work/err")"
    else
        echo "FAIL $what: not one 'pd-rnn:' line${pattern:+ saying /$pattern/}"
        sed 's/^/  | /' "$work/err" | tail -5
        failed=1
    fi
}

refuses() { # description command... : must exit non-zero with one line
    what=$1
    shift
    refuses_saying "$what" '' "$@"
}

# must succeed with one 'pd-rnn: warning: ' line matching a regular
# expression among the lines on standard error
warns() { # description pattern command...
    what=$1
    pattern=$2
    shift 2
    if ! "$@" >"$work/out" 2>"$work/err"; then
        echo "FAIL $what: exit non-zero"
        sed 's/^/  | /' "$work/err" | tail -5
        failed=1
    elif [ "$(grep -c '^pd-rnn: warning: ' "$work/err")" -eq 1 ] &&
        grep '^pd-rnn: warning: ' "$work/err" | grep -Eq -e "$pattern"; then
        echo "PASS $what: $(grep '^pd-rnn: warning: ' "$work/err")"
    else
        echo "FAIL $what: not one warning saying /$pattern/"
        sed 's/^/  | /' "$work/err" | tail -5
        failed=1
    fi
}
