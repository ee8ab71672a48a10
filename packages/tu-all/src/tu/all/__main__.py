"""`python -m tu.all` runs the `tu` command."""

import sys

from tu.all.cli import main

sys.exit(main())
