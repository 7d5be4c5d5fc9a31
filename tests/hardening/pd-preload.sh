#!/bin/sh
# Pd with the sanitizer runtimes preloaded (HARDEN_PRELOAD, set by
# mk/hardening.mk), so that a library built with -fsanitize=address,undefined
# loads into Debian's uninstrumented Pd.  tests/run.sh runs it as $PD.
LD_PRELOAD="$HARDEN_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}" \
    exec "${HARDEN_PD:-pd}" "$@"
