"""Table downloads (CSV and XLSX) that carry their context and stay safe to open, and the
cells of the tables shown on pages.

Three downloads of one table:
- the spreadsheet CSV (`to_spreadsheet_csv_bytes`), what the CSV button gives: opens in
  columns in the reader's Excel without an import wizard (French: ";" and decimal comma;
  English: "," and decimal point; UTF-8 with a byte order mark either way), one header row of
  labels, then the data, nothing above or below, so it sorts and filters as it is. Its
  context goes in a second file beside it (`context_text_bytes`);
- the XLSX (`to_xlsx_bytes`): the data sheet with a filter and a frozen header, real numbers
  with number formats, the context on a second sheet;
- the HXL CSV (`to_csv_bytes`), for HXL tools: context lines, headers, hashtag row, data.

Every export says what it is: title, period, filters, "data as of" date, audience, source
queries, and the synthetic-data marker when the data are a demonstration. HXL hashtags
(Humanitarian Exchange Language, https://hxlstandard.org/standard/1-1final/) are on the HXL CSV
and in the context. Text cells are escaped against spreadsheet formula injection (OWASP, "CSV
Injection"), and counts hidden by disclosure control read "< k" (or "[c]"), never blank or 0.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping, Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from terrain import indicators
from terrain.i18n import (
    LANGUAGES,
    catalogue,
    format_cell,
    format_date,
    format_period,
    t,
)

# Hashtags and attributes from the HXL 1.1 dictionary; attributes the dictionary lacks
# (+beds, +turned_away, ...) are custom attributes, which HXL allows and its tools ignore
# when they do not know them.
# French administrative levels as in the INSEE code and Geonames: adm1 région, adm2
# département, adm3 arrondissement, adm4 commune (our "city" is a commune).
HXL: dict[str, str] = {
    # places
    "region": "#adm1+name",
    "departement": "#adm2+code",
    "departement_name": "#adm2+name",
    "city": "#adm4+name",
    "commune_code": "#adm4+code",
    "site_id": "#loc+code",
    "site": "#loc+name",
    "site_name": "#loc+name",
    "site_type": "#loc+type",
    "place_type": "#loc+type",
    "team_id": "#loc+code+mobile_team",
    "latitude": "#geo+lat",
    "longitude": "#geo+lon",
    # time
    "date": "#date",
    "day": "#date",
    "night": "#date",
    "week": "#date+week",
    "month": "#date+month",
    "period": "#date",
    "consulted_on": "#date+occurred",
    "visited_on": "#date+occurred",
    "vaccinated_on": "#date+occurred",
    "period_start": "#date+start",
    "period_end": "#date+end",
    "starts": "#date+start",
    "ends": "#date+end",
    "opened": "#date+start",
    "closed": "#date+end",
    # people: #reached and #affected count people, so only columns that count people
    "people_reached": "#reached",
    # a campaign gives one dose per person: its doses in the target ages are people reached
    "doses_in_target": "#reached+vaccinated",
    # refusals: people turned away counted night by night (one person refused on three nights
    # is three refusals), so not #affected, which counts people; +children, +f as HXL's own
    # example ("#affected +f +children" is the number of girls)
    "turned_away": "#indicator+num+refusals",
    "turned_away_minors": "#indicator+num+refusals+children",
    "turned_away_girls": "#indicator+num+refusals+f+children",
    "turned_away_on_cold_nights": "#indicator+num+refusals+cold",
    # services and capacity: a consultation or a dose is not a person (one person may have
    # several), so these are outputs, not #reached
    "consultations": "#output+num+consultations",
    "medical_consultations": "#output+num+consultations+medical",
    "cold_related_consultations": "#output+num+consultations+cold_related",
    "doses": "#output+num+doses",
    "doses_outside_target": "#output+num+doses+outside_target",
    "doses_unknown_age": "#output+num+doses+unknown_age",
    "n": "#indicator+num",
    "bed_capacity": "#capacity+num+beds",
    "beds_available": "#capacity+num+beds",
    "beds_occupied": "#indicator+num+beds_occupied",
    "occupancy_rate": "#indicator+num+occupancy_rate",
    "activity": "#service+type",
    "antigen": "#item+name+vaccine",
    "campaign_id": "#activity+code",
    # who: descriptive (non-numeric) traits of the people served
    "age_band": "#beneficiary+age_band",
    "sex": "#beneficiary+sex",
    "unaccompanied_minor": "#beneficiary+unaccompanied_minor",
    "population_focus": "#beneficiary+type",
    # cold weather
    "tmin_c": "#indicator+num+tmin_c",
    "tmax_c": "#indicator+num+tmax_c",
    "vigilance": "#severity+code+vigilance",
    "level": "#severity+code+cold_weather_plan",
}

# Hashtags whose values are numbers of people or of things done: a missing value in such a
# column, once suppression has run, is a hidden small count.
_COUNT_HASHTAGS = ("#reached", "#affected", "#inneed", "#targeted", "#population", "#output")

# OWASP "CSV Injection": a cell starting with one of these is run as a formula by Excel,
# LibreOffice or Google Sheets; a leading apostrophe makes it text.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_SLUG_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_ATTRIBUTE_UNSAFE = re.compile(r"[^a-z0-9_]+")


def hxl_tag(column: str) -> str:
    """The HXL hashtag of a column; "#meta+<name>" for a column with no known tag."""
    if column in HXL:
        return HXL[column]
    attribute = _ATTRIBUTE_UNSAFE.sub("_", _ascii(str(column)).lower()).strip("_")
    return f"#meta+{attribute or 'column'}"


@dataclass(frozen=True, kw_only=True)
class ExportContext:
    title: str
    period_start: dt.date
    period_end: dt.date
    data_as_of: dt.date
    audience: str
    is_synthetic: bool
    lang: str = "fr"
    filters: Mapping[str, str] = field(default_factory=dict)
    queries: Sequence[str] = ()  # names of the queries/ files the table comes from
    # column -> header as the page shows it; the spreadsheet downloads use these first
    headers: Mapping[str, str] = field(default_factory=dict)
    # the context events of the period, one line each in `lang` (terrain/events.py `line`),
    # as the reader may see them: public ones only for donors and public outputs
    events: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"Unknown language {self.lang!r}.")


def escape_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe.

    Numbers are left alone: -3 is a number, not a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def _both(key: str) -> str:
    return " / ".join(t(key, lang) for lang in LANGUAGES)


def _dates(start: dt.date, end: dt.date | None, lang: str) -> str:
    if end is None:
        return f"{start.isoformat()} ({format_date(start, lang)})"
    return f"{start.isoformat()} – {end.isoformat()} ({format_period(start, end, lang)})"


def metadata_lines(ctx: ExportContext, suppression_k: int | None = None, marks: bool = False) -> list[str]:
    """What an export says about itself, one line each; labels in French and English. With
    `marks`, the legend of "< k", "[c]" and "≥ N" (figures read from a published set)."""
    lines = []
    if ctx.is_synthetic:
        lines.append(_both("common.synthetic_banner"))
    lines.append(f"{t('common.app_name', ctx.lang)} — {ctx.title}")
    lines.append(f"{_both('common.period')}: {_dates(ctx.period_start, ctx.period_end, ctx.lang)}")
    filters = "; ".join(f"{name}: {value}" for name, value in ctx.filters.items())
    lines.append(f"{_both('common.filters')}: {filters or t('common.no_filter', ctx.lang)}")
    lines.append(f"{_both('common.export.data_as_of')}: {_dates(ctx.data_as_of, None, ctx.lang)}")
    lines.append(f"{_both('common.export.audience')}: {ctx.audience}")
    queries = [name for name in ctx.queries if name]
    if queries:
        lines.append(f"{_both('common.export.source')}: {', '.join(queries)}")
    if suppression_k:
        legend = "common.marks_legend" if marks else "common.suppressed_note"
        lines.append(" / ".join(t(legend, lang, k=suppression_k) for lang in LANGUAGES))
    return lines


# --- the table ---------------------------------------------------------------------------

def _suppression(frame: pd.DataFrame) -> tuple[int | None, set[str]]:
    """The threshold below which counts were hidden, and the count columns."""
    info = frame.attrs.get("suppression") or {}
    k = info.get("k") or (frame.attrs.get("provenance") or {}).get("threshold")
    if not k or k <= 1:
        return None, set()
    declared = info.get("counts", info.get("columns"))
    if declared is not None:
        return int(k), set(declared)
    return int(k), {column for column in frame.columns
                    if pd.api.types.is_integer_dtype(frame[column])
                    or hxl_tag(column).startswith(_COUNT_HASHTAGS)}


def _header(column: str, lang: str) -> str:
    texts = catalogue().get(f"common.field.{column}")
    return texts[lang] if texts and lang in texts else str(column)


def _plain(value: Any) -> Any:
    """A cell value as a plain Python value; None for a missing one."""
    if value is None or (not isinstance(value, (str, bytes)) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()  # numpy scalars
    return value


def _told_apart(frame: pd.DataFrame) -> bool:
    """Whether the frame's hidden figures are marked "< k" or "[c]" apart (published sets)."""
    return bool((frame.attrs.get("suppression") or {}).get("hidden_marks"))


def _at(values: list | None, position: int):
    return values[position] if values is not None and position < len(values) else None


def _table(frame: pd.DataFrame, lang: str) -> tuple[list[str], list[str], list[list[Any]]]:
    """Header row, HXL row and data rows, with hidden counts as "< k" and text escaped."""
    k, counts = _suppression(frame)
    hidden = t("common.suppressed_value", lang, k=k) if k else None
    columns = list(frame.columns)
    headers = [escape_cell(_header(column, lang)) for column in columns]
    tags = [escape_cell(hxl_tag(column)) for column in columns]
    info = frame.attrs.get("suppression") or {}
    marks, partial = info.get("hidden_marks") or {}, info.get("partial_rows") or {}
    rows = []
    for position, record in enumerate(frame.itertuples(index=False, name=None)):
        row = []
        for column, value in zip(columns, record):
            value = _plain(value)
            # HXL wants numbers under #reached or #output, but a blank would be read as
            # "no data" and a 0 as "nobody": a hidden count must say that it is hidden,
            # "[c]" where it is hidden to protect another (one legend: disclosure/marks.py).
            if value is None and column in counts:
                value = "[c]" if _at(marks.get(column), position) == "protect" else hidden
            elif column in counts and _at(partial.get(column), position):
                value = t("common.at_least", lang, value=value)   # leaves out a hidden month
            row.append(escape_cell(value))
        rows.append(row)
    return headers, tags, rows


# --- readable tables: the page's table and the spreadsheet downloads ----------------------

# Columns whose values are codes of a category of the catalogue (common.<category>.<code>).
LABEL_CATEGORIES: dict[str, str] = {
    "activity": "activity", "site_type": "site_type", "population_focus": "population_focus",
    "place_type": "place_type", "age_band": "age_band", "sex": "sex", "visit": "visit_kind",
    "unaccompanied_minor": "yes_no_unknown", "referred": "yes_no_unknown",
    "diagnosis_group": "diagnosis_group", "health_coverage": "health_coverage",
    "vigilance": "vigilance_colour", "level": "plan_level", "plan_level": "plan_level",
    "area_kind": "area_kind", "antigen": "antigen",
}
# Ratios: shown as percentages ("95,9 %"), written in spreadsheets as numbers of percent.
_PERCENT_SUFFIXES = ("_rate", "_share")
# Decimals a column's figures are shown with, where one is not enough.
_DIGITS = {"coverage_low": 2, "coverage_high": 2}
# Columns that are not for a person's download: row keys (codes), and the flags of how a
# hidden figure was hidden (the "< k" and "[c]" marks already say it).
_MACHINE_SUFFIXES = ("_id", "_small", "_partial")


def is_percent(column: str) -> bool:
    return str(column).endswith(_PERCENT_SUFFIXES)


def column_kind(column: str, values: pd.Series) -> str:
    """What a column holds, for formatting: "percent", "integer", "decimal", "date", "bool"
    or "text"."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if pd.api.types.is_numeric_dtype(dtype):
        if is_percent(column):
            return "percent"
        return "integer" if pd.api.types.is_integer_dtype(dtype) else "decimal"
    present = [v for v in values if _plain(v) is not None]
    if present and all(isinstance(v, (dt.date, pd.Timestamp)) for v in present):
        return "date"
    if present and all(isinstance(v, bool) for v in present):
        return "bool"
    return "text"


def digits_of(column: str) -> int:
    return _DIGITS.get(str(column), 1)


def with_labels(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Category codes replaced by their names in `lang` ("mental_health" -> "Santé mentale");
    a value that is already a name, or has none, stays. Keeps the frame's attrs and index."""
    entries = catalogue()
    out = frame.copy()
    for column, category in LABEL_CATEGORIES.items():
        if column in out.columns:
            names = {value: entries[f"common.{category}.{value}"][lang] for value in out[column].dropna().unique()
                     if f"common.{category}.{value}" in entries}
            if names:
                out[column] = out[column].astype(object).map(lambda v, names=names: names.get(v, v))
    out.attrs = dict(frame.attrs)
    return out


def header_of(column: str, lang: str, headers: Mapping[str, str] | None = None) -> str:
    """A column's header in `lang`: the page's own, else common.field.<column>, else
    tables.field.<column>; the column's name only for a column nobody named."""
    if headers and column in headers:
        return headers[column]
    entries = catalogue()
    for key in (f"common.field.{column}", f"tables.field.{column}"):
        if key in entries:
            return entries[key][lang]
    return str(column)


def readable_columns(frame: pd.DataFrame, headers: Mapping[str, str] | None = None) -> list[str]:
    """The columns a person's download carries: the page's, in its order, then the frame's
    other figures; not the row keys and flags that are for programs (the HXL CSV has them)."""
    headers = headers or {}
    shown = [column for column in headers if column in frame.columns]
    return shown + [column for column in frame.columns
                    if column not in headers and not str(column).endswith(_MACHINE_SUFFIXES)]


@dataclass(frozen=True)
class HiddenCells:
    """Where a table's hidden and partial figures are, and how they read."""
    k: int | None
    counts: frozenset[str]
    marks: Mapping[str, list]      # column -> per row "small" / "protect" / None
    partial: Mapping[str, list]    # column -> per row: leaves out a hidden month

    def text(self, column: str, position: int, lang: str) -> str | None:
        """"< k" or "[c]" for a hidden count; None for a cell that is not hidden."""
        if not self.k or column not in self.counts:
            return None
        return "[c]" if _at(self.marks.get(column), position) == "protect" else t(
            "common.suppressed_value", lang, k=self.k)

    def is_partial(self, column: str, position: int) -> bool:
        return column in self.counts and bool(_at(self.partial.get(column), position))


def hidden_cells(frame: pd.DataFrame) -> HiddenCells:
    """The frame's hidden counts, by row position. The door's flags are by row number of its
    result, which a slice keeps as its index (terrain/indicators.py)."""
    k, counts = _suppression(frame)
    columns = [column for column in frame.columns if column in counts]
    return HiddenCells(k, frozenset(columns),
                       {column: indicators.hidden_marks(frame, column) for column in columns},
                       {column: indicators.partial_flags(frame, column) for column in columns})


def cell_texts(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every cell of a table as the page shows it, in `lang`: numbers, percentages and dates
    by Babel ("95,9 %", "−0,3", "1 déc. 2026"), a hidden count as "< k" or "[c]", a figure
    that leaves out a hidden month as "≥ N", a missing value empty. Same shape and index."""
    hidden = hidden_cells(frame)
    texts = {}
    for column in frame.columns:
        kind, digits = column_kind(column, frame[column]), digits_of(column)
        cells, known = [], {}   # a column repeats its values (0, a city): each is formatted once
        for position, value in enumerate(frame[column].tolist()):
            value = _plain(value)
            if value is None:
                cells.append(hidden.text(column, position, lang) or "")
                continue
            try:
                text = known[value] if value in known else known.setdefault(value, format_cell(value, kind, lang, digits))
            except TypeError:   # an unhashable value
                text = format_cell(value, kind, lang, digits)
            cells.append(t("common.at_least", lang, value=text) if hidden.is_partial(column, position) else text)
        texts[column] = cells
    return pd.DataFrame(texts, index=frame.index, columns=frame.columns)


# --- CSV and XLSX ------------------------------------------------------------------------

def to_csv_bytes(frame: pd.DataFrame, ctx: ExportContext) -> bytes:
    """UTF-8 CSV with a byte order mark (so Excel reads accents), comma-separated.

    Layout: metadata lines, a blank line, the header row, the HXL hashtag row, the data.
    HXL tools find the hashtag row by scanning the first rows for one whose every non-empty
    cell is a hashtag (up to 24 rows may precede it) and take the row just above it as the
    headers, so the metadata on top does not stop this file being read as HXL.
    """
    k, _ = _suppression(frame)
    headers, tags, rows = _table(frame, ctx.lang)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in metadata_lines(ctx, k, _told_apart(frame)):
        writer.writerow([escape_cell(line)])
    writer.writerow([])
    writer.writerow(headers)
    writer.writerow(tags)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


# --- spreadsheet downloads: the CSV for the reader's Excel, the XLSX ----------------------

# Excel reads these as dates on opening in its own locale: a French Excel reads 01/12/2026
# as 1 December; an English one may be American, so English gets ISO 8601, which every Excel
# reads as a date.
_CSV_DATE = {"fr": "%d/%m/%Y", "en": "%Y-%m-%d"}
_CSV_SEPARATOR = {"fr": ";", "en": ","}
_CSV_DECIMAL = {"fr": ",", "en": "."}
_XLSX_DATE = {"fr": "dd/mm/yyyy", "en": "yyyy-mm-dd"}


@dataclass(frozen=True)
class _Sheet:
    columns: list[str]
    headers: list[str]
    kinds: list[str]
    rows: list[list[Any]]   # plain values; a hidden or partial figure as its text


def _sheet(frame: pd.DataFrame, ctx: ExportContext) -> _Sheet:
    """The readable table: labels for codes and headers, hidden figures as their marks."""
    labelled = with_labels(frame, ctx.lang)
    hidden = hidden_cells(frame)
    columns = readable_columns(frame, ctx.headers)
    kinds = [column_kind(column, frame[column]) for column in columns]
    rows = []
    for position in range(len(frame)):
        row = []
        for column in columns:
            value = _plain(labelled[column].iloc[position])
            if value is None:
                value = hidden.text(column, position, ctx.lang)
            elif hidden.is_partial(column, position):
                value = t("common.at_least", ctx.lang, value=value)  # leaves out a hidden month
            row.append(value)
        rows.append(row)
    headers = [header_of(column, ctx.lang, ctx.headers) for column in columns]
    return _Sheet(columns, headers, kinds, rows)


def _csv_number(value: Any, decimal: str, scale: int = 1) -> str:
    # Decimal(str()) keeps the figure as written (0.1, not 0.1000000000000000055) and scales
    # a ratio to percent exactly; no grouping, which Excel would read as text.
    number = Decimal(str(value)) * scale
    text = format(number.normalize() if number else Decimal(0), "f")
    return text.replace(".", decimal)


def _csv_cell(value: Any, kind: str, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str) or kind == "text":
        return str(escape_cell(value if isinstance(value, str) else str(value)))
    if kind == "bool" or isinstance(value, bool):
        return t("common.yes_no_unknown.yes" if value else "common.yes_no_unknown.no", lang)
    if isinstance(value, dt.datetime):
        return value.strftime(_CSV_DATE[lang] + ("" if value.time() == dt.time(0, 0) else " %H:%M"))
    if isinstance(value, dt.date):
        return value.strftime(_CSV_DATE[lang])
    if kind == "percent":
        return _csv_number(value, _CSV_DECIMAL[lang], 100)
    if isinstance(value, (int, float, Decimal)):
        return _csv_number(value, _CSV_DECIMAL[lang])
    return str(escape_cell(str(value)))


def to_spreadsheet_csv_bytes(frame: pd.DataFrame, ctx: ExportContext) -> bytes:
    """The CSV that opens in columns in the reader's Excel: French, ";" and decimal comma;
    English, "," and decimal point; UTF-8 with a byte order mark (so Excel reads accents).
    One header row of labels, the data under it, nothing else: the context is in
    `context_text_bytes`. Ratios are written as percent ("95,9" under "Taux d'occupation (%)")
    and dates as Excel reads them in that language."""
    sheet = _sheet(frame, ctx)
    headers = [t("tables.percent_header", ctx.lang, header=header) if kind == "percent" else header
               for header, kind in zip(sheet.headers, sheet.kinds)]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=_CSV_SEPARATOR[ctx.lang], lineterminator="\r\n")
    writer.writerow([escape_cell(header) for header in headers])
    for row in sheet.rows:
        writer.writerow([_csv_cell(value, kind, ctx.lang) for value, kind in zip(row, sheet.kinds)])
    return buffer.getvalue().encode("utf-8-sig")


def context_lines(frame: pd.DataFrame, ctx: ExportContext) -> list[str]:
    """What a spreadsheet download says about itself (the CSV's second file, the XLSX's
    second sheet): the export's metadata, then each column's header, name and HXL hashtag,
    which tie the file to the HXL CSV and to the query's columns, then the context events of
    the period."""
    k, _ = _suppression(frame)
    lines = metadata_lines(ctx, k, _told_apart(frame))
    lines += ["", t("tables.columns_heading", ctx.lang)]
    for column in readable_columns(frame, ctx.headers):
        lines.append(t("tables.column_line", ctx.lang, header=header_of(column, ctx.lang, ctx.headers),
                       name=column, tag=hxl_tag(column)))
    if ctx.events:
        lines += ["", t("events.heading", ctx.lang), *ctx.events]
    return lines


def context_text_bytes(frame: pd.DataFrame, ctx: ExportContext) -> bytes:
    """The spreadsheet CSV's context, as a text file (UTF-8 with a byte order mark, Windows
    line ends, so Notepad shows the accents)."""
    return ("\r\n".join(context_lines(frame, ctx)) + "\r\n").encode("utf-8-sig")


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        # openpyxl refuses control characters that XML 1.0 cannot carry.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _xlsx_format(kind: str, column: str, lang: str) -> str | None:
    if kind == "integer":
        return "#,##0"
    if kind == "decimal":
        return "#,##0." + "0" * digits_of(column)
    if kind == "percent":
        return "0.0%"
    if kind == "date":
        return _XLSX_DATE[lang]
    return None


def to_xlsx_bytes(frame: pd.DataFrame, ctx: ExportContext) -> bytes:
    """A workbook for a person: the data sheet ("données" / "data") with labels as headers, a
    filter on them and the header row frozen, real numbers and dates with number formats;
    the context sheet ("à propos" / "about") with the metadata and the columns' HXL hashtags.

    On synthetic data the data sheet's first row is a merged banner, above the header and the
    filter: that sheet is what gets copied, printed or screenshotted on its own; the context
    sheet and the workbook's properties carry the marker too.
    """
    sheet = _sheet(frame, ctx)
    workbook = Workbook()
    data = workbook.active
    data.title = t("tables.sheet_data", ctx.lang)
    width = max(len(sheet.headers), 1)

    if ctx.is_synthetic:
        banner = data.cell(row=1, column=1, value=escape_cell(_both("common.synthetic_marker")))
        banner.font = Font(bold=True, color="FFFFFF")
        banner.fill = PatternFill("solid", fgColor="B00020")
        banner.alignment = Alignment(horizontal="center")
        if width > 1:
            data.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    data.append([_xlsx_value(escape_cell(header)) for header in sheet.headers])
    header_row = data.max_row
    for row in sheet.rows:
        data.append([_xlsx_value(escape_cell(value)) for value in row])
    for cell in data[header_row]:
        cell.font = Font(bold=True)
    last_row = max(data.max_row, header_row)
    data.auto_filter.ref = f"A{header_row}:{get_column_letter(width)}{last_row}"
    data.freeze_panes = data.cell(row=header_row + 1, column=1)
    for index, (column, kind) in enumerate(zip(sheet.columns, sheet.kinds), start=1):
        number_format = _xlsx_format(kind, column, ctx.lang)
        for (cell,) in data.iter_rows(min_row=header_row + 1, min_col=index, max_col=index):
            if number_format and not isinstance(cell.value, str):
                is_time = isinstance(cell.value, dt.datetime) and cell.value.time() != dt.time(0, 0)
                cell.number_format = number_format + (" hh:mm" if is_time else "")
        shown = [format_cell(value, kind, ctx.lang, digits_of(column)) if not isinstance(value, str) else value
                 for value in (row[index - 1] for row in sheet.rows)]
        longest = max([len(sheet.headers[index - 1]) + 3, *(len(text) for text in shown)])  # + 3: the filter's arrow
        data.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 10), 60)

    about = workbook.create_sheet(t("tables.sheet_about", ctx.lang))
    for line in context_lines(frame, ctx):
        about.append([_xlsx_value(escape_cell(line))])
    about.column_dimensions["A"].width = 100

    properties = workbook.properties
    properties.title = _xlsx_value(f"{t('common.app_name', ctx.lang)} — {ctx.title}")
    properties.creator = t("common.app_name", ctx.lang)
    if ctx.is_synthetic:
        properties.subject = _both("common.synthetic_marker")
        properties.description = _both("common.synthetic_banner")
        properties.keywords = "synthetic; synthétique; demo"

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- file names --------------------------------------------------------------------------

def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _slug(text: Any) -> str:
    slug = _SLUG_UNSAFE.sub("-", _ascii(str(text)).lower())
    return re.sub(r"-{2,}", "-", slug).strip("-_")[:60]


def export_filename(what: str, where: str | None, start: dt.date, end: dt.date, ext: str) -> str:
    """"terrain_consultations_calais_2024-01-01_2024-03-31.csv": ASCII, no spaces, no path."""
    extension = _slug(ext.lstrip("."))
    if not extension.isalnum():
        raise ValueError(f"Unexpected file extension {ext!r}.")
    parts = ["terrain", _slug(what), _slug(where or ""), start.isoformat(), end.isoformat()]
    return "_".join(part for part in parts if part) + "." + extension
