#!/bin/sh
# make demo: headless Pd streams an excerpt of tiny Shakespeare through
# [rnn.encode] -> [rnn.cell] -> [rnn.decode], learning live, prints the
# falling loss, then writes a few lines of its own (demo/shakespeare.pd).
#
# usage: sh demo/run.sh            (from any working directory)
#
# Environment:
#   PD            the Pd binary (default: pd)
#   DEMO_TIMEOUT  seconds before Pd is stopped (default: 290)
#
# Exits non-zero when Pd fails, times out, cannot create an object, prints
# an error, or ends without the demo's summary line.

set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 2
root=$(cd "$here/.." && pwd) || exit 2
pd_bin=${PD:-pd}
limit=${DEMO_TIMEOUT:-290}

if ! command -v "$pd_bin" >/dev/null 2>&1; then
    echo "demo: '$pd_bin' not found (Debian: apt-get install puredata-core)" >&2
    exit 2
fi
if [ ! -f "$root/rnn.pd_linux" ]; then
    echo "demo: $root/rnn.pd_linux is missing: run make first" >&2
    exit 2
fi

log=$(mktemp "${TMPDIR:-/tmp}/pd-rnn-demo.XXXXXX") || exit 2
trap 'rm -f "$log" "$log.rc"' EXIT
trap 'exit 130' INT TERM

# -nrt: no real-time priority, so no pd-watchdog, which would otherwise
# print "watchdog: signaling pd..." while -batch keeps Pd busy.
# Pd prints to standard error; it is shown as it comes and kept to check.
{
    timeout "$limit" "$pd_bin" -nrt -nogui -noaudio -batch -stderr -noprefs \
        -path "$root" -open "$here/shakespeare.pd" 2>&1
    echo $? >"$log.rc"
} | tee "$log"

rc=$(cat "$log.rc" 2>/dev/null || echo 1)
if [ "$rc" = 124 ]; then
    echo "demo: FAILED: Pd did not finish within $limit s" >&2
    exit 1
elif [ "$rc" != 0 ]; then
    echo "demo: FAILED: Pd exited with status $rc" >&2
    exit 1
elif grep -q "couldn't create" "$log"; then
    echo "demo: FAILED: Pd could not create an object (see above)" >&2
    exit 1
elif grep -q "^error:" "$log"; then
    echo "demo: FAILED: Pd reported an error (see above)" >&2
    exit 1
elif ! grep -q "^demo: summary:" "$log"; then
    echo "demo: FAILED: the patch ended without its summary" >&2
    exit 1
fi
exit 0
