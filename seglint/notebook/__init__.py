"""Jupyter notebooks: read with ``json``, code cells joined into one module, positions given by cell.

- ``reader``: the notebook's cells and the JSON strings that store their sources (nbformat 4 only);
- ``magics``: a code cell's Python, IPython's magics, shell escapes and help taken out line for line;
- ``code``: the code cells joined in document order, and where each position of the joined module is
  in the notebook (cell, line in the cell, line and column of the ``.ipynb`` file);
- ``splice``: changed cell sources written back into the JSON text, nothing else changed;
- ``fixes``: ``--fix`` and ``--diff`` cell by cell.

Nothing here imports libcst, except :meth:`code.NotebookCode.syntax_error` and the fixes' parse check.
"""

from seglint.notebook.code import NOTEBOOK_SUFFIX, NotebookCode, is_notebook, notebook_code

__all__ = ["NOTEBOOK_SUFFIX", "NotebookCode", "is_notebook", "notebook_code"]
