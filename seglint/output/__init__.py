"""Renderers: each module turns sorted ``FileResult``s into the text of one output format.

Every renderer is a pure function returning a string that ends with a newline (or is empty); the CLI
prints it.
"""

FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab", "junit")
#: Other names accepted for a format: ``text`` (seglint 0.1's name for ``concise``).
FORMAT_ALIASES = {"text": "concise"}
