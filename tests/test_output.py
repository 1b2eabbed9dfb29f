"""Output formats: text, json, sarif, github and --statistics, rendered from hand-built results."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from seglint.diagnostics import (
    Applicability,
    Diagnostic,
    Edit,
    FileError,
    FileResult,
    Fix,
    RelatedLocation,
    Span,
)
from seglint.output import github, sarif, statistics, text
from seglint.output import json as json_output


@dataclass(frozen=True)
class FakeRule:
    code: str
    name: str
    summary: str
    severity: str
    fix_availability: str
    doc: str


RULES = (
    FakeRule(
        "SEG001",
        "probabilities-as-logits",
        "Probabilities passed as logits.",
        "error",
        "sometimes",
        "## What it does\nChecks for softmax output\npassed to cross_entropy.\n\n## Why is this bad?\nIt is.\n",
    ),
    FakeRule(
        "SEG004",
        "redundant-log-softmax",
        "Redundant log_softmax.",
        "warning",
        "sometimes",
        "## What it does\nChecks for log_softmax.\n",
    ),
)

SAFE = Fix("Pass the logits directly", Applicability.SAFE, (Edit(Span(2, 24, 2, 47), "x"),))
UNSAFE = Fix("Remove the softmax", Applicability.UNSAFE, (Edit(Span(2, 24, 2, 43), "x"),))
SEG001 = Diagnostic(
    "src/b.py",
    Span(2, 8, 2, 47),
    "SEG001",
    "probabilities-as-logits",
    "`F.cross_entropy` expects logits but receives probabilities",
    "error",
    UNSAFE,
    (RelatedLocation("src/b.py", Span(2, 24, 2, 43), "softmax here"),),
)
SEG004 = Diagnostic(
    "src/a.py", Span(3, 1, 3, 10), "SEG004", "redundant-log-softmax", "redundant", "warning", SAFE
)
SEG001_PLAIN = Diagnostic("src/a.py", Span(1, 5, 1, 9), "SEG001", "probabilities-as-logits", "probs", "error")
BROKEN = FileError("src/c.py", 3, 5, "syntax error: expected ')'")
RESULTS = [
    FileResult("src/b.py", (SEG001,)),
    FileResult("src/a.py", (SEG001_PLAIN, SEG004)),
    FileResult("src/c.py", error=BROKEN),
    FileResult("src/d.py"),
]


# --- text -----------------------------------------------------------------------------------------


def test_text_lists_findings_and_errors_sorted_with_a_summary() -> None:
    assert text.render(RESULTS) == (
        "src/a.py:1:5: SEG001 probs\n"
        "src/a.py:3:1: SEG004 [*] redundant\n"
        "src/b.py:2:8: SEG001 `F.cross_entropy` expects logits but receives probabilities\n"
        "src/c.py:3:5: error: syntax error: expected ')'\n"
        "Found 2 errors and 1 warning.\n"
        "1 file could not be checked.\n"
        "[*] 1 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option).\n"
    )


def test_text_marks_unsafe_fixes_when_they_are_enabled() -> None:
    out = text.render(RESULTS, unsafe_fixes=True)
    assert "src/b.py:2:8: SEG001 [*] `F.cross_entropy`" in out
    assert out.endswith("[*] 2 fixable with the `--fix` option.\n")


def test_text_when_clean_and_after_fixing() -> None:
    assert text.render([FileResult("a.py")]) == "All checks passed!\n"
    assert text.render([]) == "All checks passed!\n"
    assert text.render([FileResult("a.py")], fixed=2) == "Fixed 2 findings; none remaining.\n"
    one = [FileResult("a.py", (SEG001_PLAIN,))]
    assert text.render(one, fixed=1) == "src/a.py:1:5: SEG001 probs\nFixed 1 finding; 1 error remaining.\n"
    assert text.render(one) == "src/a.py:1:5: SEG001 probs\nFound 1 error.\n"
    only_hidden = [FileResult("b.py", (SEG001,))]
    assert text.render(only_hidden).endswith(
        "Found 1 error.\nNo fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).\n"
    )


def test_text_without_summary_and_with_unknown_error_positions() -> None:
    results = [FileResult("x.py", error=FileError("x.py", 0, 0, "could not read: Permission denied"))]
    assert text.render(results, summary=False) == "x.py: error: could not read: Permission denied\n"
    assert text.render([FileResult("a.py")], summary=False) == ""


def test_text_colour_is_opt_in() -> None:
    assert "\x1b[" not in text.render(RESULTS)
    coloured = text.render(RESULTS, color=True)
    assert "\x1b[1msrc/a.py:1:5:\x1b[0m" in coloured
    assert "\x1b[31m\x1b[1mSEG001\x1b[0m" in coloured


# --- json -----------------------------------------------------------------------------------------


def test_json_has_one_object_per_finding_with_every_key() -> None:
    data = json.loads(json_output.render(RESULTS))
    assert [(d["path"], d["line"], d["code"]) for d in data] == [
        ("src/a.py", 1, "SEG001"),
        ("src/a.py", 3, "SEG004"),
        ("src/b.py", 2, "SEG001"),
    ]
    assert data[2] == {
        "path": "src/b.py",
        "cell": None,
        "line": 2,
        "column": 8,
        "end_line": 2,
        "end_column": 47,
        "code": "SEG001",
        "name": "probabilities-as-logits",
        "message": "`F.cross_entropy` expects logits but receives probabilities",
        "severity": "error",
        "fix": {
            "title": "Remove the softmax",
            "applicability": "unsafe",
            "edits": [{"line": 2, "column": 24, "end_line": 2, "end_column": 43, "content": "x"}],
        },
        "related": [
            {
                "path": "src/b.py",
                "cell": None,
                "line": 2,
                "column": 24,
                "end_line": 2,
                "end_column": 43,
                "message": "softmax here",
            }
        ],
    }
    assert data[0]["fix"] is None and data[0]["related"] == []


def test_json_when_clean_is_an_empty_array() -> None:
    assert json_output.render([FileResult("a.py")]) == "[]\n"


# --- sarif ----------------------------------------------------------------------------------------


def test_sarif_has_the_structure_code_scanning_requires() -> None:
    log = json.loads(sarif.render(RESULTS, rules=RULES, tool_version="0.1.0"))
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "seglint"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == ["SEG001", "SEG004"]
    assert driver["rules"][0] == {
        "id": "SEG001",
        "name": "probabilities-as-logits",
        "shortDescription": {"text": "Probabilities passed as logits."},
        "fullDescription": {"text": "Checks for softmax output passed to cross_entropy."},
        "help": {"text": RULES[0].doc, "markdown": RULES[0].doc},
        "defaultConfiguration": {"level": "error"},
    }
    assert driver["rules"][1]["defaultConfiguration"] == {"level": "warning"}
    assert run["columnKind"] == "unicodeCodePoints"
    assert len(run["results"]) == 3
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning")
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not physical["artifactLocation"]["uri"].startswith("/")
        assert physical["region"]["startLine"] >= 1
    last = run["results"][2]
    assert last["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "src/b.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2, "startColumn": 8, "endLine": 2, "endColumn": 47},
    }
    assert last["relatedLocations"] == [
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "src/b.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 2, "startColumn": 24, "endLine": 2, "endColumn": 43},
            },
            "message": {"text": "softmax here"},
        }
    ]
    assert last["fixes"][0]["artifactChanges"][0]["replacements"] == [
        {
            "deletedRegion": {"startLine": 2, "startColumn": 24, "endLine": 2, "endColumn": 43},
            "insertedContent": {"text": "x"},
        }
    ]


def test_sarif_reports_file_errors_as_tool_execution_notifications() -> None:
    log = json.loads(sarif.render(RESULTS, rules=RULES, tool_version="0.1.0"))
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "error",
            "message": {"text": "src/c.py: syntax error: expected ')'"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "src/c.py", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 3, "startColumn": 5},
                    }
                }
            ],
        }
    ]
    clean = json.loads(sarif.render([FileResult("a.py")], rules=RULES, tool_version="0.1.0"))
    assert clean["runs"][0]["results"] == []
    assert clean["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_sarif_uris_are_encoded_and_absolute_paths_are_file_uris() -> None:
    assert sarif.artifact_location("my dir/a b.py") == {"uri": "my%20dir/a%20b.py", "uriBaseId": "%SRCROOT%"}
    assert sarif.artifact_location("sub\\win.py") == {"uri": "sub/win.py", "uriBaseId": "%SRCROOT%"}
    assert sarif.artifact_location("/abs/x.py") == {"uri": "file:///abs/x.py"}


def test_sarif_adds_a_rule_entry_for_a_code_missing_from_the_catalogue() -> None:
    log = json.loads(sarif.render(RESULTS, rules=RULES[1:], tool_version="0.1.0"))
    driver_ids = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert set(driver_ids) == {"SEG001", "SEG004"}
    for result in log["runs"][0]["results"]:
        assert driver_ids[result["ruleIndex"]] == result["ruleId"]


def test_sarif_is_deterministic() -> None:
    first = sarif.render(RESULTS, rules=RULES, tool_version="0.1.0")
    assert sarif.render(list(reversed(RESULTS)), rules=tuple(reversed(RULES)), tool_version="0.1.0") == first


# --- github ---------------------------------------------------------------------------------------


def test_github_workflow_commands() -> None:
    assert github.render(RESULTS) == (
        "::error file=src/a.py,line=1,col=5,endLine=1,endColumn=9,title=seglint (SEG001)::SEG001 probs\n"
        "::warning file=src/a.py,line=3,col=1,endLine=3,endColumn=10,title=seglint (SEG004)::SEG004 redundant\n"
        "::error file=src/b.py,line=2,col=8,endLine=2,endColumn=47,title=seglint (SEG001)::SEG001 "
        "`F.cross_entropy` expects logits but receives probabilities\n"
        "::error file=src/c.py,line=3,col=5,title=seglint::syntax error: expected ')'\n"
    )


def test_github_escaping() -> None:
    odd = Diagnostic(
        "a,b:c%.py", Span(1, 1, 1, 2), "SEG001", "n", "100% wrong\r\nreally: yes, really", "error"
    )
    assert github.render([FileResult(odd.path, (odd,))]) == (
        "::error file=a%2Cb%3Ac%25.py,line=1,col=1,endLine=1,endColumn=2,title=seglint (SEG001)"
        "::SEG001 100%25 wrong%0D%0Areally: yes, really\n"
    )
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


# --- statistics -----------------------------------------------------------------------------------


def test_statistics_count_per_code_most_frequent_first() -> None:
    results = [*RESULTS, FileResult("src/e.py", (SEG001_PLAIN,))]
    assert statistics.render(results) == (
        "  3\tSEG001\t[ ] probabilities-as-logits\n  1\tSEG004\t[*] redundant-log-softmax\n"
        "  4\ttotal\t3 errors and 1 warning\n"
    )
    assert statistics.render(results, unsafe_fixes=True).startswith(
        "  3\tSEG001\t[*] probabilities-as-logits\n"
    )
    assert statistics.render([FileResult("a.py", (SEG001_PLAIN,))]) == (
        "  1\tSEG001\tprobabilities-as-logits\n  1\ttotal\t1 error\n"
    )
    assert statistics.render([FileResult("a.py")]) == "  0\ttotal\t0 findings\n"  # the empty table
    assert statistics.render_json([FileResult("a.py")]) == "[]\n"
    assert json.loads(statistics.render_json(results)) == [
        {"code": "SEG001", "name": "probabilities-as-logits", "count": 3, "fixable": False},
        {"code": "SEG004", "name": "redundant-log-softmax", "count": 1, "fixable": True},
    ]


@pytest.mark.parametrize("render", [text.render, json_output.render, github.render, statistics.render])
def test_renderers_are_deterministic(render) -> None:  # type: ignore[no-untyped-def]
    assert render(RESULTS) == render(list(reversed(RESULTS)))


# --- layout, ordering and the rarer paths ---------------------------------------------------------

UNICODE = Diagnostic("src/é.py", Span(1, 1, 1, 2), "SEG001", "probabilities-as-logits", "café ∑", "error")


@pytest.mark.parametrize(
    "render",
    [
        json_output.render,
        lambda results: sarif.render(results, rules=RULES, tool_version="0.1.0"),
        statistics.render_json,
    ],
    ids=["json", "sarif", "statistics-json"],
)
def test_json_formats_are_indented_by_two_and_keep_non_ascii_text(render) -> None:  # type: ignore[no-untyped-def]
    out = render([*RESULTS, FileResult(UNICODE.path, (UNICODE,))])
    assert out == json.dumps(json.loads(out), indent=2, ensure_ascii=False) + "\n"
    if render is not statistics.render_json:
        assert "café ∑" in out and "\\u" not in out


def test_sarif_results_carry_the_level_and_the_fix_description() -> None:
    (run,) = json.loads(sarif.render(RESULTS, rules=RULES, tool_version="0.1.0"))["runs"]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [
        ("SEG001", "error"),
        ("SEG004", "warning"),
        ("SEG001", "error"),
    ]
    fixes = {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]: r.get("fixes") for r in run["results"]
    }
    assert fixes[1] is None
    (fix,) = fixes[3]
    assert fix["description"] == {"text": "Pass the logits directly"}
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "src/a.py", "uriBaseId": "%SRCROOT%"}


def test_sarif_rule_entry_for_a_code_missing_from_the_catalogue() -> None:
    log = json.loads(sarif.render(RESULTS, rules=RULES[1:], tool_version="0.1.0"))
    driver_rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in driver_rules] == ["SEG004", "SEG001"]
    assert driver_rules[1] == {
        "id": "SEG001",
        "name": "probabilities-as-logits",
        "shortDescription": {"text": "probabilities-as-logits"},
        "defaultConfiguration": {"level": "error"},
    }


def test_sarif_rule_without_a_what_it_does_section_describes_itself_by_its_summary() -> None:
    bare = FakeRule(
        "SEG004", "redundant-log-softmax", "Redundant log_softmax.", "warning", "none", "No headings."
    )
    (rule,) = json.loads(sarif.render([], rules=[bare], tool_version="0.1.0"))["runs"][0]["tool"]["driver"][
        "rules"
    ]
    assert rule["fullDescription"] == {"text": "Redundant log_softmax."}


def test_statistics_ties_are_ordered_by_code() -> None:
    zeta = Diagnostic("a.py", Span(1, 1, 1, 2), "SEG001", "zeta", "m", "error")
    alpha = Diagnostic("a.py", Span(2, 1, 2, 2), "SEG002", "alpha", "m", "error")
    assert statistics.render([FileResult("a.py", (alpha, zeta))]) == (
        "  1\tSEG001\tzeta\n  1\tSEG002\talpha\n  2\ttotal\t2 errors\n"
    )


def test_file_errors_are_sorted_and_do_not_hide_what_follows() -> None:
    late = FileError("src/z.py", 1, 1, "could not read: Permission denied")
    results = [FileResult("src/z.py", error=late), FileResult("src/c.py", error=BROKEN), RESULTS[0]]
    assert text.render(results, summary=False).splitlines() == [
        "src/b.py:2:8: SEG001 `F.cross_entropy` expects logits but receives probabilities",
        "src/c.py:3:5: error: syntax error: expected ')'",
        "src/z.py:1:1: error: could not read: Permission denied",
    ]
    after = FileResult("src/d.py", (Diagnostic("src/d.py", Span(1, 1, 1, 2), "SEG001", "n", "m", "error"),))
    assert (
        github.render([FileResult("src/c.py", error=BROKEN), after])
        .splitlines()[1]
        .startswith("::error file=src/d.py,line=1,col=1,")
    )


def test_an_error_sorts_before_a_finding_at_the_same_place() -> None:
    same = Diagnostic("src/c.py", Span(3, 5, 3, 6), "SEG001", "n", "probs", "error")
    both = FileResult("src/c.py", (same,), error=BROKEN)
    assert text.render([both], summary=False).splitlines() == [
        "src/c.py:3:5: error: syntax error: expected ')'",
        "src/c.py:3:5: SEG001 probs",
    ]


def test_text_colours_every_part_of_every_line() -> None:
    bold, red, yellow, cyan, reset = "\x1b[1m", "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[0m"
    lines = text.render(RESULTS, color=True, summary=False).splitlines()
    # SEG004 is a warning: yellow; errors are red.
    assert lines[1] == f"{bold}src/a.py:3:1:{reset} {yellow}{bold}SEG004{reset} {cyan}[*]{reset} redundant"
    assert lines[3] == f"{bold}src/c.py:3:5:{reset} {red}{bold}error{reset}: syntax error: expected ')'"


def test_two_hidden_fixes_are_counted_in_the_plural() -> None:
    other = Diagnostic("src/e.py", Span(1, 1, 1, 2), "SEG001", "n", "m", "error", UNSAFE)
    out = text.render([FileResult("src/b.py", (SEG001,)), FileResult("src/e.py", (other,))])
    assert out.endswith(
        "No fixes available (2 hidden fixes can be enabled with the `--unsafe-fixes` option).\n"
    )


def test_statistics_json_marks_unsafe_fixes_when_they_are_enabled() -> None:
    rows = json.loads(statistics.render_json(RESULTS, unsafe_fixes=True))
    assert [(row["code"], row["fixable"]) for row in rows] == [("SEG001", True), ("SEG004", True)]
