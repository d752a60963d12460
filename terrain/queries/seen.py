"""One run's rows as a viewer may see them: sites coarsened to areas for whoever sees no
point, small counts and the rates on them hidden below the viewer's threshold."""

from __future__ import annotations

import pandas as pd

from terrain import disclosure
from terrain.queries.catalogue import Query
from terrain.queries.viewer import Viewer, coarsens


def area_measures(query: Query) -> tuple[list[str], dict[str, tuple[str, str]]]:
    """What areas keep of site rows: every count and every rate's denominator summed, and
    the rates recomputed from the sums."""
    denominators = [r.denominator for r in query.rates if r.denominator not in query.counts]
    return ([*query.counts, *dict.fromkeys(denominators)],
            {r.column: (r.numerator, r.denominator) for r in query.rates})


def as_seen(query: Query, frame: pd.DataFrame, who: Viewer,
            lines: tuple[tuple[str, ...], ...] | None = None) -> pd.DataFrame:
    """One run's rows as the viewer may see them: coarsened to areas, small counts hidden
    (with the query's lines, or `lines` when given)."""
    lines, k = query.lines if lines is None else lines, who.threshold
    if coarsens(who, query):
        sum_columns, ratios = area_measures(query)
        frame = disclosure.coarsen_sites(frame, exact=False, sum_columns=sum_columns, ratios=ratios)
    if k > 1:
        counts = [c for c in query.counts if c in frame.columns]
        frame = disclosure.suppress_counts(frame, counts, k, [line for line in lines
                                                             if set(line) <= set(frame.columns)])
        for rate in query.rates:
            if rate.column in frame.columns:
                frame = disclosure.suppress_rates(frame, rate.column, rate.denominator, k,
                                                  numerator=rate.numerator)
    return frame

