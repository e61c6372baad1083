#!/usr/bin/env bash
# One idempotent set-up: Debian libraries, .venv, pinned Python dependencies, the package (editable),
# and, where ../shared/tools/ros2-jazzy exists, the ROS 2 CLI, launch and colcon (for the launch tests).
# A second run only checks stamps and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
STAMP="$VENV/.kd_grasp_setup_stamp"

apt_packages=(libusb-1.0-0 libosmesa6 libgl1 libegl1)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x "$VENV/bin/python" ] || { echo "[setup] creating $VENV"; "$PY" -m venv "$VENV"; }

install_ros2_tools() {
  # ros2 CLI + launch + colcon from ../shared (KD_GRASP_SHARED), once per venv and tools version
  local shared=${KD_GRASP_SHARED:-$ROOT/../shared}
  local tools="$shared/tools/ros2-jazzy"
  local tools_stamp="$VENV/.kd_grasp_ros2_tools_stamp"
  [ -x "$tools/install.sh" ] || { echo "[setup] no $tools: launch tests will skip"; return 0; }
  local tools_want
  tools_want=$(cat "$tools/install.sh" "$tools/PROVENANCE.md" 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ -f "$tools_stamp" ] && [ "$(cat "$tools_stamp")" = "$tools_want" ] && [ -x "$VENV/bin/ros2" ]; then
    return 0
  fi
  echo "[setup] installing the ROS 2 launch tools from $tools into $VENV"
  "$tools/install.sh" "$VENV/bin/python"
  echo "$tools_want" > "$tools_stamp"
}

want=$(cat requirements.txt setup.py package.xml | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  install_ros2_tools
  echo "[setup] up to date ($VENV)"
  exit 0
fi
echo "[setup] installing Python dependencies into $VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
"$VENV/bin/python" -m pip install -q -r requirements.txt
"$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
echo "$want" > "$STAMP"
install_ros2_tools
echo "[setup] done"
