"""Table downloads (CSV and XLSX) that carry their context and stay safe to open.

Every export says what it is: title, period, filters, "data as of" date, audience, source
queries, and the synthetic-data marker when the data are a demonstration. Columns carry HXL
hashtags (Humanitarian Exchange Language, https://hxlstandard.org/standard/1-1final/) so HXL
tools read them. Text cells are escaped against spreadsheet formula injection (OWASP, "CSV
Injection"), and counts hidden by disclosure control read "< k", never blank or 0.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from terrain.i18n import LANGUAGES, catalogue, format_date, format_period, t

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


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        # openpyxl refuses control characters that XML 1.0 cannot carry.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def to_xlsx_bytes(frame: pd.DataFrame, ctx: ExportContext) -> bytes:
    """A workbook with sheet "data" (header, HXL row, rows) and sheet "about" (metadata).

    On synthetic data the data sheet's first row is a merged banner. It does not get in the
    way of HXL: tools skip the rows above the hashtag row and read the one just above it as
    the headers. It stays on the data sheet because that sheet is what gets copied,
    printed or screenshotted on its own; the "about" sheet and the workbook's properties
    carry the marker too.
    """
    k, _ = _suppression(frame)
    headers, tags, rows = _table(frame, ctx.lang)
    lines = metadata_lines(ctx, k, _told_apart(frame))
    workbook = Workbook()
    data = workbook.active
    data.title = "data"

    if ctx.is_synthetic:
        banner = data.cell(row=1, column=1, value=escape_cell(_both("common.synthetic_marker")))
        banner.font = Font(bold=True, color="FFFFFF")
        banner.fill = PatternFill("solid", fgColor="B00020")
        banner.alignment = Alignment(horizontal="center")
        if len(headers) > 1:
            data.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    for row in (headers, tags, *rows):
        data.append([_xlsx_value(value) for value in row])
    header_row = 2 if ctx.is_synthetic else 1
    for cell in data[header_row]:
        cell.font = Font(bold=True)
    for cell in data[header_row + 1]:
        cell.font = Font(italic=True, color="555555")
    data.freeze_panes = data.cell(row=header_row + 2, column=1)
    for row in data.iter_rows(min_row=header_row + 2):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for index, column in enumerate(zip(headers, tags, *rows), start=1):
        width = max(len(str(value)) for value in column if value is not None)
        data.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 50)

    about = workbook.create_sheet("about")
    for line in lines:
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
