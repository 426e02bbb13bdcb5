"""`python -m relay`: see relay.cli."""

import sys

from relay.cli import main

sys.exit(main())
