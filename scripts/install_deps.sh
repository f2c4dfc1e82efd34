#!/bin/bash
# Install the Debian 12 packages solidanode needs, if any are missing.
# As root: installs them with apt-get. Otherwise: prints the one command to
# run and exits with status 1.
set -euo pipefail

packages=(
  g++ make cmake pkg-config git
  libdeal.ii-dev petsc-dev libopenmpi-dev openmpi-bin libhdf5-openmpi-dev
  libvtk9-dev libyaml-cpp-dev libgtest-dev
  # reading VTK files from Python (checks) and the pictures of
  # postprocess/render.py (VTK off-screen rendering into xvfb; python3-vtk9
  # installs next to libvtk9-dev, unlike python3-paraview)
  python3-vtk9 python3-numpy xvfb xauth
  # reading XDMF output from Python (postprocess/read_xdmf.py)
  python3-h5py
  # summary plots (postprocess/plot_summary.py)
  python3-matplotlib
)

# Optional, only for `make fuzz` (scripts/install_deps.sh --fuzz): clang with
# libFuzzer and the sanitizer runtimes.
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "solidanode: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Install them with:"
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
