#!/usr/bin/env bash
# Installs Debian's chromium + chromium-driver for the explorer's real-browser test, only those missing.
# Where they cannot be installed (no apt, no root, no network) the test skips and prints why; so does this script.
set -uo pipefail
pkgs=(chromium chromium-driver)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "setup-browser: no apt-get here; the browser test will be skipped (needs ${missing[*]})"; exit 0
fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo_cmd=(sudo); else
    echo "setup-browser: not root and no sudo; the browser test will be skipped (needs ${missing[*]})"; exit 0
  fi
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q \
  && "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" \
  || echo "setup-browser: could not install ${missing[*]}; the browser test will be skipped"
exit 0
