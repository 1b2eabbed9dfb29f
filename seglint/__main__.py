import sys

from seglint.cli import main

sys.exit(main())
