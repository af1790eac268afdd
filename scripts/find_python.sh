#!/usr/bin/env bash
# Print the absolute path of a working Python >= 3.12 interpreter, or exit 1.
#
# Candidates, in order: $PYTHON (if set); python3.13, python3.12, python3 on PATH;
# pyenv-installed 3.13.x / 3.12.x (under `pyenv root` and ~/.pyenv); /usr/bin/python3.13,
# /usr/bin/python3.12. Every candidate is actually run before it is accepted: pyenv shims
# exist on PATH even when the version behind them is not selected, and then they fail.
set -u

ok() {
    # True if "$1" runs and is Python >= 3.12.
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1
}

emit() {
    # Print the interpreter's real path and stop.
    "$1" -c 'import sys; print(sys.executable)' 2>/dev/null && exit 0
}

if [ -n "${PYTHON:-}" ]; then
    if ok "$PYTHON"; then
        emit "$PYTHON"
    fi
    echo "find_python.sh: PYTHON=$PYTHON is not a working Python >= 3.12; trying others" >&2
fi

for c in python3.13 python3.12 python3; do
    if command -v "$c" >/dev/null 2>&1 && ok "$c"; then
        emit "$c"
    fi
done

roots=()
if command -v pyenv >/dev/null 2>&1; then
    r=$(pyenv root 2>/dev/null) && [ -n "$r" ] && roots+=("$r")
fi
roots+=("${HOME:-/root}/.pyenv")

for r in "${roots[@]}"; do
    for minor in 3.13 3.12; do
        # Newest patch release first.
        for d in $(ls -d "$r/versions/$minor"* 2>/dev/null | sort -rV); do
            for c in "$d/bin/python3" "$d/bin/python$minor"; do
                if [ -x "$c" ] && ok "$c"; then
                    emit "$c"
                fi
            done
        done
    done
done

for c in /usr/bin/python3.13 /usr/bin/python3.12; do
    if [ -x "$c" ] && ok "$c"; then
        emit "$c"
    fi
done

echo "No Python >= 3.12 found. Install python3.12 or python3.13" \
    "(e.g. apt-get install python3.12 / pyenv install 3.12)" \
    "or set PYTHON=/path/to/python3.12" >&2
exit 1
