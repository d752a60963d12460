"""The catalogue (terrain/queries/catalogue.py): a query file's header read and checked
against its SQL, for any header Hypothesis can write."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terrain import queries
from terrain.queries import catalogue

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
PARAMS = st.sets(NAMES, max_size=6)


def _text(declared, used, extra_header: str = "", name: str = "q") -> str:
    body = ", ".join(f"${p}" for p in sorted(used)) or "1"
    return (f"-- name: {name}\n-- A description.\n-- params: {', '.join(sorted(declared))}\n-- level: city\n"
            f"-- grain: none\n{extra_header}SELECT {body}\n")


@given(PARAMS)
def test_the_parameters_declared_and_used_are_read(params):
    query = catalogue.parse("q", _text(params, params))
    assert query.params == frozenset(params)
    assert query.description == "A description."


@given(PARAMS, PARAMS)
def test_a_parameter_used_but_not_declared_or_declared_but_not_used_is_refused(declared, used):
    if declared == used:
        return
    with pytest.raises(queries.QueryError) as refused:
        catalogue.parse("q", _text(declared, used))
    undeclared, unused = sorted(used - declared), sorted(declared - used)
    assert f"used but not declared: {undeclared or 'none'}; declared but not used: {unused or 'none'}" \
        in str(refused.value)


@given(PARAMS, st.text(alphabet="abc $_'-", max_size=20))
def test_parameters_in_strings_and_comments_are_not_parameters(params, noise):
    quoted = "'" + noise.replace("'", "''") + " $hidden'"
    text = _text(params, params) + f"-- and $not_a_parameter {noise}\n/* $nor_this */ , {quoted}\n"
    assert catalogue.parse("q", text).params == frozenset(params)


COLUMNS = st.lists(NAMES, min_size=1, max_size=4, unique=True)


@given(COLUMNS, st.lists(st.lists(NAMES, max_size=3, unique=True), max_size=3),
       st.lists(st.sampled_from(catalogue.COMBINATIONS), min_size=1, max_size=1))
def test_counts_lines_and_combinations_read_back_as_written(counts, lines, how):
    combined = [f"{c}_other" for c in counts]   # never a count
    header = (f"-- counts: {', '.join(counts)}\n"
              f"-- lines: {'; '.join(', '.join(line) if line else '*' for line in lines)}\n"
              f"-- combine: {', '.join(f'{c} = {how[0]}' for c in combined)}\n")
    query = catalogue.parse("q", _text({"start", "end"}, {"start", "end"}, header))
    assert query.counts == tuple(counts)
    assert query.lines == tuple(tuple(line) for line in lines)
    assert query.combine == tuple((c, how[0]) for c in combined)
    assert query.hides


@given(NAMES, NAMES, NAMES)
def test_a_rate_reads_as_its_column_and_parts(column, numerator, denominator):
    query = catalogue.parse("q", _text(set(), set(), f"-- rates: {column} = {numerator} / {denominator}\n"))
    assert query.rates == (catalogue.Rate(column, numerator, denominator),)
    assert query.hides
    assert not catalogue.parse("q", _text(set(), set())).hides


@pytest.mark.parametrize("text, message", [
    (_text(set(), set(), name="other"), "its header names it 'other'"),
    (_text(set(), set(), "-- level: site\n"), "'level' is declared twice"),
    (_text(set(), set()).replace("-- grain: none\n", ""), "must declare '-- grain:'"),
    (_text(set(), set()).replace("level: city", "level: street"), "level 'street' is not one of"),
    (_text(set(), set()).replace("grain: none", "grain: year"), "grain 'year' is not day, week, month"),
    (_text(set(), set()).replace("grain: none", "grain: $grain"), "grain is \\$grain but the query has no \\$grain"),
    (_text(set(), set(), "-- rates: share = a\n"), "must read 'rate = numerator / denominator'"),
    (_text(set(), set(), "-- combine: n = average\n"), "must read 'column = sum', 'min' or 'max'"),
])
def test_a_malformed_header_is_refused_in_one_line_naming_the_file(text, message):
    with pytest.raises(queries.QueryError, match=message) as refused:
        catalogue.parse("q", text)
    assert str(refused.value).startswith("queries/q.sql: ") and "\n" not in str(refused.value)


@pytest.mark.parametrize("name", ["Cities", "../cities", "cities.sql", "no_such_query"])
def test_only_a_query_of_the_catalogue_loads(name):
    with pytest.raises(queries.QueryError, match="is not a query name|No query named"):
        catalogue.load(name)


@given(PARAMS, PARAMS)
def test_a_call_must_give_exactly_the_declared_parameters(declared, given_params):
    query = catalogue.parse("q", _text(declared, declared))
    if declared == given_params:
        catalogue.check_params(query, dict.fromkeys(given_params))
        return
    with pytest.raises(queries.QueryError, match=r"missing: .*, unexpected: "):
        catalogue.check_params(query, dict.fromkeys(given_params))


def test_preloading_reads_every_query_and_probes_the_published_ones_as_a_first_run_would():
    """What a served process does at start (terrain/asgi.py): afterwards a page's first run of
    any query finds it read, checked and, where the published sets are read, probed."""
    catalogue.load.cache_clear()
    catalogue.probe_columns.cache_clear()
    catalogue.preload()
    loaded = catalogue.load.cache_info()
    assert loaded.currsize == len(catalogue.names())   # every query of the catalogue loads
    published = [name for name in catalogue.names() if catalogue.load(name).published]
    assert published and catalogue.probe_columns.cache_info().currsize == len(published)
    hits = catalogue.probe_columns.cache_info().hits
    for name in published:
        catalogue.probe_columns(name)
    assert catalogue.probe_columns.cache_info().hits == hits + len(published)   # none probed again
