#!/bin/sh
# The library as users get it: "make install" into an empty folder, then
# headless Pd with only that folder on its path opens every installed help
# patch without an error, and a patch elsewhere creates the objects with
# [declare -lib rnn]; "make dist" makes the deken package, named and laid
# out as deken expects, which works the same once unpacked.
# One line per check, PASS or FAIL; exits non-zero when one failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-rnn-dist.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
failed=0

pass() { echo "PASS $*"; }
fail() {
    echo "FAIL $*"
    failed=1
}
# the last lines of a log, indented, after a FAIL
show() { tail -n "${2:-10}" "$1" | sed 's/^/  | /'; }

# ------------------------------------------------------------ install

make -C "$top" --no-print-directory install DESTDIR="$work/destdir" \
    PDLIBDIR=/lib/pd/extra >"$work/install.log" 2>&1
status=$?
lib="$work/destdir/lib/pd/extra/rnn"
if [ "$status" -eq 0 ] && [ -d "$lib" ]; then
    pass "make install DESTDIR=... PDLIBDIR=/lib/pd/extra"
else
    fail "make install exited with $status"
    show "$work/install.log"
    exit 1
fi

# what must be there: the library, README, LICENSE, every help patch
# and whatever else help-patches/ holds, at the same place
missing=""
for file in rnn.pd_linux README.md LICENSE; do
    [ -f "$lib/$file" ] || missing="$missing $file"
done
count=0
for file in $(cd "$top/help-patches" && find . -type f ! -name '.*' \
    ! -name '*~' | sed 's|^\./||'); do
    count=$((count + 1))
    cmp -s "$top/help-patches/$file" "$lib/$file" || missing="$missing $file"
done
# and nothing else
extra=$( (cd "$lib" && find . -type f | sed 's|^\./||') | while read -r file
do
    case $file in
    rnn.pd_linux | README.md | LICENSE) ;;
    *) [ -f "$top/help-patches/$file" ] || echo "$file" ;;
    esac
done | tr '\n' ' ')
[ -z "$extra" ] || fail "installed beyond the library and help-patches/: $extra"
if [ -z "$missing" ] && [ "$count" -gt 0 ]; then
    pass "installed: the library, README.md, LICENSE and $count files of" \
        "help-patches/"
else
    fail "not installed:${missing:- (no help patches)}"
fi
if ls "$top"/rnn*.pd_linux "$lib"/rnn*.pd_linux 2>/dev/null |
    xargs -n1 basename | grep -vqx 'rnn.pd_linux'; then
    fail "another rnn*.pd_linux beside the library"
fi

# A patch that ends Pd a little (logical) time after it opens, so that
# what the help patches start at load time runs first.
cat >"$work/quit.pd" <<'PATCH'
#N canvas 0 50 300 200 12;
#X obj 10 10 loadbang;
#X obj 10 40 delay 500;
#X msg 10 70 \; pd quit;
#X connect 0 0 1 0;
#X connect 1 0 2 0;
PATCH

# Run Pd with only FOLDER on its path (and Pd's own), from an empty
# folder; the output goes to OUT.  Returns Pd's exit status.
run_pd() { # folder out patch...
    folder=$1
    out=$2
    shift 2
    opens=""
    for one in "$@"; do
        opens="$opens -open '$one'"
    done
    mkdir -p "$work/cwd"
    (cd "$work/cwd" && eval timeout 120 pd -nogui -noaudio -batch -stderr \
        -noprefs -verbose -path "'$folder'" $opens -open "'$work/quit.pd'" \
        >"$out" 2>&1 </dev/null)
}

# Did Pd run cleanly: exit 0, every object created, no error, and the
# library loaded from FOLDER (Pd -verbose names the file it loaded)?
clean_run() { # status out folder
    [ "$1" -eq 0 ] || return 1
    grep -q "couldn't create" "$2" && return 1
    grep -Eiq '(^|[^a-z])error' "$2" && return 1
    # the file it loaded, however the path to it was spelled
    loaded=$(sed -n 's/.*tried \(.*rnn\.pd_linux\) and succeeded.*/\1/p' \
        "$2" | head -n 1)
    [ -n "$loaded" ] || return 1
    [ "$(realpath "$loaded")" = "$(realpath "$3/rnn.pd_linux")" ] || return 1
    return 0
}

# every installed patch, each in its own Pd
for patch in $(cd "$lib" && find . -name '*.pd' | sed 's|^\./||' | sort); do
    run_pd "$lib" "$work/pd.log" "$lib/$patch"
    status=$?
    if clean_run "$status" "$work/pd.log" "$lib"; then
        pass "installed $patch opens without an error"
    else
        fail "installed $patch (pd exit $status)"
        grep -Ei "error|couldn't create" "$work/pd.log" | head -5 |
            sed 's/^/  | /'
    fi
done

# a patch anywhere else loads the library by name
mkdir -p "$work/elsewhere"
cat >"$work/elsewhere/uses.pd" <<'PATCH'
#N canvas 0 50 450 300 12;
#X declare -lib rnn;
#X obj 10 10 declare -lib rnn;
#X obj 10 40 loadbang;
#X msg 10 70 list a b a b a b;
#X obj 10 100 rnn.encode dist-test -chars;
#X obj 10 130 rnn.cell dist-test 8;
#X obj 10 160 rnn.decode dist-test;
#X obj 10 190 print dist-test-token;
#X connect 1 0 2 0;
#X connect 2 0 3 0;
#X connect 3 0 4 0;
#X connect 3 1 5 1;
#X connect 4 0 5 0;
#X connect 5 0 6 0;
PATCH
check_elsewhere() { # folder what
    run_pd "$1" "$work/uses.log" "$work/elsewhere/uses.pd"
    status=$?
    if clean_run "$status" "$work/uses.log" "$1" &&
        grep -q '^dist-test-token: ' "$work/uses.log"; then
        pass "$2: [declare -lib rnn] in a patch elsewhere creates the" \
            "objects, which predict"
    else
        fail "$2: a patch elsewhere (pd exit $status)"
        show "$work/uses.log"
    fi
}
check_elsewhere "$lib" "installed"

# ------------------------------------------------------------ dist

version=$(sed -n 's/^#define RNN_VERSION "\([^"]*\)".*/\1/p' \
    "$top/pd-rnn/core/rnn.h")
case $(uname -m) in
x86_64) cpu=amd64 ;;
i?86) cpu=i386 ;;
aarch64) cpu=arm64 ;;
armv7*) cpu=armv7 ;;
*) cpu=$(uname -m) ;;
esac
name="rnn[v$version](Linux-$cpu-32).dek"
make -C "$top" --no-print-directory dist DIST_DIR="$work/dist" \
    >"$work/dist.log" 2>&1
status=$?
if [ "$status" -eq 0 ] && [ -f "$work/dist/$name" ]; then
    pass "make dist: $name"
else
    fail "make dist (exit $status) did not make $name"
    ls "$work/dist" 2>/dev/null | sed 's/^/  | /'
    show "$work/dist.log"
    exit 1
fi
if [ "$(ls "$work/dist")" = "$name" ]; then
    pass "make dist leaves nothing else beside the package"
else
    fail "make dist left: $(ls "$work/dist" | tr '\n' ' ')"
fi

# a ZIP of the folder rnn/, with what the installation has
if unzip -l "$work/dist/$name" >"$work/list" 2>&1; then
    pass "the package is a ZIP file"
else
    fail "unzip cannot list the package"
    show "$work/list"
fi
awk 'NF >= 4 && $1 ~ /^[0-9]+$/ && $4 != "" { print $4 }' "$work/list" |
    sed '/\/$/d' | sort >"$work/entries"
(cd "$lib/.." && find rnn -type f | sort) >"$work/installed"
if cmp -s "$work/entries" "$work/installed"; then
    pass "the package holds rnn/ with the $(wc -l <"$work/entries")" \
        "installed files (library, help patches, README.md, LICENSE)"
else
    fail "the package's files differ from the installed ones"
    diff "$work/installed" "$work/entries" | head -10 | sed 's/^/  | /'
fi
for file in rnn/rnn.pd_linux rnn/README.md rnn/LICENSE \
    rnn/rnn.encode-help.pd rnn/rnn.cell-help.pd rnn/rnn.decode-help.pd; do
    grep -qx "$file" "$work/entries" || fail "the package lacks $file"
done

# unpacked where a user would, it works as the installation does
mkdir -p "$work/unpacked"
if (cd "$work/unpacked" && unzip -q "$work/dist/$name"); then
    check_elsewhere "$work/unpacked/rnn" "unpacked package"
else
    fail "unzip cannot unpack the package"
fi

exit $failed
