"""How much work seglint does beyond the files it is given, and on each file: the bounds that keep a
run from hanging on a huge tree or a generated file. Set in ``[tool.seglint]``."""

from __future__ import annotations

from dataclasses import dataclass

#: Files that can hold a finding and are larger than this are reported, not analysed: libcst needs
#: seconds and about 1 GiB of memory per MiB of dense code (a 1 MB line of numbers: 22 s and 920 MB on
#: the project's loaded 2-core machine). Hand-written files stay far below (the largest of
#: transformers and MONAI are under 360 KB); torch's own largest, a test table and two stubs, are
#: 1.0 to 1.3 MiB and fit.
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
#: The scan of a project for loss providers visits at most this many files and directories, in sorted
#: order (torch's installed package holds about 15,000).
DEFAULT_MAX_PROJECT_FILES = 20_000
#: Seconds one file's analysis may take before it is stopped (its worker process killed and replaced).
#: Only a safety net: the analysis is bounded by counted work (seglint/analysis/budget.py), which is
#: the same on every machine; the slowest real files take well under a second.
DEFAULT_ANALYSIS_TIMEOUT = 60


@dataclass(frozen=True)
class Limits:
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    max_project_files: int = DEFAULT_MAX_PROJECT_FILES
    analysis_timeout: int = DEFAULT_ANALYSIS_TIMEOUT


DEFAULT_LIMITS = Limits()
