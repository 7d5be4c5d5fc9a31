#!/bin/sh
# Double precision: Debian ships no double-precision Pd (no pd64 package),
# so the library is only compiled for it (by mk/hardening.mk, with the
# warnings as errors, into DIR/64 beside a single-precision control in
# DIR/32).  What can be checked without running it:
#
#  1. The core never sees t_float: its objects are the same bytes whether
#     PD_FLOATSIZE is 32 or 64, so the model file (written and read by the
#     core only) means the same in both precisions.
#  2. Where t_float meets the core's float, the conversion is written out:
#     the Pd glue compiled for double precision with -Wfloat-conversion has
#     no implicit narrowing from t_float (double) to float.  The places it
#     flags are listed, so that each is a known boundary.
#
# usage: tests/hardening/precision.sh DIR CORE_SOURCE...
#        (after make check-double, which passes the library's core sources)
set -u
dir=$1
shift
cc=${HARDEN_CC:-gcc}
root=$(cd "$(dirname "$0")/../.." && pwd)
passed=0
failed=0

for lib in "$dir/64/rnn.pd_linux" "$dir/32/rnn.pd_linux"; do
    if [ -f "$lib" ]; then
        echo "ok built $(echo "$lib" | sed "s|^$root/||")"
        passed=$((passed + 1))
    else
        echo "FAIL no $lib"
        failed=$((failed + 1))
    fi
done

# 1. the core's objects do not depend on PD_FLOATSIZE
same=1
for src in "$@"; do
    name=$(basename "$src" .c)
    src=$root/$src
    for size in 32 64; do
        $cc -std=gnu11 -O2 -fopenmp-simd -fno-trapping-math \
            -DPD_FLOATSIZE=$size -c "$src" -o "$dir/core-$name-$size.o" ||
            same=0
    done
    cmp -s "$dir/core-$name-32.o" "$dir/core-$name-64.o" || {
        echo "  core/$name.c compiles differently for PD_FLOATSIZE 64"
        same=0
    }
done
if [ "$same" -eq 1 ]; then
    echo "ok the core is the same code in both precisions"
    passed=$((passed + 1))
else
    echo "FAIL the core depends on PD_FLOATSIZE"
    failed=$((failed + 1))
fi

# 2. every narrowing from t_float is explicit in the glue
pdinclude=$(dirname "$(find /usr/include -name m_pd.h | head -n 1)")
narrowing=0
for src in "$root"/pd-rnn/*.c; do
    $cc -std=gnu11 -fsyntax-only -DPD -DPD_FLOATSIZE=64 -I"$pdinclude" \
        -Wfloat-conversion "$src" 2>&1 | grep 'warning:' >>"$dir/narrowing"
done
narrowing=$(wc -l <"$dir/narrowing")
if [ "$narrowing" -eq 0 ]; then
    echo "ok no implicit narrowing of t_float in the glue"
    passed=$((passed + 1))
else
    echo "FAIL $narrowing implicit narrowings of t_float (double) in the glue:"
    sed "s|^$root/||; s/^/  /" "$dir/narrowing"
    failed=$((failed + 1))
fi
rm -f "$dir/narrowing" "$dir"/core-*.o
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
