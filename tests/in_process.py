"""seglint's command line run in the pytest process, through ``seglint.cli.main``: fast, and visible
to mutation testing (a subprocess would not see a mutant)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seglint.cli import main


def project_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str | bytes]) -> Path:
    """``tmp_path`` holding ``files``, as the working directory, with no colour forced either way."""
    monkeypatch.chdir(tmp_path)
    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, content in files.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str, cache: bool = False) -> tuple[int, str, str]:
    """``seglint ARGS`` (with ``--no-cache`` unless ``cache``): the exit status, stdout and stderr."""
    status = main(list(args) if cache else ["--no-cache", *args])
    out, err = capsys.readouterr()
    return status, out, err
