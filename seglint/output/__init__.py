"""Renderers: each module turns sorted ``FileResult``s into the text of one output format.

Every renderer is a pure function returning a string that ends with a newline (or is empty); the CLI
prints it.
"""

FORMATS = ("text", "json", "sarif", "github")
