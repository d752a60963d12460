"""CSV and XLSX exports: metadata, HXL row, formula escaping, hidden counts, file names."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pandas as pd
import pytest

from terrain import exports
from terrain.exports import ExportContext, escape_cell, export_filename, hxl_tag, to_csv_bytes, to_xlsx_bytes

BANNER = ("DONNÉES SYNTHÉTIQUES — DÉMONSTRATION. Ces chiffres ne décrivent aucune personne réelle. / "
          "SYNTHETIC DATA — DEMONSTRATION. These figures describe no real person.")
METADATA = [
    "Terrain — Consultations par semaine",
    "Période / Period: 2024-01-01 – 2024-01-28 (du 1er au 28 janvier 2024)",
    "Filtres / Filters: Ville: Calais; Activité: Santé mentale",
    "Données au / Data as of: 2024-02-05 (5 février 2024)",
    "Public / Audience: Bailleur de fonds",
    "Source (requêtes) / Source (queries): consultations_by_period",
    "< 11\u00a0: moins de 11, ou masqué pour qu'un autre petit nombre ne puisse pas être retrouvé par soustraction\u00a0; masqué pour protéger les personnes comptées / "
    "< 11: fewer than 11, or hidden so that another small number cannot be worked out by subtraction; hidden to protect the people counted",
]
HEADERS = ["Ville", "Semaine", "Consultations", "Taux d'occupation", "remarks"]
HXL_ROW = ["#adm4+name", "#date+week", "#output+num+consultations", "#indicator+num+occupancy_rate",
           "#meta+remarks"]
DATA = [
    ["Calais", "2024-01-01", "12", "0.5", "ok"],
    ["'=1+1", "2024-01-08", "< 11", "", "'@SUM(A1)"],
    ["'-2+3", "2024-01-15", "-3", "1.25", "'+33"],
    ["Grande-Synthe", "2024-01-22", "40", "", ""],
]


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame({
        "city": ["Calais", "=1+1", "-2+3", "Grande-Synthe"],
        "week": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"]),
        "consultations": pd.array([12, None, -3, 40], dtype="Int64"),
        "occupancy_rate": [0.5, None, 1.25, float("nan")],
        "remarks": ["ok", "@SUM(A1)", "+33", None],
    })
    frame.attrs["suppression"] = {"k": 11, "counts": ["consultations"]}
    return frame


def _context(*, synthetic: bool, lang: str = "fr") -> ExportContext:
    return ExportContext(
        title="Consultations par semaine", period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 1, 28),
        filters={"Ville": "Calais", "Activité": "Santé mentale"}, data_as_of=dt.date(2024, 2, 5),
        audience="Bailleur de fonds", is_synthetic=synthetic, lang=lang, queries=["consultations_by_period"])


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark, for Excel
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _hxl_hashtag_row(rows: list[list]) -> int:
    """The rule HXL libraries use: the first row, within the first 25, whose every non-empty
    cell is a hashtag."""
    for index, row in enumerate(rows[:25]):
        cells = [str(c).strip() for c in row if c not in (None, "") and str(c).strip()]
        if cells and all(re.fullmatch(r"#[A-Za-z][A-Za-z0-9_]*(\s*\+[A-Za-z][A-Za-z0-9_]*)*", c) for c in cells):
            return index
    raise AssertionError("no HXL hashtag row")


# --- escaping ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("-2+3", "'-2+3"),
    ("+33 6 00 00 00 00", "'+33 6 00 00 00 00"),
    ("\t=cmd", "'\t=cmd"),
    ("\r=cmd", "'\r=cmd"),
    ("Calais", "Calais"),
    ("a=b", "a=b"),
    ("< 11", "< 11"),
    ("#adm4+name", "#adm4+name"),
    ("", ""),
    (-3, -3),
    (-3.5, -3.5),
    (None, None),
    (dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
])
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected
    assert type(escape_cell(value)) is type(expected)


# --- HXL ---------------------------------------------------------------------------------

HXL_1_1_HASHTAGS = {
    "#access", "#activity", "#adm1", "#adm2", "#adm3", "#adm4", "#adm5", "#affected", "#beneficiary",
    "#capacity", "#cause", "#channel", "#contact", "#country", "#crisis", "#currency", "#date",
    "#description", "#event", "#frequency", "#geo", "#group", "#impact", "#indicator", "#inneed",
    "#item", "#loc", "#meta", "#modality", "#need", "#operations", "#org", "#output", "#population",
    "#reached", "#region", "#respondee", "#sector", "#service", "#severity", "#status", "#subsector",
    "#targeted", "#value",
}


def test_every_known_tag_uses_a_core_hashtag_and_valid_syntax():
    for column, tag in exports.HXL.items():
        assert re.fullmatch(r"#[a-z0-9]+(\+[a-z][a-z0-9_]*)*", tag), column
        assert tag.split("+")[0] in HXL_1_1_HASHTAGS, column


@pytest.mark.parametrize("column, tag", [
    ("city", "#adm4+name"),
    ("commune_code", "#adm4+code"),
    ("departement", "#adm2+code"),
    ("site_name", "#loc+name"),
    ("night", "#date"),
    ("people_reached", "#reached"),
    # refusals are counted night by night: not #affected, which counts people
    ("turned_away", "#indicator+num+refusals"),
    ("turned_away_minors", "#indicator+num+refusals+children"),
    ("turned_away_girls", "#indicator+num+refusals+f+children"),
    ("doses_in_target", "#reached+vaccinated"),
    ("beds_available", "#capacity+num+beds"),
    ("share_uninsured", "#meta+share_uninsured"),
    ("Évolution (%)", "#meta+evolution"),
])
def test_hxl_tag(column, tag):
    assert hxl_tag(column) == tag


# --- CSV ---------------------------------------------------------------------------------

def test_csv_layout_metadata_header_hxl_row_and_data():
    rows = _csv_rows(to_csv_bytes(_frame(), _context(synthetic=True)))
    assert rows == [[BANNER], *[[line] for line in METADATA], [], HEADERS, HXL_ROW, *DATA]
    assert _hxl_hashtag_row(rows) == len(METADATA) + 3
    assert rows[_hxl_hashtag_row(rows) - 1] == HEADERS  # HXL tools take this row as headers


def test_csv_of_real_data_carries_no_synthetic_marker():
    content = to_csv_bytes(_frame(), _context(synthetic=False))
    rows = _csv_rows(content)
    assert rows[:len(METADATA) + 1] == [*[[line] for line in METADATA], []]
    assert not re.search("SYNTHÉTIQUE|SYNTHETIC", content.decode("utf-8-sig"), re.I)


def test_csv_headers_follow_the_language():
    rows = _csv_rows(to_csv_bytes(_frame(), _context(synthetic=False, lang="en")))
    assert rows[len(METADATA) + 1] == ["City", "Week", "Consultations", "Occupancy rate", "remarks"]
    assert rows[1] == ["Période / Period: 2024-01-01 – 2024-01-28 (1–28 January 2024)"]


def test_hidden_counts_take_k_from_the_query_door_when_suppression_names_no_k():
    frame = _frame()
    frame.attrs = {"provenance": {"query": "consultations_by_period", "threshold": 5}}
    rows = _csv_rows(to_csv_bytes(frame, _context(synthetic=False)))
    assert rows[-3][2] == "< 5"
    assert rows[len(METADATA) - 1] == [
        "< 5\u00a0: moins de 5, ou masqué pour qu'un autre petit nombre ne puisse pas être retrouvé par soustraction\u00a0; masqué pour protéger les personnes comptées / "
        "< 5: fewer than 5, or hidden so that another small number cannot be worked out by subtraction; hidden to protect the people counted"]


def test_a_donor_download_marks_small_protecting_and_partial_figures_apart(fixture_db):
    """Read from the published set: "< 11" for a small cell, "[c]" for a cell hidden to
    protect it, "≥ N" for a figure that leaves out a hidden month, and the one legend."""
    from terrain import queries, store
    con = store.open_readonly(fixture_db)
    try:
        frame = queries.run(con, "consultations_by_city_activity",
                            {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 3, 31), "cities": []}, role="donor")
    finally:
        con.close()
    rows = _csv_rows(to_csv_bytes(frame, _context(synthetic=False)))
    data = rows[_hxl_hashtag_row(rows) + 1:]
    assert len(data) == len(frame)
    shown = [row[list(frame.columns).index("consultations")] for row in data]
    marks = frame.attrs["suppression"]["hidden_marks"]["consultations"]
    partial = frame.attrs["suppression"]["partial_rows"]["consultations"]
    expected = ["< 11" if mark == "small" else "[c]" if mark == "protect" else
                f"≥ {value}" if lower else str(value)
                for value, mark, lower in zip(frame["consultations"], marks, partial)]
    assert shown == expected
    assert {"< 11", "[c]"} <= set(shown)
    legend = [row for row in rows if row and row[0].startswith("«")]
    assert legend and "[c]" in legend[0][0] and "≥" in legend[0][0]


def test_without_suppression_a_missing_count_is_left_empty_and_no_note_is_added():
    frame = _frame()
    frame.attrs = {"provenance": {"query": "consultations_by_period", "threshold": 0}}
    rows = _csv_rows(to_csv_bytes(frame, _context(synthetic=False)))
    assert rows[-3][2] == ""
    assert not any(row and row[0].startswith("<") for row in rows)


def test_metadata_and_headers_are_escaped_too():
    frame = pd.DataFrame({"=HYPERLINK(\"x\")": [1]})
    ctx = ExportContext(title="t", period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 1, 1),
                        data_as_of=dt.date(2024, 1, 2), audience="=evil()", is_synthetic=False,
                        filters={"-x": "@y"})
    rows = _csv_rows(to_csv_bytes(frame, ctx))
    assert ["Filtres / Filters: -x: @y"] in rows  # inside the line, not at its start: inert
    assert ["Public / Audience: =evil()"] in rows
    assert rows[-3] == ["'=HYPERLINK(\"x\")"]
    assert rows[-2] == ["#meta+hyperlink_x"]


# --- XLSX --------------------------------------------------------------------------------

def _workbook(frame: pd.DataFrame, ctx: ExportContext) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame, ctx)))


def _values(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


COLUMN_LINES = [
    "", "Colonnes (en-tête — nom — hashtag HXL) :",
    "Ville — city — #adm4+name",
    "Semaine — week — #date+week",
    "Consultations — consultations — #output+num+consultations",
    "Taux d'occupation — occupancy_rate — #indicator+num+occupancy_rate",
    "remarks — remarks — #meta+remarks",
]


def test_xlsx_data_sheet_on_synthetic_data():
    book = _workbook(_frame(), _context(synthetic=True))
    assert book.sheetnames == ["données", "à propos"]
    data = book["données"]
    rows = _values(data)
    assert rows[0] == ["DONNÉES SYNTHÉTIQUES — DÉMONSTRATION / SYNTHETIC DATA — DEMONSTRATION",
                       None, None, None, None]
    assert [str(r) for r in data.merged_cells.ranges] == ["A1:E1"]
    # the header, then the data: the HXL row is the HXL CSV's, not the reader's workbook's
    assert rows[1:] == [
        HEADERS,
        ["Calais", dt.datetime(2024, 1, 1), 12, 0.5, "ok"],
        ["'=1+1", dt.datetime(2024, 1, 8), "< 11", None, "'@SUM(A1)"],
        ["'-2+3", dt.datetime(2024, 1, 15), -3, 1.25, "'+33"],
        ["Grande-Synthe", dt.datetime(2024, 1, 22), 40, None, None],
    ]
    assert data.auto_filter.ref == "A2:E6"        # the filter sits on the header, below the banner
    assert data.freeze_panes == "A3"               # the header stays in view
    assert (data["B3"].number_format, data["C3"].number_format, data["D3"].number_format) == (
        "dd/mm/yyyy", "#,##0", "0.0%")
    assert data["C5"].data_type == "n"  # -3 stays a number
    assert data["C4"].value == "< 11" and data["C4"].number_format == "General"
    assert not any(cell.data_type == "f" for row in data.iter_rows() for cell in row)
    assert data.column_dimensions["E"].width >= len("remarks") + 3


def test_xlsx_about_sheet_and_properties_carry_the_marker():
    book = _workbook(_frame(), _context(synthetic=True))
    assert [row[0] or "" for row in _values(book["à propos"])] == [BANNER, *METADATA, *COLUMN_LINES]
    assert book.properties.title == "Terrain — Consultations par semaine"
    assert book.properties.subject == "DONNÉES SYNTHÉTIQUES — DÉMONSTRATION / SYNTHETIC DATA — DEMONSTRATION"


def test_xlsx_of_real_data_starts_with_the_header_and_has_no_marker():
    book = _workbook(_frame(), _context(synthetic=False))
    data = book["données"]
    rows = _values(data)
    assert rows[0] == HEADERS
    assert rows[2][2] == "< 11"
    assert data.auto_filter.ref == "A1:E5" and data.freeze_panes == "A2"
    assert not data.merged_cells.ranges
    assert [row[0] or "" for row in _values(book["à propos"])] == [*METADATA, *COLUMN_LINES]
    assert book.properties.subject is None
    everything = " ".join(str(v) for sheet in book for row in _values(sheet) for v in row)
    assert not re.search("SYNTHÉTIQUE|SYNTHETIC", everything, re.I)


def test_an_english_workbook_has_english_sheets_and_iso_dates():
    book = _workbook(_frame(), _context(synthetic=False, lang="en"))
    assert book.sheetnames == ["data", "about"]
    assert _values(book["data"])[0] == ["City", "Week", "Consultations", "Occupancy rate", "remarks"]
    assert book["data"]["B2"].number_format == "yyyy-mm-dd"


# --- file names --------------------------------------------------------------------------

@pytest.mark.parametrize("what, where, ext, expected", [
    ("consultations", "Calais", "csv", "terrain_consultations_calais_2024-01-01_2024-03-31.csv"),
    ("Refus faute de place", "Grande-Synthe (La Linière)", ".XLSX",
     "terrain_refus-faute-de-place_grande-synthe-la-liniere_2024-01-01_2024-03-31.xlsx"),
    ("turned_away", None, "csv", "terrain_turned_away_2024-01-01_2024-03-31.csv"),
    ("../../etc/passwd", "Pantin/Paris", "csv", "terrain_etc-passwd_pantin-paris_2024-01-01_2024-03-31.csv"),
])
def test_export_filename(what, where, ext, expected):
    assert export_filename(what, where, dt.date(2024, 1, 1), dt.date(2024, 3, 31), ext) == expected


def test_export_filename_refuses_a_strange_extension():
    with pytest.raises(ValueError, match="extension"):
        export_filename("x", "y", dt.date(2024, 1, 1), dt.date(2024, 1, 2), "")
