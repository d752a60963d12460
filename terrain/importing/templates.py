"""Templates a programme manager fills in: one per importable table, CSV and XLSX.

Each template has the header row (the table's column names, as the import expects them)
and one example row; each column is described in both languages, with its type, whether
it may be empty and what values it allows, all read from the schema (terrain/importing/
tables.py). The CSV is written the way French Excel reads it by a double click: UTF-8 with
a byte-order mark, `;` between cells, decimal commas. The example row must be replaced: an
import that still contains it is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from terrain import i18n
from terrain.importing import tables as tbl

D = dt.date
# One example row per table, typed. Site ids are those of the demo and the test fixture.
EXAMPLES: dict[str, dict[str, Any]] = {
    "sites": {"site_id": "grande_synthe_shelter", "name": "Hébergement de Grande-Synthe",
              "city": "Grande-Synthe", "commune_code": "59271", "departement": "59", "site_type": "shelter",
              "latitude": 51.0139, "longitude": 2.3036, "bed_capacity": 30, "population_focus": "mixed",
              "opened": D(2016, 3, 7), "closed": None},
    "shelter_nights": {"site_id": "marseille_minors_shelter", "night": D(2024, 3, 4), "beds_available": 20,
                       "beds_occupied": 19, "turned_away": 2, "turned_away_minors": 2, "turned_away_girls": 0},
    "consultations": {"consulted_on": D(2024, 3, 5), "site_id": "calais_camps", "activity": "medical",
                      "visit": "new", "age_band": "15-17", "sex": "M", "unaccompanied_minor": "yes",
                      "diagnosis_group": "skin_infection_scabies", "health_coverage": "none", "referred": False},
    "outreach": {"visited_on": D(2024, 3, 6), "team_id": "paris_la_chapelle_mobile", "place_type": "street",
                 "people_reached": 31},
    "vaccination_campaigns": {"campaign_id": "measles-2024-calais", "antigen": "measles", "starts": D(2024, 3, 1),
                              "ends": D(2024, 3, 31), "target_ages": "6 mois - 15 ans", "target_age_bands": ("0-14",),
                              "population_low": 300, "population_high": 600},
    "vaccinations": {"vaccinated_on": D(2024, 3, 12), "site_id": "pantin_girls_shelter", "campaign_id": None,
                     "antigen": "dtp", "age_band": "15-17", "doses": 3},
    "weather_daily": {"city": "Calais", "day": D(2024, 4, 2), "tmin_c": -1.5, "tmax_c": 6.0, "vigilance": "yellow"},
    "winter_plan": {"area": "62", "area_kind": "departement", "starts": D(2024, 2, 5), "ends": D(2024, 2, 11),
                    "level": "grand_froid"},
}

CSV_SEPARATOR = ";"
DESCRIPTION_SHEET = "description"
LISTS_SHEET = "listes"
VALIDATED_ROWS = 10_000
HEADER_FILL = PatternFill("solid", fgColor="F3F4F6")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")   # French Excel reads "-1,5" as a number
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ", ".join(value)   # a list of values: "0-14, 15-17"
    return str(value)


def _csv_bytes(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_SEPARATOR, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _number(x: float, lang: str) -> str:
    if float(x).is_integer():
        return i18n.format_number(x, lang)
    return i18n.format_decimal(x, lang, digits=len(repr(float(x)).split(".")[1]))


def rules(column: tbl.Column, lang: str) -> str:
    """What a column allows, in words: its values, range, format or reference."""
    parts = []
    if column.categories:
        parts.append(", ".join(column.categories))
    if column.kind == "categories":
        parts.append(i18n.t("imports.template.several_values", lang))
    if column.kind == "date":
        parts.append(i18n.t("imports.template.date_formats", lang))
    if column.kind == "boolean":
        parts.append(i18n.t("imports.template.boolean_words", lang))
    if column.low is not None and column.high is not None:
        parts.append(i18n.t("imports.template.between", lang, low=_number(column.low, lang),
                            high=_number(column.high, lang)))
    elif column.low is not None:
        key = "imports.template.at_least" if column.low_inclusive else "imports.template.above"
        parts.append(i18n.t(key, lang, low=_number(column.low, lang)))
    if column.kind == "number":
        parts.append(i18n.t("imports.template.decimal_comma", lang))
    if column.pattern is not None:
        parts.append(i18n.t(f"imports.format.{column.name}", lang))
    if column.length is not None:
        parts.append(i18n.t("imports.template.length", lang, low=column.length[0], high=column.length[1]))
    if column.references is not None:
        parts.append(i18n.t(f"imports.template.references_{column.references}", lang))
    if column.past_only:
        parts.append(i18n.t("imports.template.not_future", lang))
    return ("\u00a0; " if lang == "fr" else "; ").join(parts)


def description_rows(table_name: str, languages: tuple[str, ...] = i18n.LANGUAGES) -> list[list[str]]:
    """The description table: a header, then one row per column, in each language (French
    first): type, required, allowed values, meaning."""
    table = tbl.tables()[table_name]
    header = [" / ".join(i18n.t("imports.template.column", lang) for lang in languages)]
    for lang in languages:
        header += [f"{i18n.t(f'imports.template.{field}', lang)} ({lang})"
                   for field in ("type", "required", "allowed", "meaning")]
    rows = [header]
    for column in table.columns:
        row = [column.name]
        for lang in languages:
            row += [i18n.t(f"imports.kind.{column.kind}", lang),
                    i18n.t("common.yes_no_unknown.yes" if column.required else "common.yes_no_unknown.no", lang),
                    rules(column, lang),
                    i18n.t(f"imports.describe.{table_name}.{column.name}", lang)]
        rows.append(row)
    return rows


def template_csv(table_name: str) -> bytes:
    table = tbl.tables()[table_name]
    example = EXAMPLES[table_name]
    return _csv_bytes([list(table.names), [_csv_cell(example[name]) for name in table.names]])


def description_csv(table_name: str) -> bytes:
    return _csv_bytes(description_rows(table_name))


def template_xlsx(table_name: str) -> bytes:
    table = tbl.tables()[table_name]
    example = EXAMPLES[table_name]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table_name[:31]
    sheet.append(list(table.names))
    sheet.append([_csv_cell(example[name]) if isinstance(example[name], tuple) else example[name]
                  for name in table.names])
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet[f"{letter}1"].fill = HEADER_FILL
        sheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
        if column.kind == "date":
            sheet[f"{letter}2"].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    _category_lists(workbook, sheet, table)

    described = workbook.create_sheet(DESCRIPTION_SHEET)
    for row in description_rows(table_name):
        described.append(row)
    for cell in described[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for index, width in enumerate((24, 16, 12, 45, 60, 16, 12, 45, 60), start=1):
        described.column_dimensions[get_column_letter(index)].width = width
    for row in described.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _category_lists(workbook: Workbook, sheet, table: tbl.Table) -> None:
    """Drop-down lists of the allowed values in category columns, from a hidden sheet."""
    # A list column ("0-14, 15-17") gets no drop-down: Excel's would refuse a list of values.
    categories = [(i, c) for i, c in enumerate(table.columns, start=1) if c.categories and c.kind == "category"]
    if not categories:
        return
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    for list_column, (index, column) in enumerate(categories, start=1):
        letter = get_column_letter(list_column)
        lists.cell(row=1, column=list_column, value=column.name)
        for row, value in enumerate(column.categories, start=2):
            lists.cell(row=row, column=list_column, value=value)
        source = f"{LISTS_SHEET}!${letter}$2:${letter}${len(column.categories) + 1}"
        validation = DataValidation(type="list", formula1=source, allow_blank=not column.required)
        validation.error = i18n.t("imports.template.list_error", "fr")
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        target = get_column_letter(index)
        validation.add(f"{target}2:{target}{VALIDATED_ROWS}")


def file_names(table_name: str) -> dict[str, str]:
    return {"csv": f"terrain_{table_name}.csv", "description": f"terrain_{table_name}_description.csv",
            "xlsx": f"terrain_{table_name}.xlsx"}


def write_all(directory: Path) -> list[Path]:
    """Write every table's three files into `directory`; return their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table_name in tbl.IMPORTABLE:
        names = file_names(table_name)
        for kind, content in (("csv", template_csv(table_name)), ("description", description_csv(table_name)),
                              ("xlsx", template_xlsx(table_name))):
            path = directory / names[kind]
            path.write_bytes(content)
            written.append(path)
    return written
