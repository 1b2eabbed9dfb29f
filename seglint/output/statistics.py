"""``--statistics``: how many findings each rule produced, most frequent first, and their total.

Findings are counted where they are (a finding reported through another file's run counts once,
under its own code). Nothing found is an empty table: the total line alone, ``0 findings``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from seglint.diagnostics import FileResult
from seglint.output._shared import diagnostics_of, is_applicable, severity_counts


def _rows(results: Sequence[FileResult], *, unsafe_fixes: bool) -> list[tuple[int, str, str, bool]]:
    diagnostics = diagnostics_of(results)
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.name for d in diagnostics}
    fixable = {d.code for d in diagnostics if is_applicable(d.fix, unsafe_fixes=unsafe_fixes)}
    return sorted(
        ((n, code, names[code], code in fixable) for code, n in counts.items()),
        key=lambda row: (-row[0], row[1]),
    )


def render(results: Sequence[FileResult], *, unsafe_fixes: bool = False) -> str:
    """Tab-separated ``count, code, [*] name`` lines (``[ ]`` marks a rule with no fix here), then
    the total: ``count, total, 2 errors and 1 warning``."""
    rows = _rows(results, unsafe_fixes=unsafe_fixes)
    total = sum(n for n, *_ in rows)
    width = max([3, len(str(total))])
    any_fixable = any(fixable for *_, fixable in rows)
    lines = []
    for count, code, name, fixable in rows:
        marker = ("[*] " if fixable else "[ ] ") if any_fixable else ""
        lines.append(f"{count:>{width}}\t{code}\t{marker}{name}")
    described = severity_counts(diagnostics_of(results)) if total else "0 findings"
    lines.append(f"{total:>{width}}\ttotal\t{described}")
    return "".join(line + "\n" for line in lines)


def render_json(results: Sequence[FileResult], *, unsafe_fixes: bool = False) -> str:
    """The same as a JSON array of ``{code, name, count, fixable}`` objects."""
    rows = _rows(results, unsafe_fixes=unsafe_fixes)
    data = [{"code": c, "name": name, "count": n, "fixable": f} for n, c, name, f in rows]
    return json.dumps(data, indent=2) + "\n"
