"""`python -m terrain COMMAND [options]`: the commands are in terrain/cli/."""

import sys

from terrain.cli import main

if __name__ == "__main__":
    sys.exit(main())
