"""Loss providers: found by a text scan, matched as names (not as parts of longer names)."""

from __future__ import annotations

from seglint.providers import Providers, providers_in

MODULE = """\
import torch.nn as nn

\"\"\"
def documented(): return nn.CrossEntropyLoss()
\"\"\"


def build_loss(cfg):
    crit = nn.CrossEntropyLoss(ignore_index=cfg.ignore)
    return crit


def uses_a_loss_but_returns_a_number(x, y):
    return float(nn.functional.cross_entropy(x, y).item() > 0)


def unrelated():
    return 1


criterion = nn.CrossEntropyLoss()


class BaseTrainer:
    def __init__(self):
        self.criterion = nn.CrossEntropyLoss()
"""


def test_providers_are_builders_objects_and_classes_that_name_a_loss() -> None:
    found = providers_in(MODULE, ["CrossEntropyLoss", "cross_entropy"])
    assert "build_loss" in found.functions and "criterion" in found.functions
    assert "unrelated" not in found.functions
    assert found.classes == frozenset({"BaseTrainer"})


def test_a_module_naming_no_loss_provides_nothing() -> None:
    assert not providers_in("def build(): return 1\n", ["CrossEntropyLoss"])


def test_mentions_are_whole_names_and_subclasses() -> None:
    providers = Providers(frozenset({"build_loss"}), frozenset({"BaseTrainer"}))
    assert providers.mentioned_in("crit = build_loss()")
    assert not providers.mentioned_in("crit = rebuild_loss_table()")
    assert not providers.mentioned_in("x.build_loss")  # an attribute of something else
    assert providers.mentioned_in("class Seg(BaseTrainer):\n    pass")
    assert not providers.mentioned_in("trainer = BaseTrainer()")  # an instance: its forward is summarised
