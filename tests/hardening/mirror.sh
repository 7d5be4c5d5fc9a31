#!/bin/sh
# Mirror the library's sources into another folder as symbolic links, so
# that pd-lib-builder, which writes each object next to its source, can
# build a second copy of rnn.pd_linux there with other flags (sanitizers,
# double precision) without touching the normal build.  Make follows the
# links, so a changed source is rebuilt; links to sources that are gone
# are removed.  Whenever FLAGS differs from the flags of the last build
# there, the folder is emptied first, so no object of other flags is kept.
#
# usage: tests/hardening/mirror.sh DEST FLAGS...
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
dest=$1
shift
flags="$*"

if [ -f "$dest/.flags" ] && [ "$(cat "$dest/.flags")" != "$flags" ]; then
    rm -rf "$dest"
fi
mkdir -p "$dest"
printf '%s\n' "$flags" >"$dest/.flags"

# every link whose source is gone goes (find -L lists dangling links)
find -L "$dest" -type l -exec rm -f {} +

cd "$root"
for file in Makefile mk/*.mk $(find pd-rnn -name '*.c' -o -name '*.h'); do
    [ -e "$file" ] || continue
    mkdir -p "$dest/$(dirname "$file")"
    ln -sfn "$root/$file" "$dest/$file"
done
