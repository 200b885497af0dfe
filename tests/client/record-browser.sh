#!/bin/sh
# A stand-in browser for the signetctl tests. Records its arguments in $SIGNET_TEST_BROWSER_LOG (their
# count, then one per line) and writes to its stdout, which signetctl must send to its own stderr.
log=${SIGNET_TEST_BROWSER_LOG:?}
{
    printf '%s\n' "$#"
    for argument in "$@"; do
        printf '%s\n' "$argument"
    done
} > "$log.tmp"
mv "$log.tmp" "$log"
echo "browser-stdout-marker"
