#!/bin/sh
# Do the help patches document what the code accepts, and only that?
#
# For each class the sources register (class_new(gensym("rnn.X"), ...)),
# help-patches/rnn.X-help.pd must exist, and its [pd reference] subpatch
# must list, under INLET(S), every method the class answers and no other,
# and under FLAGS every creation flag it parses and no other.
#
# From the C sources:
#   methods  the names compared in the class's own file
#            (s == gensym("window")), its class_addmethod()s, and, when it
#            calls rnn_common_method(), the names rnn_shared.c compares
#            there (strcmp(name, "reset"));
#   flags    every strcmp(..., "-flag") in the class's file.
# Two names are the library's own plumbing, not messages for users, and
# need no entry: "callback" (the answer of a file dialog) and "rnn-model"
# (the model a -k cell keeps in the patch, read back by Pd).
#
# From a help patch: the [pd reference] subpatch, split into sections by
# the labels of its [cnv] bars (INLETS:, OUTLETS:, ARGUMENTS:, FLAGS:);
# one comment per entry, "name <args> - what it does".  The first word of
# an entry under INLET(S) is a method, unless it is a type (float, symbol,
# list, anything, bang, pointer); the first word of an entry under FLAGS
# is a flag.
#
# Also checked: the values the core takes by name (cell types, optimizers,
# the activations "array" draws) are named in the reference of each class
# that takes them; each help patch loads the library with a [declare -lib
# rnn] object and the "#X declare" record, names the other classes, and
# says "updated for pd-rnn VERSION" with the version of rnn.h, and opens
# every other patch of help-patches/ (the tutorials) from its [pd
# tutorials] subpatch, through messages "symbol FILE.pd" naming files that
# exist.
#
# Prints one line per check beginning "PASS " or "FAIL "; exits 1 when a
# check failed.  POSIX sh and awk only.

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/pd-rnn"
help="$root/help-patches"
internal="callback rnn-model"
failed=0

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failed=1; }

# The statements of a C file, one a line (a call may span lines).
statements() { # file
    awk 'BEGIN { RS = ";" } { gsub(/[ \t\n]+/, " "); print }' "$1"
}

# The quoted words in the body of one C function.
function_words() { # file function
    awk -v fn="$2" '
        $0 ~ "^[a-z].*[ *]" fn "\\(" { inside = 1 }
        inside { print }
        inside && /^}/ { exit }
    ' "$1" | grep -o '"[a-z][a-z0-9-]*"' | tr -d '"' | sort -u
}

# The methods a class answers: its own names and the common ones.
code_methods() { # file
    {
        statements "$1" | grep -o 's == gensym("[^"]*")' |
            sed 's/.*gensym("\([^"]*\)")/\1/'
        statements "$1" | grep 'class_addmethod(' |
            grep -o 'gensym("[^"]*")' | sed 's/gensym("\([^"]*\)")/\1/'
        if grep -q 'rnn_common_method(' "$1"; then
            awk '/^int rnn_common_method\(/ { inside = 1 }
                 inside { print }
                 inside && /^}/ { exit }' "$src/rnn_shared.c" |
                grep -o 'strcmp(name, "[^"]*")' |
                sed 's/.*"\([^"]*\)")/\1/'
        fi
    } | sort -u | while read -r name; do
        case " $internal " in
        *" $name "*) ;;
        *) echo "$name" ;;
        esac
    done
}

code_flags() { # file
    statements "$1" | grep -o 'strcmp([^()]*, "-[a-z][a-z0-9-]*")' |
        sed 's/.*"\(-[^"]*\)")/\1/' | sort -u
}

# The reference subpatch of a help patch as lines "SECTION<TAB>text":
# every comment, under the label of the nearest [cnv] bar above it.
reference_entries() { # help-patch
    awk '
        # join the lines of a record: it ends with a ";" not escaped
        {
            record = record (record == "" ? "" : " ") $0
            if ($0 !~ /;$/ || $0 ~ /\\;$/)
                next
            line = record
            record = ""
            split(line, f, " ")
            if (f[1] == "#N" && f[2] == "canvas") {
                depth++
                if (f[7] == "reference" && !ref)
                    ref = depth
                next
            }
            if (f[1] == "#X" && f[2] == "restore") {
                if (depth == ref)
                    ref = -1
                depth--
                next
            }
            if (depth != ref)
                next
            # the bars of sections: INLETS:, FLAGS: ... (not 1st:, 2nd:)
            if (f[2] == "obj" && f[5] == "cnv" && f[11] ~ /^[A-Z]+:$/) {
                label[++bars] = f[11]
                bary[bars] = f[4] + 0
            } else if (f[2] == "text") {
                text = line
                sub(/^#X text -?[0-9]+ -?[0-9]+ /, "", text)
                sub(/, f [0-9]+;$/, "", text)
                sub(/;$/, "", text)
                texts[++count] = text
                texty[count] = f[4] + 0
            }
        }
        END {
            if (ref == 0)
                exit 1
            for (i = 1; i <= count; i++) {
                section = "none"
                best = -1
                for (b = 1; b <= bars; b++)
                    if (bary[b] <= texty[i] && bary[b] > best) {
                        best = bary[b]
                        section = label[b]
                    }
                print section "\t" texts[i]
            }
        }
    ' "$1"
}

# The first words of the entries of some sections ("name ... - what").
entry_names() { # entries-file section-regex
    awk -F '\t' -v want="$2" '
        $1 ~ want && $2 ~ / - / { split($2, w, " "); print w[1] }
    ' "$1" | sort -u
}

# Compare two sorted lists; report what is missing on either side.
compare() { # class what code-list reference-list
    missing=$(comm -23 "$3" "$4")
    extra=$(comm -13 "$3" "$4")
    for name in $missing; do
        fail "$1: $2 '$name' is accepted by the code but not in" \
            "[pd reference]"
    done
    for name in $extra; do
        fail "$1: $2 '$name' is in [pd reference] but the code has no" \
            "such $2"
    done
    count=$(wc -l <"$3" | tr -d ' ')
    if [ -n "$missing$extra" ]; then
        :
    elif [ "$count" -eq 0 ]; then
        pass "$1: no ${2}s in the code, none in [pd reference]"
    else
        pass "$1: the $count ${2}s of the code are those of [pd reference]"
    fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/help-reference.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

version=$(sed -n 's/^#define RNN_VERSION "\(.*\)"/\1/p' "$src/core/rnn.h")
types=$(function_words "$src/core/model.c" rnn_cell_type_name)
optims=$(function_words "$src/core/model.c" rnn_optim_name)
activations=$(function_words "$src/core/model.c" rnn_model_activation_code)
if [ -z "$version" ] || [ -z "$types" ] || [ -z "$optims" ] ||
    [ -z "$activations" ]; then
    fail "the version, cell types, optimizers or activations could not be" \
        "read from pd-rnn/core (rnn.h, model.c)"
fi

classes=""
for file in "$src"/rnn_*.c; do
    class=$(grep -o 'class_new(gensym("rnn\.[a-z]*")' "$file" |
        sed 's/.*"\(.*\)")/\1/')
    [ -n "$class" ] && classes="$classes $class:$file"
done
[ -n "$classes" ] || fail "no class found in pd-rnn/rnn_*.c"

for entry in $classes; do
    class=${entry%%:*}
    file=${entry#*:}
    patch="$help/$class-help.pd"
    if [ ! -f "$patch" ]; then
        fail "$class: no help patch help-patches/$class-help.pd"
        continue
    fi
    if ! reference_entries "$patch" >"$work/entries"; then
        fail "$class: the help patch has no [pd reference] subpatch"
        continue
    fi

    # methods and flags, both ways
    code_methods "$file" >"$work/code-methods"
    entry_names "$work/entries" '^INLETS?:$' |
        grep -v -x -e float -e symbol -e list -e anything -e bang \
            -e pointer >"$work/ref-methods"
    compare "$class" method "$work/code-methods" "$work/ref-methods"
    code_flags "$file" >"$work/code-flags"
    entry_names "$work/entries" '^FLAGS:$' >"$work/ref-flags"
    compare "$class" flag "$work/code-flags" "$work/ref-flags"
    if entry_names "$work/entries" '^(ARGUMENTS|OUTLETS?):$' |
        grep -q '^-'; then
        fail "$class: a flag is listed outside the FLAGS section"
    fi

    # the values taken by name
    words=""
    grep -q -x optim "$work/code-methods" && words="$words $optims"
    grep -q -x -e -type "$work/code-flags" && words="$words $types"
    grep -q -x array "$work/code-methods" && [ "$class" = rnn.cell ] &&
        words="$words $activations"
    grep -q -x array "$work/code-methods" && [ "$class" = rnn.decode ] &&
        words="$words probs"
    absent=""
    for word in $words; do
        cut -f 2 "$work/entries" | tr -c 'a-z0-9-' '\n' | grep -q -x "$word" ||
            absent="$absent $word"
    done
    if [ -n "$absent" ]; then
        fail "$class: [pd reference] does not name:$absent"
    elif [ -n "$words" ]; then
        pass "$class: [pd reference] names every value taken by name" \
            "($(echo "$words" | wc -w | tr -d ' '))"
    fi

    # loading, see also, version
    if grep -Eq '^#X declare (-path \.\. )?-lib rnn' "$patch" &&
        grep -Eq '^#X obj [0-9-]+ [0-9-]+ declare (-path \.\. )?-lib rnn' "$patch"; then
        pass "$class: the help patch loads the library with [declare -lib rnn]"
    else
        fail "$class: the help patch needs a [declare -lib rnn] object" \
            "and its '#X declare -lib rnn' record"
    fi
    others=""
    for other in $classes; do
        other=${other%%:*}
        [ "$other" = "$class" ] && continue
        grep -q "^#X obj [0-9-]* [0-9-]* $other;" "$patch" ||
            others="$others $other"
    done
    if [ -n "$others" ]; then
        fail "$class: the help patch does not show [$others ] (see also)"
    else
        pass "$class: the help patch shows the other classes (see also)"
    fi
    # the tutorials beside the help patches, linked from [pd tutorials]
    # by messages "symbol FILE.pd": every one linked, every link a file
    linked=$(sed -n 's/^#X msg [0-9-]* [0-9-]* symbol \([^ ;]*\.pd\);$/\1/p' \
        "$patch" | sort -u)
    present=$(for file in "$help"/*.pd; do
        case "$file" in
        *-help.pd) ;;
        *) [ -f "$file" ] && basename "$file" ;;
        esac
    done | sort)
    broken=""
    for file in $linked; do
        [ -f "$help/$file" ] || broken="$broken $file"
    done
    unlinked=""
    for file in $present; do
        echo "$linked" | grep -q -x -F "$file" || unlinked="$unlinked $file"
    done
    if [ -n "$broken" ]; then
        fail "$class: the help patch opens missing patches:$broken"
    fi
    if [ -n "$unlinked" ]; then
        fail "$class: [pd tutorials] does not open:$unlinked"
    fi
    if [ -z "$broken$unlinked" ] && [ -n "$present" ]; then
        pass "$class: the help patch opens the" \
            "$(echo "$present" | wc -l | tr -d ' ') tutorials of help-patches/"
    fi
    if grep -q "updated for pd-rnn $version" "$patch"; then
        pass "$class: the help patch is updated for pd-rnn $version"
    else
        fail "$class: the help patch does not say 'updated for pd-rnn" \
            "$version'"
    fi
done

exit "$failed"
