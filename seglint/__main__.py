import os
import sys

# ``python -m seglint`` puts the working directory first on sys.path, so a checked project's own
# ``argparse.py`` or ``libcst.py`` would be imported, and run, instead of the real one. seglint never
# runs the code it checks: drop that entry (seglint itself is already imported by now).
if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.getcwd():
    del sys.path[0]

from seglint.cli import main

sys.exit(main())
