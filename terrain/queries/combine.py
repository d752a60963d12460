"""Months put together: the rows of each month, as the viewer sees them, made into the
result of the whole call.

A month-grain result is the months side by side (`side_by_side`). A whole-period result
(grain none) adds them up (`combine`): counts over their visible monthly cells only, other
numbers as the header's `combine:` declares (sum, min or max), rates recomputed from their
combined parts. Any figure a role that sees months gets is then a sum of visible monthly
cells, and no difference of two of its views (2024 minus January to November) can give back
a hidden cell. A map of areas is put together by `combine_areas`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from terrain import disclosure
from terrain.disclosure import views
from terrain.queries.catalogue import Query, is_number
from terrain.queries.errors import QueryError
from terrain.queries.seen import area_measures


def suppression_of(parts: list[pd.DataFrame]) -> dict | None:
    """The months' suppression records added up (what was hidden, in how many months)."""
    records = [p.attrs["suppression"] for p in parts if "suppression" in p.attrs]
    if not records:
        return None
    added = {"k": records[0]["k"], "counts": records[0]["counts"], "months": len(parts)}
    for key in ("suppressed", "derivable"):
        added[key] = {c: sum(r.get(key, {}).get(c, 0) for r in records) for c in added["counts"]}
    return added


def side_by_side(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Month-grain results: each month's rows as its own run gave them, in month order."""
    shown = [p for p in parts if not p.empty] or parts[:1]
    frame = pd.concat(shown, ignore_index=True)
    frame.attrs = {}
    if (suppression := suppression_of(parts)) is not None:
        frame.attrs["suppression"] = suppression
    return frame


def combine(query: Query, parts: list[pd.DataFrame], k: int, keys: list[str] | None = None) -> pd.DataFrame:
    """A whole-period result from its months (each already as the role sees it).

    Rows are grouped by `keys` (by default the columns that are not numbers). A count is the
    sum of its visible monthly cells; it is hidden when no month shows it, or when the shown
    ones add up to 0 beside a hidden one (a false 0). Declared columns are combined as the
    header says; rates are recomputed from their combined parts, and hidden when a part left
    out a hidden month (the rate would be wrong) or by the usual rule (disclosure.suppress_rates).
    `attrs["suppression"]["partial"]` counts, per count column, the figures that leave out a
    hidden month.
    """
    shown_parts = [p for p in parts if not p.empty] or parts[:1]
    data = pd.concat(shown_parts, ignore_index=True) if len(shown_parts) > 1 else shown_parts[0].copy(deep=False)
    # The months' records are read from `parts`; on `data`, pandas would copy them deeply
    # into every column and group taken below.
    data.attrs = {}
    counts = [c for c in query.counts if c in data.columns]
    combined = {c: how for c, how in query.combine if c in data.columns}
    rates = [r for r in query.rates if r.column in data.columns]
    marked = [c for c in data.columns if c.startswith(views.MARK_PREFIX)]
    if keys is None:
        keys = [c for c in data.columns if c not in {*counts, *combined, *(r.column for r in rates), *marked}]
        undeclared = [c for c in keys if is_number(data[c])]
        if undeclared:
            raise QueryError(f"queries/{query.name}.sql: no combination declared for {undeclared}.")
    # Each row's group, numbered in the order groups are first seen; a query without keys
    # (one row per run) is one group. The figures are added up per group with numpy, a few
    # array passes for each column.
    group, first = views.groups(data, keys)
    size = len(first)
    result = (pd.DataFrame({c: data[c].take(first).reset_index(drop=True) for c in keys}) if keys
              else pd.DataFrame(index=range(size)))

    def per_group(weights: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=weights, minlength=size)

    partial, marks = {}, {}
    for c in counts:
        values = data[c].to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(values)
        n_hidden = per_group(missing)
        hidden, shown = n_hidden > 0, per_group(~missing) > 0
        total = per_group(np.where(missing, 0.0, values)).astype(np.int64)
        off = ~shown | (hidden & (total == 0))
        result[c] = pd.arrays.IntegerArray(total, off)
        partial[c] = hidden
        if views.mark_column(c) in data.columns:
            # A hidden figure reads "small" only when it is one small month and zeros.
            n_small = per_group((data[views.mark_column(c)] == "small").to_numpy(dtype=bool))
            small = (n_hidden == 1) & (n_small == 1) & (total == 0)
            marks[c] = [("small" if is_small else "protect") if is_off else None
                        for is_off, is_small in zip(off.tolist(), small.tolist())]
    for c, how in combined.items():
        values = data[c].groupby(group, sort=True)
        result[c] = (values.sum(min_count=1) if how == "sum" else getattr(values, how)()).to_numpy()
        partial[c] = per_group(data[c].isna().to_numpy(dtype=bool)) > 0
    for rate in rates:
        numerator = pd.array(result[rate.numerator], dtype="Float64")
        denominator = pd.array(result[rate.denominator], dtype="Float64")
        values = numerator / denominator
        values[np.asarray((denominator == 0).fillna(True), dtype=bool)
               | partial[rate.numerator] | partial[rate.denominator]] = pd.NA
        result[rate.column] = values
        result = disclosure.suppress_rates(result, rate.column, rate.denominator, k, numerator=rate.numerator)
    result = result[[c for c in data.columns if c not in marked]]
    result.attrs = {}
    if (suppression := suppression_of(parts)) is not None:
        if marks:
            suppression["hidden_marks"] = marks
        suppression["suppressed"] = {c: int(result[c].isna().sum()) for c in counts}
        shown_partial = {c: partial[c] & ~np.asarray(result[c].isna(), dtype=bool) for c in counts}
        suppression["partial"] = {c: int(shown_partial[c].sum()) for c in counts}
        # which shown figures leave out a hidden month (a lower bound of the true figure)
        suppression["partial_rows"] = {c: shown_partial[c].tolist() for c in counts}
        result.attrs["suppression"] = suppression
    return result


def combine_areas(query: Query, rows: pd.DataFrame, month: np.ndarray, k: int) -> pd.DataFrame:
    """A whole-period map of areas (as disclosure.coarsen_sites draws them) from its months'
    site rows (`rows`, every month's, with `month` the rank of each row's month).

    Each month's sites are put in that month's areas (disclosure.area_of_sites: which sites
    are open changes which communes hold a single sensitive site), summed and suppressed
    alone. Then a commune shown as its département in any month is shown so for the whole
    period, so that one place is not drawn twice, and the months are added up as `combine`
    does. Each area lists every city, site type and site it held in the period.
    """
    measures = [*query.counts, *(c for c, _ in query.combine)]
    if rows.empty:
        sum_columns, ratios = area_measures(query)
        return disclosure.coarsen_sites(rows, exact=False, sum_columns=sum_columns, ratios=ratios)
    order = np.argsort(month, kind="stable")
    held = rows[["site_id", "city", "site_type", "commune_code", "departement", *measures]].take(order)
    held = held.reset_index(drop=True)
    month = month[order]
    starts = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
    ends = np.r_[starts[1:], len(month)]
    site_ids = held["site_id"].to_numpy(dtype=object)
    areas_by_sites: dict[tuple, np.ndarray] = {}  # the areas of a set of sites, worked out once
    areas = []
    for lo, hi in zip(starts, ends):
        sites = tuple(site_ids[lo:hi])
        if sites not in areas_by_sites:
            one_month = rows.take(order[lo:hi])
            areas_by_sites[sites] = disclosure.area_of_sites(one_month).to_numpy(dtype=object)
        areas.append(areas_by_sites[sites])
    # Each month's cells, worked out in one grouping of all months.
    held["area"] = np.concatenate(areas)
    held["month"] = month
    grouped = held.groupby(["month", "area"], sort=True)
    sums, first = grouped[measures].sum(), grouped[["commune_code", "departement"]].first()
    codes = sums.index.get_level_values("area").to_numpy(dtype=object)
    cells = pd.DataFrame({
        "area_code": pd.array(codes, dtype="string"),
        "area_kind": np.where(codes == first["commune_code"].astype(str).to_numpy(dtype=object), "commune", "departement"),
        "departement": first["departement"].astype("string").to_numpy(),
        **{c: sums[c].to_numpy() for c in measures},
    })
    for rate in query.rates:  # recomputed from the period's sums by `combine`
        cells[rate.column] = pd.array([pd.NA] * len(cells), dtype="Float64")
    # A commune shown as its département in any month is shown so in every month, once each
    # month's cells are suppressed (in the month's own areas).
    communes = held["commune_code"].astype(str).to_numpy(dtype=object)
    in_departement = held["area"].to_numpy(dtype=object) != communes
    lifted = dict(zip(communes[in_departement],
                      held["departement"].astype(str).to_numpy(dtype=object)[in_departement]))
    held["area"] = [lifted.get(area, area) for area in held["area"]]
    moved = np.array([code in lifted for code in codes], dtype=bool)
    period_codes = pd.array([lifted.get(code, code) for code in codes], dtype="string")
    period_kinds = np.where(moved, "departement", cells["area_kind"].to_numpy(dtype=object))

    bounds = np.flatnonzero(np.diff(sums.index.get_level_values("month").to_numpy())) + 1
    lines = [line for line in query.lines if set(line) <= set(cells.columns)]
    parts = []
    for part in np.split(np.arange(len(cells)), bounds):
        one_month = cells.iloc[part].reset_index(drop=True)
        if k > 1:
            one_month = disclosure.suppress_counts(one_month, list(query.counts), k, lines)
        one_month["area_code"] = period_codes[part]
        one_month["area_kind"] = period_kinds[part]
        parts.append(one_month)
    sites = held
    frame = combine(query, parts, k, keys=["area_code", "area_kind", "departement"])
    held_by = {area: group for area, group in sites.groupby("area")}
    areas = [held_by[area] for area in frame["area_code"]]
    frame["cities"] = pd.Series([tuple(sorted(set(map(str, a["city"])))) for a in areas], dtype=object)
    frame["site_count"] = pd.Series([a["site_id"].nunique() for a in areas], dtype="int64")
    frame["site_types"] = pd.Series([",".join(sorted(set(map(str, a["site_type"])))) for a in areas], dtype="string")
    sum_columns, ratios = area_measures(query)
    columns = ["area_code", "area_kind", "departement", "cities", "site_count", "site_types", *sum_columns, *ratios]
    attrs = frame.attrs
    frame = (frame[columns].astype({"area_code": "string", "area_kind": "string", "departement": "string"})
             .sort_values("area_code").reset_index(drop=True))
    frame.attrs = attrs
    return disclosure.naming_nothing_finer(frame)
