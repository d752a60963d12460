"""Tables as pages show them and the spreadsheet downloads: every cell in the reader's
language (Babel), labels not codes, hidden counts marked, figures that round-trip through the
CSV a French or English Excel opens, and an XLSX with a filter and a frozen header."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import string

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terrain import exports, i18n, queries, store
from terrain.exports import ExportContext
from tests.apptest import run_page, table_texts

FR = lambda key, **v: i18n.t(key, "fr", **v)
JANUARY_URL = {"period": "custom", "from": "2024-01-01", "to": "2024-01-31"}


def _context(lang: str = "fr", headers=None, synthetic: bool = True) -> ExportContext:
    return ExportContext(title="Tableau", period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 1, 31),
                         data_as_of=dt.date(2024, 2, 5), audience="Bailleur de fonds", is_synthetic=synthetic,
                         lang=lang, queries=["occupancy_by_city"], headers=headers or {})


# --- cells, as pages show them --------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(value=finite, lang=st.sampled_from(i18n.LANGUAGES))
def test_a_decimal_cell_reads_back_as_the_rounded_number(value, lang):
    text = i18n.format_cell(value, "decimal", lang)
    assert "-" not in text and "None" not in text
    group, decimal = ("\u202f", ",") if lang == "fr" else (",", ".")
    number = float(text.replace(group, "").replace(decimal, ".").replace(i18n.MINUS, "-"))
    assert number == pytest.approx(float(i18n._rounded(value, 1)), abs=1e-9)
    assert text.startswith(i18n.MINUS) == (number < 0)


@given(ratio=st.floats(min_value=-5, max_value=5, allow_nan=False), lang=st.sampled_from(i18n.LANGUAGES))
def test_a_percent_cell_has_one_decimal_and_the_locale_sign(ratio, lang):
    text = i18n.format_cell(ratio, "percent", lang)
    pattern = r"−?\d{1,3}(\u202f\d{3})*,\d\u00a0%" if lang == "fr" else r"−?\d{1,3}(,\d{3})*\.\d%"
    assert re.fullmatch(pattern, text), text


@given(day=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 12, 31)),
       lang=st.sampled_from(i18n.LANGUAGES))
def test_a_date_cell_has_one_style_and_a_time_only_when_there_is_one(day, lang):
    text = i18n.format_cell(pd.Timestamp(day), "date", lang)
    assert text.startswith(i18n.format_date(day.date(), lang, "medium"))
    assert "00:00:00" not in text and str(day.year) in text
    assert text.endswith(day.strftime(" %H:%M")) == (day.time() != dt.time(0, 0))


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, pd.NaT])
def test_a_missing_cell_is_empty_not_none(value):
    assert all(i18n.format_cell(value, kind, "fr") == "" for kind in ("integer", "decimal", "percent", "date", "text"))


def test_cell_texts_mark_hidden_and_partial_counts_and_label_nothing_else():
    frame = pd.DataFrame({"city": ["Calais", "Pantin", "Paris"],
                          "turned_away": pd.array([None, None, 12], dtype="Int64"),
                          "occupancy_rate": [0.959, None, 1.0], "tmin_c": [-0.3, 0.0, 2.25]})
    frame.attrs["suppression"] = {"k": 11, "counts": ["turned_away"],
                                  "hidden_marks": {"turned_away": ["small", "protect", None]},
                                  "partial_rows": {"turned_away": [False, False, True]}}
    texts = exports.cell_texts(frame, "fr")
    assert texts.to_dict("list") == {"city": ["Calais", "Pantin", "Paris"],
                                     "turned_away": ["< 11", "[c]", "≥ 12"],
                                     "occupancy_rate": ["95,9\u00a0%", "", "100,0\u00a0%"],
                                     "tmin_c": ["−0,3", "0,0", "2,3"]}


# --- the CSV for Excel -----------------------------------------------------------------------

# Columns as pages hand them to show_table; every one has a label in both languages.
KNOWN_COLUMNS = sorted({key.split(".")[2] for key in i18n.catalogue()
                        if key.startswith(("common.field.", "tables.field."))} | set(exports.LABEL_CATEGORIES))
text = st.text(alphabet=string.ascii_letters + "éèàçÉ ;,'\"-", min_size=1, max_size=12)


@st.composite
def tables(draw):
    rows = draw(st.integers(min_value=1, max_value=6))
    column = lambda strategy: draw(st.lists(strategy, min_size=rows, max_size=rows))
    return pd.DataFrame({
        "site_name": column(text),
        "night": pd.to_datetime(column(st.dates(dt.date(2016, 1, 1), dt.date(2030, 12, 31)))),
        "turned_away": pd.array(column(st.integers(-10**9, 10**9)), dtype="Int64"),
        "tmin_c": column(st.floats(-60, 60, allow_nan=False)),
        "occupancy_rate": column(st.floats(0, 3, allow_nan=False)),
        "activity": column(st.sampled_from(["medical", "mental_health", "social", "legal"])),
    })


def _read_back(content: bytes, lang: str) -> pd.DataFrame:
    separator, decimal = (";", ",") if lang == "fr" else (",", ".")
    return pd.read_csv(io.BytesIO(content), sep=separator, decimal=decimal, encoding="utf-8-sig",
                       keep_default_na=False, dtype={i18n.t("common.field.site_name", lang): str})


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(frame=tables(), lang=st.sampled_from(i18n.LANGUAGES))
def test_the_excel_csv_reads_back_as_the_same_figures(frame, lang):
    content = exports.to_spreadsheet_csv_bytes(frame, _context(lang))
    assert content.startswith(b"\xef\xbb\xbf")   # UTF-8 byte order mark: Excel reads the accents
    back = _read_back(content, lang)
    field = lambda column: i18n.t(f"common.field.{column}", lang)
    assert list(back.columns) == [field("site_name"), field("night"), field("turned_away"), field("tmin_c"),
                                  i18n.t("tables.percent_header", lang, header=field("occupancy_rate")),
                                  field("activity")]
    assert back[field("turned_away")].tolist() == frame["turned_away"].tolist()
    assert back[field("tmin_c")].tolist() == frame["tmin_c"].tolist()   # exactly: no rounding
    assert back.iloc[:, 4].tolist() == pytest.approx([v * 100 for v in frame["occupancy_rate"]], rel=1e-12, abs=1e-12)
    dates = pd.to_datetime(back[field("night")], format="%d/%m/%Y" if lang == "fr" else "%Y-%m-%d")
    assert dates.tolist() == frame["night"].tolist()
    assert back[field("site_name")].tolist() == [exports.escape_cell(v) for v in frame["site_name"]]
    assert back[field("activity")].tolist() == [i18n.label("activity", v, lang) for v in frame["activity"]]


@settings(max_examples=40)
@given(columns=st.lists(st.sampled_from(KNOWN_COLUMNS), min_size=1, max_size=8, unique=True),
       lang=st.sampled_from(i18n.LANGUAGES))
def test_no_code_is_left_in_the_headers(columns, lang):
    frame = pd.DataFrame({column: [1] for column in columns})
    content = exports.to_spreadsheet_csv_bytes(frame, _context(lang))
    header = next(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";" if lang == "fr" else ","))
    kept = [c for c in columns if not c.endswith(("_id", "_small", "_partial"))]
    assert len(header) == len(kept)
    assert not set(header) & set(kept) and not any(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", h) for h in header)


def test_the_page_headers_come_first_and_row_keys_stay_out():
    frame = pd.DataFrame({"site_id": ["calais_camps"], "city": ["Calais"], "nights_open": [4]})
    content = exports.to_spreadsheet_csv_bytes(frame, _context(headers={"nights_open": "Nuits d'ouverture",
                                                                         "city": "Ville"}))
    assert content.decode("utf-8-sig") == "Nuits d'ouverture;Ville\r\n4;Calais\r\n"


def test_the_context_file_names_period_filters_source_and_columns():
    frame = pd.DataFrame({"city": ["Calais"], "turned_away": [3]})
    content = exports.context_text_bytes(frame, _context())
    lines = content.decode("utf-8-sig").split("\r\n")
    assert content.startswith(b"\xef\xbb\xbf")
    assert lines[0].startswith("DONNÉES SYNTHÉTIQUES")
    assert "Période / Period: 2024-01-01 – 2024-01-31 (du 1er au 31 janvier 2024)" in lines
    assert "Source (requêtes) / Source (queries): occupancy_by_city" in lines
    assert "Refus faute de place — turned_away — #indicator+num+refusals" in lines


def _donor_frame(fixture_db, name="consultations_by_city_activity"):
    con = store.open_readonly(fixture_db)
    try:
        return queries.run(con, name, {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 3, 31), "cities": []},
                           role="donor")
    finally:
        con.close()


def test_a_donor_excel_csv_reads_the_published_set_with_its_marks(fixture_db):
    frame = _donor_frame(fixture_db)
    content = exports.to_spreadsheet_csv_bytes(frame, _context())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Ville", "Activité", "Consultations"]
    marks = frame.attrs["suppression"]["hidden_marks"]["consultations"]
    partial = frame.attrs["suppression"]["partial_rows"]["consultations"]
    expected = ["< 11" if mark == "small" else "[c]" if mark == "protect" else f"≥ {value}" if lower else str(value)
                for value, mark, lower in zip(frame["consultations"], marks, partial)]
    assert [row[2] for row in rows[1:]] == expected
    assert {"< 11", "[c]"} <= set(expected)
    assert [row[1] for row in rows[1:]] == [i18n.label("activity", a, "fr") for a in frame["activity"]]


def test_a_donor_workbook_has_labels_formats_and_the_marks(fixture_db):
    frame = _donor_frame(fixture_db, "occupancy_summary_by_city")
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(frame, _context(synthetic=False))))
    data = book["données"]
    header = [cell.value for cell in data[1]]
    assert "Taux d'occupation" in header and "occupancy_rate" not in header
    assert data.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{len(frame) + 1}"
    assert data.freeze_panes == "A2"
    rate = [cell for cell in data[openpyxl.utils.get_column_letter(header.index("Taux d'occupation") + 1)][1:]]
    assert all(cell.number_format == "0.0%" for cell in rate if isinstance(cell.value, float))
    counts = [cell for column in data.iter_cols(min_row=2) for cell in column if cell.number_format == "#,##0"]
    assert counts and all(isinstance(cell.value, int) for cell in counts)
    shown = {cell.value for column in data.iter_cols(min_row=2) for cell in column if isinstance(cell.value, str)}
    assert shown & {"< 11", "[c]"}
    assert not any(isinstance(v, (int, float)) and 0 < v < 11 for v in
                   (cell.value for name in ("turned_away", "turned_away_minors", "turned_away_girls")
                    for cell in data[openpyxl.utils.get_column_letter(header.index(exports.header_of(name, "fr")) + 1)][1:]))


# --- the page's table (AppTest) ----------------------------------------------------------

def _occupancy(monkeypatch, fixture_db, role, lang="fr"):
    return run_page("pages/occupancy.py", role, {**JANUARY_URL, "lang": lang}, db=fixture_db, monkeypatch=monkeypatch)


@pytest.mark.parametrize("role", ["programme_manager", "donor"])
def test_occupancy_tables_read_in_french_and_sort_as_numbers(role, monkeypatch, fixture_db):
    at = _occupancy(monkeypatch, fixture_db, role)
    assert at.dataframe
    for table in at.dataframe:
        texts, values = table_texts(table), table.value
        assert list(texts.columns) == list(values.columns)
        assert not any(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", str(c)) for c in texts.columns), texts.columns
        cells = [str(v) for v in texts.to_numpy().ravel()]
        assert not any(c in ("None", "nan", "<NA>", "NaT") or "00:00:00" in c or re.search(r"\d\.\d", c)
                       or re.match(r"-\d", c) for c in cells), cells
        rate = FR("occupancy.column.occupancy_rate")
        assert all(re.fullmatch(r"\d{1,3},\d\u00a0%", c) or c == "" for c in texts[rate])
        assert pd.api.types.is_float_dtype(values[rate])    # sorted by the number under the text
        for column in texts.columns:
            if pd.api.types.is_datetime64_any_dtype(values[column]):
                assert all(re.fullmatch(r"\d{1,2} [a-zéû]+\.? 2024", c) for c in texts[column]), texts[column]
    if role == "donor":
        turned = FR("occupancy.column.turned_away")
        cells = [(v, c) for table in at.dataframe for v, c in zip(table.value[turned], table_texts(table)[turned])]
        hidden = [(v, c) for v, c in cells if c in ("< 11", "[c]")]
        # under a hidden count's mark, the mark: no number, so never a 0 in the grid or its export
        assert hidden and all(v == c for v, c in hidden)
        # the shown counts of that column sort as the numbers they show ("1234" under "1 234")
        shown = [(v, c) for v, c in cells if (v, c) not in hidden]
        assert shown and all(float(v) == float(c.removeprefix("≥ ").replace("\u202f", "")) for v, c in shown)


def test_overview_table_names_activities_in_english(monkeypatch, fixture_db):
    at = run_page("pages/overview.py", "programme_manager", {**JANUARY_URL, "lang": "en"}, db=fixture_db,
                  monkeypatch=monkeypatch, user="t")
    texts = table_texts(at.dataframe[0])
    activities = set(texts[i18n.t("common.activity_label", "en")])
    assert activities and activities <= {i18n.label("activity", a, "en") for a in ("medical", "mental_health",
                                                                                     "social", "legal")}
    assert [b.proto.label for b in at.get("download_button")] == [
        i18n.t(key, "en") for key in ("tables.download_csv", "tables.download_xlsx", "tables.download_context",
                                      "tables.download_hxl")]
    # made when clicked, and a click runs nothing (a run would replace the buttons under the next click)
    assert all(b.proto.deferred_file_id and b.proto.ignore_rerun for b in at.get("download_button"))


def test_no_code_changes_a_pandas_option_per_table():
    """pandas options are global to the process, whose sessions draw tables at once in their
    own threads: a per-table `styler.render.max_elements` made another session's larger table
    fail under load (found by `python -m terrain loadtest`). It is set once, in terrain/ui/tables.py."""
    import re

    from terrain import ROOT
    from terrain.ui import tables

    for path in [*(ROOT / "terrain").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "dashboard.py"]:
        text = path.read_text(encoding="utf-8")
        for call in re.findall(r"pd\.(?:option_context|set_option)\([^)]*\)", text):
            assert path.relative_to(ROOT).as_posix() == "terrain/ui/tables.py" and "STYLER_MAX_CELLS" in call, \
                f"{path}: {call}"
    assert pd.get_option("styler.render.max_elements") == tables.STYLER_MAX_CELLS


# --- tables kept once formatted (terrain/ui/tables.py, _table_shown) --------------------------

def _display_values(shown) -> pd.DataFrame:
    """What Streamlit makes of the table's Styler: its own code, run on the kept cells."""
    from streamlit.elements.lib.pandas_styler_utils import _use_display_values

    return _use_display_values(shown.table, shown.cells)


counts = st.lists(st.one_of(st.none(), st.integers(0, 5000)), min_size=1, max_size=6)


@given(first=counts, second=counts, lang=st.sampled_from(i18n.LANGUAGES))
@settings(max_examples=60, deadline=None)
def test_a_kept_table_shows_the_texts_of_its_own_figures_only(first, second, lang):
    from terrain.ui import tables as ui_tables

    def frame(values):
        rows = pd.DataFrame({"city": ["Calais"] * len(values), "activity": ["medical"] * len(values),
                             "consultations": pd.array(values, dtype="Int64")})
        rows.attrs["suppression"] = {"k": 11, "counts": ["consultations"],
                                     "hidden_marks": {"consultations": ["small" if v is None else None for v in values]}}
        rows.attrs["provenance"] = {"threshold": 11}
        return rows

    for values in (first, second, first):
        rows = frame(values)
        shown = ui_tables._table_shown(rows, None, lang)
        expected = exports.cell_texts(exports.with_labels(rows, lang), lang)
        assert _display_values(shown).to_numpy().tolist() == expected.to_numpy().tolist()
        assert list(shown.table.columns) == [exports.header_of(c, lang) for c in rows.columns]


def test_a_table_is_formatted_again_for_other_figures_attributes_columns_or_language():
    from terrain.ui import tables as ui_tables

    rows = pd.DataFrame({"activity": ["medical", "legal"], "consultations": [1234, 56],
                         "occupancy_rate": [0.959, 1.0]})
    rows.attrs["provenance"] = {"query": "q", "params": {"start": "2024-01-01"}}
    shown = ui_tables._table_shown(rows, None, "fr")
    assert ui_tables._table_shown(rows.copy(), None, "fr") is shown            # same figures: kept
    assert _display_values(shown)["Activité"].tolist() == ["Médical", "Juridique"]
    assert _display_values(shown).iloc[0].tolist()[1:] == ["1\u202f234", "95,9\u00a0%"]
    english = ui_tables._table_shown(rows, None, "en")
    assert _display_values(english).iloc[0].tolist() == ["Medical", "1,234", "95.9%"]
    changed = rows.assign(consultations=[1235, 56])
    assert _display_values(ui_tables._table_shown(changed, None, "fr")).iloc[0, 1] == "1\u202f235"
    other_period = rows.copy()
    other_period.attrs["provenance"] = {"query": "q", "params": {"start": "2024-02-01"}}
    assert ui_tables._table_shown(other_period, None, "fr") is not shown
    only = ui_tables._table_shown(rows, {"consultations": "Nombre"}, "fr")
    assert list(only.table.columns) == ["Nombre"]


def _january_table(at) -> pd.DataFrame:
    """The shelters' summary of the occupancy page: one row per shelter, as shown."""
    site, turned = FR("occupancy.column.site_name"), FR("occupancy.column.turned_away")
    tables = [table_texts(t) for t in at.dataframe]
    found = [t for t in tables if site in t.columns and turned in t.columns and t[site].is_unique]
    assert found, [list(t.columns) for t in tables]
    return found[0].set_index(site)


def test_a_new_data_version_shows_its_own_figures_in_the_tables(tmp_path, monkeypatch):
    """A rerun after an import formats the new figures, not the ones kept from before."""
    from terrain.importing import loading
    from tests import fixture_data

    db = fixture_data.build(tmp_path / "terrain.duckdb", is_synthetic=False, approved=False)
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    monkeypatch.setenv("TERRAIN_DB", str(db))
    turned = FR("occupancy.column.turned_away")

    def january():
        at = run_page("pages/occupancy.py", "programme_manager", JANUARY_URL, user="t", run=False)
        at.session_state["occupancy_table_tab"] = FR("occupancy.table.summary_by_site")   # its tab, open
        return _january_table(at.run())

    shelter = "Hébergement filles Pantin"   # pantin_girls_shelter, tests/fixture_data.py
    before = january()
    assert before.loc[shelter, turned] == "3"
    nights = ("site_id;night;beds_available;beds_occupied;turned_away;turned_away_minors;turned_away_girls\r\n"
              "pantin_girls_shelter;15/01/2024;10;10;1500;0;0\r\n").encode("cp1252")
    report = loading.import_file(nights, "semaine.csv", "shelter_nights", db=db, user="test", via="test",
                                 replace=True, today=dt.date(2024, 3, 1))
    assert report.outcome == "loaded", report
    con = store.open_readonly(db)
    try:
        expected = con.execute("SELECT sum(turned_away) FROM shelter_nights WHERE site_id = 'pantin_girls_shelter'"
                               " AND night BETWEEN '2024-01-01' AND '2024-01-31'").fetchall()[0][0]
    finally:
        con.close()
    after = january()
    assert after.loc[shelter, turned] == i18n.format_number(expected, "fr") != "3"


@pytest.mark.parametrize("other", [{"period": "custom", "from": "2024-02-01", "to": "2024-02-29"},
                                   {"lang": "en"}, {"city": "Calais"}])
def test_tables_after_another_view_are_those_of_a_first_run(other, monkeypatch, fixture_db):
    """The tables a page shows once other filters or another language went before are the
    ones it shows with nothing kept: the kept tables never stand in for another view's."""
    from terrain.ui import tables as ui_tables

    def tables(params):
        at = run_page("pages/occupancy.py", "programme_manager", params, user="t")
        return [(list(table_texts(t).columns), table_texts(t).to_numpy().tolist(), t.value.to_numpy().tolist())
                for t in at.dataframe]

    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    view = {**JANUARY_URL, **other}
    ui_tables._tables_shown.clear()
    cold = tables(view)
    ui_tables._tables_shown.clear()
    tables(JANUARY_URL)
    warm = tables(view)
    assert warm == cold and cold != tables(JANUARY_URL)
