"""The ``seglint`` command end to end, in a subprocess (``python -m seglint``) as users run it.

Every exit status (0 clean, 1 findings, 2 usage/config/unreadable file), every output format,
configuration errors, suppression comments, stdin, and what the command must not import.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

BAD = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n"
GOOD = "import torch.nn.functional as F\nloss = F.cross_entropy(x, y)\n"
REDUNDANT = "import torch.nn.functional as F\nloss = F.cross_entropy(F.log_softmax(x, dim=1), y)\n"
REDUNDANT_FIXED = "import torch.nn.functional as F\nloss = F.cross_entropy(x, y)\n"
BROKEN = "import torch.nn.functional as F\ndef f(:\n    return F.cross_entropy(F.softmax(x, dim=1), y)\n"


def seglint(
    *args: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    environment.update(env or {})
    completed = subprocess.run(
        [sys.executable, "-m", "seglint", *args],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        check=False,
        env=environment,
        timeout=120,
    )
    return subprocess.CompletedProcess(
        completed.args, completed.returncode, completed.stdout.decode(), completed.stderr.decode()
    )


def write(directory: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode())
    return directory


# --- exit statuses ----------------------------------------------------------------------------------


def test_exit_0_when_clean(tmp_path: Path) -> None:
    write(tmp_path, {"good.py": GOOD})
    result = seglint(cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


def test_exit_1_on_findings_with_text_output(tmp_path: Path) -> None:
    write(tmp_path, {"src/bad.py": BAD, "src/good.py": GOOD})
    result = seglint("src", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"src/bad\.py:2:8: SEG001 \S.*", lines[0])
    assert lines[1] == "Found 1 error."
    assert len(lines) == 2 or "--unsafe-fixes" in lines[2]


def test_exit_0_with_exit_zero(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD})
    result = seglint("--exit-zero", "bad.py", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("bad.py:2:8: SEG001 ")


def test_a_syntax_error_and_a_non_utf8_file_next_to_good_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a_bad.py": BAD,
            "b_broken.py": BROKEN,
            "c_good.py": GOOD,
            "d_latin.py": b"x = 1\nname = 'caf\xe9'\n",
        },
    )
    result = seglint(".", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith("a_bad.py:2:8: SEG001 ")  # the other files are still linted
    assert re.fullmatch(r"b_broken\.py:[23]:\d+: error: .+", lines[1])
    assert (
        lines[2]
        == "d_latin.py:2:12: error: invalid UTF-8 at byte 17; add a coding cookie or re-encode the file"
    )
    assert lines[3:5] == ["Found 1 error.", "2 files could not be checked."]


def test_exit_2_on_usage_errors(tmp_path: Path) -> None:
    result = seglint("--format", "xml", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "--output-format/--format: invalid choice: 'xml' (choose from 'concise', 'full', 'json', 'sarif', "
        "'github', 'gitlab', 'junit', 'text')" in result.stderr
    )

    result = seglint("--select", "SEG001,SEG01", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "seglint: error: --select: unknown rule code 'SEG01'; "
        "valid: SEG, SEG0, SEG00, SEG001, SEG002, SEG003, SEG004, SEG005\n"
    )


# --- configuration --------------------------------------------------------------------------------


def test_config_errors_exit_2_naming_file_key_value_and_choices(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.seglint]\nselect = ["SEG01"]\n', "good.py": GOOD})
    result = seglint(cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "seglint: error: pyproject.toml: [tool.seglint] select: unknown rule code 'SEG01'; "
        "valid: SEG, SEG0, SEG00, SEG001, SEG002, SEG003, SEG004, SEG005\n"
    )
    write(tmp_path, {"pyproject.toml": "[tool.seglint]\nselect = []\nignore = [,]\n"})
    result = seglint(cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.startswith("seglint: error: pyproject.toml: invalid TOML: ")
        and "line 3" in result.stderr
    )


def test_config_selection_excludes_and_per_file_ignores(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.seglint]\nextend-exclude = ["generated"]\n'
            '[tool.seglint.per-file-ignores]\n"tests/*" = ["SEG001"]\n',
            "src/bad.py": BAD,
            "tests/test_bad.py": BAD,
            "generated/bad.py": BAD,
            "src/redundant.py": REDUNDANT,
        },
    )
    result = seglint(cwd=tmp_path / "src")  # the config is found above the working directory
    assert result.returncode == 1
    assert [line.split(" ")[:2] for line in result.stdout.splitlines()[:-2]] == [
        ["bad.py:2:8:", "SEG001"],
        ["redundant.py:2:8:", "SEG004"],
    ]
    result = seglint("--format", "json", "--ignore", "SEG004", cwd=tmp_path)
    assert [(d["path"], d["code"]) for d in json.loads(result.stdout)] == [("src/bad.py", "SEG001")]
    result = seglint("--select", "SEG004", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-2]] == ["src/redundant.py"]


# --- suppression ----------------------------------------------------------------------------------


def test_suppression_comments(tmp_path: Path) -> None:
    source = (
        "import torch.nn.functional as F\n"
        "a = F.cross_entropy(F.softmax(x, dim=1), y)  # noqa\n"
        "b = F.cross_entropy(F.softmax(x, dim=1), y)  # noqa: SEG001\n"
        "c = F.cross_entropy(F.softmax(x, dim=1), y)  # seglint: ignore[SEG001]\n"
        "d = F.cross_entropy(F.softmax(x, dim=1), y)  # noqa: E501\n"
        "e = F.cross_entropy(F.softmax(x, dim=1), '# noqa')\n"
        "f = F.cross_entropy(F.softmax(x, dim=1), y)  # seglint: ignore[SEG002]\n"
    )
    write(tmp_path, {"m.py": source})
    result = seglint("--format", "json", "m.py", cwd=tmp_path)
    assert result.returncode == 1
    assert [(d["line"], d["code"]) for d in json.loads(result.stdout)] == [
        (5, "SEG001"),
        (6, "SEG001"),
        (7, "SEG001"),
    ]


# --- formats --------------------------------------------------------------------------------------


def test_json_format(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD, "good.py": GOOD})
    result = seglint("--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = json.loads(result.stdout)
    assert {k: finding[k] for k in ("path", "line", "column", "end_line", "code", "name", "severity")} == {
        "path": "bad.py",
        "line": 2,
        "column": 8,
        "end_line": 2,
        "code": "SEG001",
        "name": "probabilities-as-logits",
        "severity": finding["severity"],
    }
    assert finding["severity"] in ("error", "warning")
    assert finding["end_column"] > finding["column"] and finding["message"]
    assert set(finding) >= {"fix", "related"}


def test_sarif_format_for_code_scanning(tmp_path: Path) -> None:
    write(tmp_path, {"src/bad.py": BAD, "src/broken.py": BROKEN})
    result = seglint("--format", "sarif", cwd=tmp_path)
    assert result.returncode == 2
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "seglint"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == ["SEG001", "SEG002", "SEG003", "SEG004", "SEG005"]
    for rule in driver["rules"]:
        assert (
            rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["markdown"]
        )
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    (found,) = run["results"]
    assert found["ruleId"] == "SEG001" and rule_ids[found["ruleIndex"]] == "SEG001"
    assert found["message"]["text"]
    physical = found["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "src/bad.py", "uriBaseId": "%SRCROOT%"}
    assert (physical["region"]["startLine"], physical["region"]["startColumn"]) == (2, 8)
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["message"]["text"].startswith("src/broken.py: ")


def test_github_format(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD})
    result = seglint("--format", "github", cwd=tmp_path)
    assert result.returncode == 1
    assert re.fullmatch(
        r"::(error|warning) file=bad\.py,line=2,col=8,endLine=2,endColumn=\d+,title=seglint \(SEG001\)::SEG001 .+\n",
        result.stdout,
    )


# --- stdin ----------------------------------------------------------------------------------------


def test_stdin_with_a_filename(tmp_path: Path) -> None:
    result = seglint("-", "--stdin-filename", "pkg/model.py", cwd=tmp_path, stdin=BAD.encode())
    assert result.returncode == 1
    assert result.stdout.startswith("pkg/model.py:2:8: SEG001 ")
    result = seglint("-", cwd=tmp_path, stdin=GOOD.encode())
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")


def test_stdin_fix_prints_the_fixed_source(tmp_path: Path) -> None:
    crlf = REDUNDANT.replace("\n", "\r\n").encode()
    result = subprocess.run(
        [sys.executable, "-m", "seglint", "--fix", "-", "--stdin-filename", "m.py"],
        cwd=tmp_path,
        input=crlf,
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert result.stdout == REDUNDANT_FIXED.replace("\n", "\r\n").encode()
    assert result.returncode == 0
    assert b"Fixed 1 finding; none remaining." in result.stderr


# --- fixing ---------------------------------------------------------------------------------------


def test_fix_writes_safe_fixes_and_diff_writes_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": REDUNDANT, "bad.py": BAD})
    result = seglint("--diff", "m.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == (
        "--- m.py\n+++ m.py\n@@ -1,2 +1,2 @@\n import torch.nn.functional as F\n"
        "-loss = F.cross_entropy(F.log_softmax(x, dim=1), y)\n+loss = F.cross_entropy(x, y)\n"
    )
    assert (tmp_path / "m.py").read_text() == REDUNDANT
    result = seglint("--fix", ".", cwd=tmp_path)
    assert (tmp_path / "m.py").read_bytes() == REDUNDANT_FIXED.encode()
    assert (tmp_path / "bad.py").read_bytes() == BAD.encode()  # SEG001 has no safe fix
    assert result.returncode == 1
    assert result.stdout.startswith("bad.py:2:8: SEG001 ")
    assert "Fixed 1 finding; 1 error remaining." in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.py", "m.py"]


# --- imports --------------------------------------------------------------------------------------


def test_version_does_not_import_libcst(tmp_path: Path) -> None:
    result = seglint("--version", cwd=tmp_path, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert (result.returncode, result.stdout) == (0, "seglint 0.1.0\n")
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "seglint.cli" in imported  # the import log is there
    assert not {name for name in imported if name.split(".")[0] in ("libcst", "torch", "numpy")}


def test_the_cli_never_imports_torch_numpy_or_hypothesis(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD})
    probe = (
        "import sys\n"
        "import seglint.cli\n"
        "heavy = ('torch', 'numpy', 'hypothesis')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy + ('libcst',)))\n"
        "status = seglint.cli.main(['--format', 'json', '--quiet', 'bad.py'])\n"
        "print(status, sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        check=False,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "[]", result.stderr
    assert lines[-1] == "1 []", result.stderr
