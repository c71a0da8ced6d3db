#!/usr/bin/env bash
# Prints the first interpreter that can import torch; Debian's /usr/bin/python3 is tried first
# because the python3 first on PATH may be another one (pyenv) without Debian's packages.
for p in /usr/bin/python3 python3 python; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import torch' >/dev/null 2>&1; then
    command -v "$p"; exit 0
  fi
done
echo /usr/bin/python3
