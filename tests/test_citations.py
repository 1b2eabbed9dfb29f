"""Every ``docs/INVARIANTS.md §N`` that the code cites is a section of that page, and the page states
the tolerances that ``seglint.tolerances`` implements."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "INVARIANTS.md"


def test_every_cited_section_exists() -> None:
    sections = set(re.findall(r"^## (\d+)\. ", PAGE.read_text(encoding="utf-8"), re.MULTILINE))
    cited = {
        (str(path.relative_to(ROOT)), number)
        for folder in ("seglint", "tests", "properties")
        for path in (ROOT / folder).rglob("*.py")
        for number in re.findall(r"docs/INVARIANTS\.md §(\d+)", path.read_text(encoding="utf-8"))
    }
    assert {path for path, _ in cited} >= {"seglint/tolerances.py", "seglint/invariants/agreement.py"}
    assert {(path, number) for path, number in cited if number not in sections} == set()
    assert "docs/INVARIANTS.md" in (ROOT / "seglint" / "tolerances.py").read_text(encoding="utf-8")


def test_the_page_gives_the_tolerances_the_table_of_tolerances_py_states() -> None:
    text = " ".join(PAGE.read_text(encoding="utf-8").split())
    for stated in (
        "rtol 16 eps (1.9e-6), atol max(C,8)·eps",  # none, float32
        "rtol 4 eps (0.031), atol 1 eps (0.0078)",  # none, bfloat16
        "rtol 8 eps (1e-6)",  # reductions, float32
        "atol = 8·eps·(max\\|z\\|+max\\|c\\|+1)",  # shift
    ):
        assert stated in text, stated
