#!/usr/bin/env bash
# Installs the Debian packages the Python side needs, only those missing.
set -euo pipefail
pkgs=(python3 python3-torch python3-onnx python3-numpy python3-pil python3-pytest python3-tqdm python3-matplotlib python3-jsonschema python3-flake8 black dataset-fashion-mnist
      python3-fonttools fonts-noto-color-emoji unicode-data)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
