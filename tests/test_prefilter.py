"""The byte prefilter: a library's loss names count only where that library is imported."""

from __future__ import annotations

import pytest

from seglint.analysis.libraries import DEFAULT, build_catalogue
from seglint.prefilter import could_match, imported_libraries
from seglint.providers import Providers
from seglint.rules import RULES_BY_CODE

ALL = frozenset(RULES_BY_CODE)

OWN_DICE = """\
import torch


class DiceLoss(torch.nn.Module):
    def forward(self, probs, y):
        return 1 - (probs * y).sum()


loss = DiceLoss()(torch.softmax(x, 1), y)
"""


USES = "import torch\n\nloss = DiceLoss()(torch.softmax(x, 1), y)\n"


def test_a_project_s_own_loss_named_like_a_library_s_is_not_a_trigger() -> None:
    assert not could_match(OWN_DICE, ALL, DEFAULT, cross_module=True)


@pytest.mark.parametrize(
    "imports",
    [
        "from monai.losses import DiceLoss\n",
        "import monai\n",
        "import os, monai.losses as L\n",
        "    from segmentation_models_pytorch.losses import DiceLoss\n",
        "import segmentation_models_pytorch as smp\n",
    ],
)
def test_the_library_s_import_makes_its_names_triggers(imports: str) -> None:
    assert could_match(imports + USES, ALL, DEFAULT, cross_module=True)
    assert not could_match(USES, ALL, DEFAULT, cross_module=True)


def test_a_library_the_project_imports_makes_its_names_triggers_in_every_file() -> None:
    project = Providers(libraries=frozenset({"monai"}))
    assert could_match(USES, ALL, DEFAULT, cross_module=True, providers=project)
    # The file's own imports, for a block of it that does not repeat them.
    assert could_match(USES, ALL, DEFAULT, cross_module=True, imported={"monai"})
    # Another library's import is not this one's.
    assert not could_match(USES, ALL, DEFAULT, cross_module=True, imported={"timm"})
    # A name the file defines is its own, whatever the project imports.
    assert not could_match(OWN_DICE, ALL, DEFAULT, cross_module=True, providers=project)


def test_a_name_torch_or_the_user_owns_counts_everywhere() -> None:
    mine = build_catalogue(logits_losses=["mypkg.losses.DiceLoss"])
    assert could_match(OWN_DICE, ALL, mine, cross_module=True)
    assert could_match("F.cross_entropy(torch.softmax(x, 1), y)\n", ALL, DEFAULT, cross_module=True)


def test_imports_are_recognised_by_module_name_not_by_mention() -> None:
    libraries = ["monai", "timm", "torchvision"]
    assert imported_libraries("import monai.losses\nfrom timm.loss import X\n", libraries) == {
        "monai",
        "timm",
    }
    assert imported_libraries("import monaix\nfrom torchvisionx import y\nmonai = 1\n", libraries) == set()


@pytest.mark.parametrize(
    ("source", "triggers"),
    [
        ("from monai.losses import DiceLoss\n", False),  # an import alone uses nothing
        ("from monai.losses import (\n    DiceLoss,\n    FocalLoss,\n)\n", False),
        ("from monai.losses import DiceLoss as Loss\nLoss()(p, y)\n", True),  # a renamed import is a use
        ("import monai\nclass DiceLoss(nn.Module):\n    pass\ncrit = DiceLoss()\n", False),  # its own
        ("from monai.losses import DiceLoss\ncrit = DiceLoss(softmax=True)\n", True),
        ("import monai\ncrit = monai.losses.DiceLoss()\n", True),
        ("from monai.losses import DiceLoss\n# DiceLoss()\nx = 'DiceLoss()'\n", False),  # comments, strings
    ],
)
def test_a_library_name_counts_where_it_is_used_as_the_library_s(source: str, triggers: bool) -> None:
    assert could_match(source, ALL, DEFAULT, cross_module=True) is triggers
