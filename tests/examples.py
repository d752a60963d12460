"""How many examples the slowest property tests draw (each example is a whole import).

`make test` draws the number each test gives, always the same examples (derandomized), so
that a run fails for the code, not for the draw. `make fuzz` multiplies the numbers by
TERRAIN_EXAMPLES and draws new examples at each run: the longer hunt, for before a release
or after a change to the importer.
"""

import os

SCALE = float(os.environ.get("TERRAIN_EXAMPLES", "1"))
HUNT = SCALE > 1   # a longer hunt draws new examples each run


def examples(n: int) -> int:
    return max(1, round(n * SCALE))
