"""Turn an uploaded file into a table of text cells, saying how it was read.

Real files come from French Excel (Windows-1252, `;`, decimal commas), from "CSV UTF-8"
exports (with a byte-order mark), from other tools (UTF-8, `,`) and as XLSX workbooks. The reader
finds out which, keeps every cell as text (the checks parse them, so that a bad cell is
reported rather than guessed), and numbers rows as a spreadsheet shows them: the header is
row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"          # the binary Excel 97-2003 format
SEPARATORS = (";", ",", "\t")
ENCODINGS = ("UTF-8", "Windows-1252", "Latin-1")
_CODECS = {"UTF-8": "utf-8", "Windows-1252": "cp1252", "Latin-1": "latin-1", "Mac-Roman": "mac_roman",
           "UTF-16": "utf-16", "UTF-16LE": "utf-16-le", "UTF-16BE": "utf-16-be", "UTF-32": "utf-32"}
# Byte-order marks of the Unicode encodings Excel and Notepad can write ("Unicode text").
_UNICODE_MARKS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
                  (b"\xfe\xff", "UTF-16"))
# Bounds on what a file may hold, so that no file can keep the importer busy for long: the
# templates have at most 15 columns, and no cell of them needs more than a few dozen characters.
MAX_COLUMNS = 200
MAX_CELL_CHARACTERS = 2_000
# Letters French accents become when a Mac-Roman file is read as Windows-1252 ("é" -> "Ž").
_MAC_ROMAN_AS_1252 = set("ŽˆŠ‰‹Œ‘•–˜™š›œ\x8d\x8f\x90\x9d")
_FRENCH_LETTERS = set("éèêëàâäîïôöùûüçœÉÈÊÀÂÎÔÙÛÇ")


class Unreadable(Exception):
    """The file cannot be read as a table; `kind` and `params` name the problem."""

    def __init__(self, kind: str, **params):
        super().__init__(kind, params)
        self.kind = kind
        self.params = params


@dataclass(frozen=True)
class Detection:
    """How a file was read, reported to the user."""

    format: str                       # "csv" or "xlsx"
    encoding: str | None = None       # CSV: UTF-8, Windows-1252 or Latin-1
    byte_order_mark: bool = False
    separator: str | None = None      # CSV: ";", "," or a tab
    sheet: str | None = None          # XLSX: the sheet read


@dataclass(frozen=True)
class RaggedRow:
    """A CSV record whose number of cells differs from the header's (left out of `cells`)."""

    row: int
    cells: int
    expected: int
    text: str


@dataclass
class RawFile:
    """Every cell as text: column "c<i>" of `cells` is the one headed headers[i], and
    rows[j] is the spreadsheet's number of the j-th row of `cells`."""

    headers: list[str]
    cells: pd.DataFrame
    rows: np.ndarray
    detection: Detection
    ragged_rows: list[RaggedRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


def read(data: bytes, file_name: str, *, expected: Sequence[str] = (), sheet: str | None = None,
         progress: Callable[[float], None] | None = None) -> RawFile:
    """Read a CSV or XLSX file. `expected` (the table's columns) helps choose the separator;
    `progress` hears how much of a workbook is read (a CSV is read in one go)."""
    if not data or data.isspace():
        raise Unreadable("empty_file")
    if data.startswith(XLS_MAGIC) or file_name.lower().endswith(".xls"):
        raise Unreadable("xls_format")
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, sheet, progress or (lambda fraction: None))
    return _read_csv(data, expected)


# --- CSV ---------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str, bool]:
    """The text, the encoding's name and whether a byte-order mark was there.

    A UTF-16 or UTF-32 file ("Unicode text" from Excel or Notepad) is known by its mark, or,
    without one, by the zero bytes every other byte of it holds. Then UTF-8 is tried: a
    Windows-1252 file with accents is almost never valid UTF-8. Windows-1252 and Latin-1 differ
    only on bytes 0x80-0x9F, where Latin-1 has control characters nobody types, so
    Windows-1252 comes next and Latin-1 takes what is left (the five bytes Windows-1252 leaves
    undefined); a file whose accents read as Windows-1252 punctuation ("Ž" for "é") but as
    French letters in Mac-Roman (old Mac Excel) is read as Mac-Roman."""
    for mark, name in _UNICODE_MARKS:
        if data.startswith(mark):
            try:
                return data.decode(_CODECS[name]), name, True
            except UnicodeDecodeError:
                raise Unreadable("bad_encoding", encoding=name) from None
    wide = _utf16_without_mark(data)
    if wide:
        try:
            return data.decode(_CODECS[wide]), wide, False
        except UnicodeDecodeError:
            raise Unreadable("bad_encoding", encoding=wide) from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8", True
        except UnicodeDecodeError:
            data = data[3:]   # a mark but not UTF-8: read the rest like any other file
    for name in ENCODINGS:
        try:
            text = data.decode(_CODECS[name])
        except UnicodeDecodeError:
            continue
        if name == "Windows-1252" and _reads_as_mac_roman(data, text):
            return data.decode("mac_roman"), "Mac-Roman", False
        return text, name, False
    raise AssertionError("Latin-1 decodes any bytes")


def _utf16_without_mark(data: bytes) -> str | None:
    """UTF-16 with no mark: ASCII text in it has a zero byte before or after each letter."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "UTF-16LE"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "UTF-16BE"
    return None


def _reads_as_mac_roman(data: bytes, as_1252: str) -> bool:
    if not any(byte >= 0x80 for byte in data[:1 << 20]):
        return False
    as_mac = data.decode("mac_roman")
    odd = sum(ch in _MAC_ROMAN_AS_1252 for ch in as_1252)
    return odd > 0 and sum(ch in _FRENCH_LETTERS for ch in as_mac) > sum(ch in _FRENCH_LETTERS for ch in as_1252)


HEADER_SAMPLE = 1 << 16   # characters enough to hold any header row


def _header_cells(text: str, separator: str) -> list[str]:
    # newline="": the csv module then knows every line end: CR LF, LF, and the CR alone of
    # old Mac files.
    try:
        first_record = next(csv.reader(io.StringIO(text[:HEADER_SAMPLE], newline=""), delimiter=separator), [])
    except csv.Error:
        first_record = []
    return [cell.strip() for cell in first_record]


def choose_separator(text: str, expected: Sequence[str]) -> str:
    """The separator that splits the header into the most known column names (then the
    most cells): robust to decimal commas, which never occur in a header."""
    known = {name.casefold() for name in expected}

    def score(separator: str) -> tuple[int, int]:
        cells = _header_cells(text, separator)
        return sum(cell.casefold() in known for cell in cells), len(cells)

    return max(SEPARATORS, key=score)


def _parse_csv(utf8: bytes, separator: str, names: list[str]) -> tuple[pa.Table, list[RaggedRow]]:
    ragged: list[RaggedRow] = []

    def keep_ragged(row: pacsv.InvalidRow) -> str:
        ragged.append(RaggedRow(row.number, row.actual_columns, row.expected_columns, row.text))
        return "skip"

    # One thread: pyarrow numbers a ragged row only then, and on two cores threads gain
    # little (a million rows parse in about a second either way).
    table = pacsv.read_csv(
        io.BytesIO(utf8),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=separator, newlines_in_values=True,
                                         ignore_empty_lines=False, invalid_row_handler=keep_ragged),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False))
    return table, ragged


def _read_csv(data: bytes, expected: Sequence[str]) -> RawFile:
    text, encoding, bom = decode(data)
    if not text.strip():
        raise Unreadable("empty_file")
    if "\x00" in text:
        raise Unreadable("nul_bytes", row=text.count("\n", 0, text.index("\x00")) + 1)
    separator = choose_separator(text, expected)
    headers = _header_cells(text, separator)
    if not headers or "\n" not in text[:HEADER_SAMPLE] and "\r" not in text[:HEADER_SAMPLE] \
            and len(text) > HEADER_SAMPLE:
        raise Unreadable("header_too_long", limit=HEADER_SAMPLE)
    if len(headers) > MAX_COLUMNS:
        raise Unreadable("too_many_columns", count=len(headers), limit=MAX_COLUMNS)
    if any(len(header) > MAX_CELL_CHARACTERS for header in headers):
        raise Unreadable("cell_too_long", row=1, limit=MAX_CELL_CHARACTERS)
    utf8 = data[3:] if bom and encoding == "UTF-8" else data if encoding == "UTF-8" else text.encode("utf-8")
    if not utf8.endswith((b"\n", b"\r")):
        utf8 += b"\n"   # a last line without its line end (or a header alone) is still a line
    names = [f"c{i}" for i in range(len(headers))]
    try:
        table, ragged = _parse_csv(utf8, separator, names)
    except (pa.ArrowInvalid, pa.ArrowException) as error:
        raise Unreadable("not_a_table", reason=str(error).splitlines()[0][:200]) from None
    # A kept record is numbered by how many records came before it, ragged ones included.
    numbers = np.arange(2, table.num_rows + len(ragged) + 2, dtype=np.int64)
    if ragged:
        numbers = numbers[~np.isin(numbers, [r.row for r in ragged])]
    for name in names:
        lengths = pc.utf8_length(table.column(name))
        if table.num_rows and pc.max(lengths).as_py() > MAX_CELL_CHARACTERS:
            position = pc.index(pc.greater(lengths, MAX_CELL_CHARACTERS), True).as_py()
            raise Unreadable("cell_too_long", row=int(numbers[position]), limit=MAX_CELL_CHARACTERS)
    if any(len(r.text) > MAX_CELL_CHARACTERS for r in ragged):
        raise Unreadable("cell_too_long", row=next(r.row for r in ragged if len(r.text) > MAX_CELL_CHARACTERS),
                         limit=MAX_CELL_CHARACTERS)
    cells = pd.DataFrame({name: pd.arrays.ArrowStringArray(table.column(name)) for name in names})
    return _without_blank_rows(headers, cells, numbers,
                               Detection("csv", encoding=encoding, byte_order_mark=bom, separator=separator),
                               ragged)


# --- XLSX --------------------------------------------------------------------------------

def sheet_names(data: bytes) -> list[str]:
    """The workbook's sheets, in order; none if it cannot be read (read() says why)."""
    from openpyxl import load_workbook
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True)
    except Exception:  # openpyxl raises many types for a damaged or foreign file
        return []
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def xlsx_text(value) -> str:
    """A cell as the text a user typed: dates as ISO dates, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


XLSX_PROGRESS_ROWS = 5_000


# A workbook's parts unpacked: a few MB of XML per 10,000 rows. Far past any week's export, it
# is a sheet of millions of rows, a cell of hundreds of MB, or a zip bomb: refused before
# openpyxl unpacks it.
XLSX_MAX_UNPACKED = 512 * 1024 * 1024


def _read_xlsx(data: bytes, sheet: str | None, progress: Callable[[float], None]) -> RawFile:
    from openpyxl import load_workbook
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise Unreadable("unreadable", reason=type(error).__name__) from None
    if unpacked > XLSX_MAX_UNPACKED:
        raise Unreadable("xlsx_too_large", size=unpacked // 2**20, limit=XLSX_MAX_UNPACKED // 2**20)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise Unreadable("unreadable", reason=type(error).__name__) from error
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise Unreadable("unknown_sheet", sheet=sheet, sheets=", ".join(workbook.sheetnames))
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        # openpyxl parses cell by cell in Python, about 25 µs a cell here (100,000 rows of ten
        # columns: half a minute): the progress bar moves meanwhile, and CSV stays the format
        # for very large files.
        total = max(worksheet.max_row or 0, 1)
        rows = []
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            rows.append(tuple(xlsx_text(v) for v in row))
            if number % XLSX_PROGRESS_ROWS == 0:
                progress(min(number / total, 1.0))
        title = worksheet.title
    finally:
        workbook.close()
    # Cells beyond the header's last name are kept: a column typed without a name must be
    # checked (and refused) like any other, never dropped unseen.
    width = max((len(row) for row in rows), default=0)
    rows = [row + ("",) * (width - len(row)) for row in rows]
    headers = [cell.strip() for cell in rows[0]] if rows else []
    body = rows[1:]
    names = [f"c{i}" for i in range(width)]
    columns = list(zip(*body)) if body else [()] * width
    cells = pd.DataFrame({name: pd.array(list(col), dtype="string[pyarrow]") for name, col in zip(names, columns)})
    numbers = np.arange(2, len(body) + 2, dtype=np.int64)
    return _without_blank_rows(headers, cells, numbers, Detection("xlsx", sheet=title), [])


def _without_blank_rows(headers, cells, numbers, detection, ragged) -> RawFile:
    # Spreadsheets leave blank rows (";;;;" in CSV) between and after the data. Only rows
    # whose first cell is blank can be blank, so the other columns are looked at there only.
    if len(cells.columns) and len(cells):
        first = cells[cells.columns[0]]
        blank = (first.str.strip() == "").to_numpy(dtype=bool, na_value=True)
        if blank.any():
            candidates = np.flatnonzero(blank)
            for name in cells.columns[1:]:
                blank[candidates] &= (cells[name].iloc[candidates].str.strip() == "").to_numpy(dtype=bool, na_value=True)
            cells, numbers = cells[~blank].reset_index(drop=True), numbers[~blank]
    return RawFile(headers, cells, numbers, detection, ragged)
