#!/usr/bin/env bash
# Installs the Debian packages the deployment checks need (tests/deploy), only those missing: a single-node
# Slurm cluster (slurmctld, slurmd, the client commands, munge), the Kubernetes schema (python3-kubernetes:
# its models are generated from the Kubernetes OpenAPI document), YAML, and the static busybox the images
# carry (the init step's script is run with it).
set -euo pipefail
pkgs=(slurmctld slurmd slurm-client munge python3-kubernetes python3-yaml busybox-static)
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
