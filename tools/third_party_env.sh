#!/usr/bin/env bash
# Environments for the opt-in checks of third-party losses (tests/test_third_party.py, marker
# `third_party`). Never run by .ci/run: the default test run does not need them.
#
#   bash tools/third_party_env.sh light VENV   torch 2.13.0 CPU (the project's pin) and MONAI, which
#                                              needs nothing else (numpy)
#   bash tools/third_party_env.sh full VENV    torch 2.14.1 + torchvision 0.29.1 (about 5.5 GB, from
#                                              this machine's local wheels), segmentation_models_pytorch,
#                                              timm and MONAI
#
# timm and segmentation_models_pytorch import torchvision when they are imported (timm's
# layers/create_norm.py, every timm release tried back to 0.9.16), and torchvision does not import
# next to the torch 2.13.0 CPU wheel, so both need the full environment.
#
# Then: VENV/bin/python -m pytest -m third_party tests/test_third_party.py
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -ne 2 ] || { [ "$1" != light ] && [ "$1" != full ]; }; then
    echo "usage: bash tools/third_party_env.sh light|full VENV" >&2
    exit 2
fi
mode=$1
venv=$2

python3 -m venv "$venv"
# shellcheck disable=SC1091
source "$venv/bin/activate"
python -m pip install --quiet --upgrade pip

case "$mode" in
light)
    pip install torch==2.13.0
    pip install -e '.[test]'
    pip install monai==1.6.1
    ;;
full)
    pip install torch==2.14.1 torchvision==0.29.1
    pip install -e '.[test]'
    pip install segmentation-models-pytorch==0.6.0 timm==1.0.31 monai==1.6.1
    ;;
esac
python - <<'PY'
import importlib

import torch

print("torch", torch.__version__)
for name in ("monai", "timm", "segmentation_models_pytorch", "torchvision"):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        print(f"{name}: not importable ({exc})")
    else:
        print(name, getattr(module, "__version__", "?"))
PY
