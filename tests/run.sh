#!/bin/bash
# Run pd-rnn's tests: the unit test binaries of the core, then every patch
# in tests/pd/ in its own headless Pd.
#
# usage: tests/run.sh [--pd-only|--unit-only] [PATCH_NAME...]
#
# Environment:
#   UNIT_TESTS   space-separated paths of unit test executables (may be
#                empty).  Each prints one line per check beginning "PASS "
#                or "FAIL " and exits non-zero when a check fails.
#   RNN_LIB_DIR  the folder holding rnn.pd_linux (default: the repo root)
#   PD           the Pd binary (default: pd)
#
# A patch tests/pd/NAME.pd loads the library itself with [declare -lib rnn]
# and ends itself with a message box "; pd quit".  It passes when
#   - Pd exits 0 (no crash, no timeout),
#   - no line of its output says "couldn't create",
#   - every line of tests/pd/NAME.expect is found in the output, in order:
#     a line is a fixed string matched against a whole output line (trailing
#     whitespace trimmed on both sides), or, when it starts with "~ ", an
#     extended regular expression (bash's =~) searched for in one output
#     line; blank lines are skipped,
#   - every output line containing "error:" is expected: it matches a
#     regular expression of the optional tests/pd/NAME.errors (one a line),
#     or is matched by a line of NAME.expect that starts with "error:" (or
#     "~ error:" / "~ ^error:").
#
# Prints "ok NAME" or "FAIL NAME" with the reason and the last 30 lines of
# output, and ends with one line "N passed, N failed".  Exits non-zero when
# anything failed.

# The Makefile runs "sh tests/run.sh": hand over to bash when sh is not it.
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi

set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
pd_dir="$here/pd"
lib_dir=${RNN_LIB_DIR:-$root}
pd_bin=${PD:-pd}
pd_timeout=300
unit_timeout=${UNIT_TIMEOUT:-600}

run_unit=1
run_pd=1
names=()
for arg in "$@"; do
    case "$arg" in
    --pd-only) run_unit=0 ;;
    --unit-only) run_pd=0 ;;
    -h | --help)
        sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    -*)
        echo "run.sh: unknown option $arg" >&2
        exit 2
        ;;
    *) names+=("$arg") ;;
    esac
done

passed=0
failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-rnn-tests.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

# Show why a test failed, with the tail of what it printed.
report_failure() { # name reason output-file
    echo "FAIL $1"
    echo "  reason: $2"
    if [ -s "$3" ]; then
        echo "  last 30 lines of output:"
        tail -n 30 "$3" | sed 's/^/  | /'
    fi
}

# Describe an exit status: crash, timeout or plain non-zero.
describe_status() { # status
    if [ "$1" -eq 124 ]; then
        echo "timed out"
    elif [ "$1" -gt 128 ]; then
        echo "killed by signal $(($1 - 128)) (crash)"
    else
        echo "exited with status $1"
    fi
}

# ------------------------------------------------------------ unit tests

if [ "$run_unit" -eq 1 ]; then
    for unit in ${UNIT_TESTS:-}; do
        name=$(basename "$unit")
        out="$work/unit-$name.out"
        if [ ! -x "$unit" ]; then
            echo "not an executable" >"$out"
            report_failure "$name" "$unit is not an executable" "$out"
            failed=$((failed + 1))
            continue
        fi
        # (braces, so that bash's own "Aborted" notice stays quiet)
        { timeout "$unit_timeout" "$unit" >"$out" 2>&1; } 2>/dev/null
        status=$?
        n_pass=$(grep -c '^PASS ' "$out")
        n_fail=$(grep -c '^FAIL ' "$out")
        passed=$((passed + n_pass))
        failed=$((failed + n_fail))
        if [ "$status" -ne 0 ] && [ "$n_fail" -eq 0 ]; then
            failed=$((failed + 1))
            report_failure "$name" \
                "$(describe_status "$status") with no FAIL line" "$out"
        elif [ "$n_fail" -gt 0 ]; then
            echo "FAIL $name ($n_pass passed, $n_fail failed)"
            grep '^FAIL ' "$out" | sed 's/^/  /'
            if [ "$status" -ne 0 ]; then
                echo "  $(describe_status "$status")"
            fi
        else
            echo "ok $name ($n_pass checks)"
        fi
    done
fi

# ------------------------------------------------------------ patches

# Does one output line match one line of a .expect file?
matches() { # pattern line
    if [ "${1:0:2}" = "~ " ]; then
        [[ $2 =~ ${1:2} ]]
    else
        [ "$1" = "$2" ]
    fi
}

# Check a patch's output against its .expect and .errors files; print the
# reason of the first failure and return 1, or return 0.
check_output() { # output expect-file errors-file
    local line pattern allowed next=0
    local -a expect=() error_expect=() errors=()
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%"${line##*[![:space:]]}"}
        [ -n "$line" ] || continue
        expect+=("$line")
        case "$line" in
        error:* | "~ error:"* | "~ ^error:"*) error_expect+=("$line") ;;
        esac
    done <"$2"
    if [ -n "$3" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            line=${line%"${line##*[![:space:]]}"}
            [ -n "$line" ] && errors+=("$line")
        done <"$3"
    fi
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%"${line##*[![:space:]]}"}
        if [ "$next" -lt ${#expect[@]} ] &&
            matches "${expect[$next]}" "$line"; then
            next=$((next + 1))
        fi
        case "$line" in
        *error:*)
            allowed=0
            for pattern in "${errors[@]}"; do
                [[ $line =~ $pattern ]] && allowed=1 && break
            done
            if [ "$allowed" -eq 0 ]; then
                for pattern in "${error_expect[@]}"; do
                    matches "$pattern" "$line" && allowed=1 && break
                done
            fi
            if [ "$allowed" -eq 0 ]; then
                echo "unexpected error: $line"
                return 1
            fi
            ;;
        esac
    done <"$1"
    if [ "$next" -lt ${#expect[@]} ]; then
        echo "line $((next + 1)) of $(basename "$2") not found" \
            "(in order): ${expect[$next]}"
        return 1
    fi
    return 0
}

if [ "$run_pd" -eq 1 ]; then
    if [ ! -e "$lib_dir/rnn.pd_linux" ]; then
        echo "note: $lib_dir/rnn.pd_linux does not exist (not built yet?)"
    fi
    if [ ${#names[@]} -eq 0 ]; then
        patches=("$pd_dir"/*.pd)
    else
        patches=()
        for name in "${names[@]}"; do
            patches+=("$pd_dir/${name%.pd}.pd")
        done
    fi
    for patch in "${patches[@]}"; do
        [ -e "$patch" ] || {
            if [ ${#names[@]} -gt 0 ]; then
                report_failure "$(basename "$patch" .pd)" "no such patch" \
                    /dev/null
                failed=$((failed + 1))
            fi
            continue
        }
        name=$(basename "$patch" .pd)
        out="$work/$name.out"
        expect="$pd_dir/$name.expect"
        errors="$pd_dir/$name.errors"
        [ -e "$expect" ] || expect=""
        [ -e "$errors" ] || errors=""
        { timeout "$pd_timeout" "$pd_bin" -nogui -noaudio -batch -stderr \
            -noprefs -path "$lib_dir" -open "$patch" >"$out" 2>&1 \
            </dev/null; } 2>/dev/null
        status=$?
        if [ "$status" -ne 0 ]; then
            reason="pd $(describe_status "$status")"
        elif grep -q "couldn't create" "$out"; then
            # Pd names the object on the line before "... couldn't create"
            culprit=$(grep -m1 -B1 "couldn't create" "$out" | head -n1)
            reason="an object couldn't be created: ${culprit#verbose(*): }"
        elif [ -z "$expect" ]; then
            reason="no $name.expect file"
        else
            reason=$(check_output "$out" "$expect" "$errors")
        fi
        if [ -z "$reason" ]; then
            echo "ok $name"
            passed=$((passed + 1))
        else
            report_failure "$name" "$reason" "$out"
            failed=$((failed + 1))
        fi
    done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
