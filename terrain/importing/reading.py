"""Turn an uploaded file into a table of text cells, saying how it was read.

Real files come from French Excel (Windows-1252, `;`, decimal commas), from "CSV UTF-8"
exports (with a byte-order mark), from other tools (UTF-8, `,`) and as XLSX workbooks. The reader
finds out which, keeps every cell as text (the checks parse them, so that a bad cell is
reported rather than guessed), and numbers rows as a spreadsheet shows them: the header is
row 1, the first data row is row 2. It hands the rows over a part at a time, so that a file
far larger than memory can be read (docs/durability.md).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from terrain.importing.findings import Label

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"          # the binary Excel 97-2003 format
SEPARATORS = (";", ",", "\t")
_CODECS = {"UTF-8": "utf-8", "Windows-1252": "cp1252", "Latin-1": "latin-1", "Mac-Roman": "mac_roman",
           "UTF-16": "utf-16", "UTF-16LE": "utf-16-le", "UTF-16BE": "utf-16-be", "UTF-32": "utf-32"}
# Byte-order marks of the Unicode encodings Excel and Notepad can write ("Unicode text").
_UNICODE_MARKS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
                  (b"\xfe\xff", "UTF-16"))
_MARKED = ("UTF-16", "UTF-32")    # names used only when the mark is there
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


# Rows checked at a time: the checks hold about half a KiB per row of the part they check, so
# a file of any length imports in a few hundred MB (terrain/importing/validation.py).
CHUNK_ROWS = 200_000
BLOCK_BYTES = 1 << 22          # read from the file at a time
HEAD_BYTES = 1 << 20           # enough for the header and to recognise the encoding
# Arrow's CSV reader holds several blocks ahead of the rows it hands over: with blocks of 16 MB
# it takes 400 MB more than with blocks of 1 MB, for no gain in speed.
ARROW_BLOCK_BYTES = 1 << 20
# No line of a Terrain file comes near this (a template's row is about 100 bytes; 200 cells
# of 2,000 characters would be the most a file may hold, and no template has 20 columns).
MAX_LINE_BYTES = ARROW_BLOCK_BYTES // 2
# A file where this many records have the wrong number of cells is not a table of rows with a
# few typing slips: it is refused whole, naming the first one.
MAX_RAGGED_ROWS = 10_000


@dataclass(frozen=True)
class Source:
    """The file to read: its bytes (an upload, at most a few tens of MB) or its path (the
    command line, any size: never read into memory whole)."""

    name: str
    data: bytes | None = None
    path: Path | None = None

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size

    def head(self, size: int = HEAD_BYTES) -> bytes:
        if self.data is not None:
            return self.data[:size]
        with self.open() as stream:
            return stream.read(size)

    def blocks(self, start: int = 0) -> Iterator[bytes]:
        with self.open() as stream:
            stream.seek(start)
            while block := stream.read(BLOCK_BYTES):
                yield block

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for block in self.blocks():
            digest.update(block)
        return digest.hexdigest()


@dataclass
class Reading:
    """A file opened as a table: its header and how it was read, then its rows, a part at a
    time (`chunks`, read as they are asked for: a file may be far larger than memory)."""

    headers: list[str]
    detection: Detection
    chunks: Iterator[RawFile]


def read(source: Source, *, expected: Sequence[str] = (), sheet: str | None = None,
         progress: Callable[[float], None] | None = None, chunk_rows: int = CHUNK_ROWS) -> Reading:
    """Open a CSV or XLSX file. `expected` (the table's columns) helps choose the separator;
    `progress` hears how much of the file is read. Raises Unreadable, here or while the
    chunks are read."""
    progress = progress or (lambda fraction: None)
    head = source.head()
    if not head or len(head) == source.size and head.isspace():
        raise Unreadable("empty_file")
    if head.startswith(XLS_MAGIC) or source.name.lower().endswith(".xls"):
        raise Unreadable("xls_format")
    _check_name_against_contents(source.name, head)
    if head.startswith(XLSX_MAGIC):
        return _read_xlsx(source, sheet, progress, chunk_rows)
    return _read_csv(source, head, expected, progress, chunk_rows)


# --- what a file is, whatever its name says -----------------------------------------------

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
# The first bytes of the files people attach by mistake (or that a damaged copy becomes).
_SIGNATURES = ((XLSX_MAGIC, "zip"), (b"%PDF", "pdf"), (b"\x89PNG", "image"), (b"\xff\xd8\xff", "image"),
               (b"GIF8", "image"), (b"{\\rtf", "rtf"), (b"\x1f\x8b", "compressed"), (b"7z\xbc\xaf", "compressed"),
               (b"Rar!", "compressed"), (XLS_MAGIC, "xls"))


def contents_kind(head: bytes) -> str:
    """What the first bytes of a file say it is: "zip" (an XLSX workbook or another zip),
    "pdf", "image", "rtf", "compressed", "xls", "text" or "binary" (none of these)."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    sample = head[:4096]
    if not sample:
        return "text"
    for mark, _ in _UNICODE_MARKS:
        if sample.startswith(mark):
            return "text"
    if _utf16_without_mark(sample):
        return "text"
    # Text has next to no control bytes: a damaged or foreign file has many.
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 13))
    return "binary" if controls > len(sample) // 100 else "text"


def _check_name_against_contents(name: str, head: bytes) -> None:
    """Refuse, in one line, a file that is not what its name says: a ".xlsx" that is no
    workbook (damaged, or another file renamed) would otherwise be read as a CSV of garbled
    characters, with as many problems as cells; a ".csv" that is a PDF or an image, the same.
    A workbook named ".csv" is read as the workbook it is."""
    suffix = Path(name).suffix.lower()
    kind = contents_kind(head)
    if suffix in WORKBOOK_SUFFIXES and kind != "zip":
        raise Unreadable("not_what_its_name_says", suffix=suffix, claimed=Label("imports.named.xlsx"),
                         actual=Label(f"imports.contents.{kind}"))
    # (a ".csv" of stray control bytes is left to the CSV reader, which names the line)
    if suffix in TEXT_SUFFIXES and kind not in ("text", "zip", "binary"):
        raise Unreadable("not_what_its_name_says", suffix=suffix, claimed=Label("imports.named.csv"),
                         actual=Label(f"imports.contents.{kind}"))


# --- CSV ---------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str, bool]:
    """The text of a small file, the encoding's name and whether a byte-order mark was there
    (`read` decodes a file of any size the same way, a block at a time)."""
    source = Source("", data=data)
    name, skip = encoding(source, source.head())
    try:
        return codecs.decode(data[skip:], _CODECS[name]), name, skip > 0 or name in _MARKED
    except UnicodeDecodeError:
        raise Unreadable("bad_encoding", encoding=name) from None


def encoding(source: Source, head: bytes) -> tuple[str, int]:
    """The encoding's name, and how many bytes of byte-order mark to skip before decoding
    (0 for UTF-16 and UTF-32, whose decoders read their own mark).

    A UTF-16 or UTF-32 file ("Unicode text" from Excel or Notepad) is known by its mark, or,
    without one, by the zero bytes every other byte of it holds. Then UTF-8 is tried, on the
    whole file: a Windows-1252 file with accents is almost never valid UTF-8. Windows-1252
    and Latin-1 differ only on bytes 0x80-0x9F, where Latin-1 has control characters nobody
    types, so Windows-1252 comes next and Latin-1 takes what is left (the five bytes
    Windows-1252 leaves undefined); a file whose accents read as Windows-1252 punctuation
    ("Ž" for "é") but as French letters in Mac-Roman (old Mac Excel) is read as Mac-Roman."""
    for mark, name in _UNICODE_MARKS:
        if head.startswith(mark):
            return name, 0
    wide = _utf16_without_mark(head)
    if wide:
        return wide, 0
    start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    utf8, undefined = _scan(source, start)
    if utf8:
        return "UTF-8", start
    # A mark but not UTF-8: the rest is read like any other file.
    if undefined:
        return "Latin-1", start
    sample = head[start:]
    if _reads_as_mac_roman(sample, sample.decode("cp1252", errors="replace")):
        return "Mac-Roman", start
    return "Windows-1252", start


_UNDEFINED_IN_1252 = re.compile(b"[\x81\x8d\x8f\x90\x9d]")


def _scan(source: Source, start: int) -> tuple[bool, bool]:
    """Whether the file from `start` is valid UTF-8, and whether it holds a byte Windows-1252
    leaves undefined: one pass over the file, a block at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, undefined = True, False
    for block in source.blocks(start):
        if utf8 and not (block.isascii() and decoder.getstate()[0] == b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                utf8 = False
        undefined = undefined or _UNDEFINED_IN_1252.search(block) is not None
        if not utf8 and undefined:
            break
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return utf8, undefined


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
    if not any(byte >= 0x80 for byte in data):
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


class _Utf8Stream(io.RawIOBase):
    """The file's text as UTF-8 bytes, for Arrow's CSV reader: decoded a block at a time
    (passed through as it is when it is UTF-8 already), refusing zero bytes, with a line end
    added after a last line that has none (a header alone is still a line). Arrow reads it
    from a thread of its own: `fraction` says how far it got, for the caller to report."""

    def __init__(self, source: Source, name: str, skip: int):
        super().__init__()
        self._blocks = source.blocks(skip)
        self._decoder = None if name == "UTF-8" else codecs.getincrementaldecoder(_CODECS[name])()
        self._name, self._size = name, max(source.size, 1)
        self.fraction = 0.0
        self._done, self._pending, self._read = skip, memoryview(b""), 0
        self._lines, self._last, self._ended = 0, b"\n", False
        self._run = 0                               # bytes since the last line end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        # Filled whole unless the file ends: Arrow takes a short read for the end of the file
        # (and the first read must hold the header's line end, or the header is not skipped).
        count = 0
        while count < len(buffer):
            if not self._pending:
                if self._ended:
                    break
                self._pending = memoryview(self._next())
                continue
            taken = min(len(buffer) - count, len(self._pending))
            buffer[count:count + taken] = self._pending[:taken]
            self._pending = self._pending[taken:]
            count += taken
        return count

    def _next(self) -> bytes:
        block = next(self._blocks, None)
        if block is None:
            self._ended = True
            tail = self._decoder.decode(b"", final=True).encode("utf-8") if self._decoder else b""
            if tail:
                self._check(tail)
                self._last = tail[-1:]
            return tail + (b"" if self._last in (b"\n", b"\r") else b"\n")
        self._done += len(block)
        self.fraction = min(self._done / self._size, 1.0)
        if self._decoder is not None:
            try:
                block = self._decoder.decode(block).encode("utf-8")
            except UnicodeDecodeError:
                raise Unreadable("bad_encoding", encoding=self._name) from None
        self._check(block)
        if block:
            self._last = block[-1:]
        return block

    def _check(self, block: bytes) -> None:
        zero = block.find(b"\0")
        if zero >= 0:
            raise Unreadable("nul_bytes", row=self._lines + block.count(b"\n", 0, zero) + 1)
        # A line longer than Arrow's block cannot be parsed: it is refused by its line number.
        octets = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero((octets == 10) | (octets == 13))
        starts = np.concatenate([[-self._run], ends[:-1] + 1])       # of the lines the block ends
        lengths = ends - starts
        if len(lengths) and lengths.max() > MAX_LINE_BYTES:
            start = max(int(starts[np.argmax(lengths > MAX_LINE_BYTES)]), 0)
            raise Unreadable("line_too_long", row=self._lines + block.count(b"\n", 0, start) + 1, limit=MAX_LINE_BYTES)
        self._run = len(block) - int(ends[-1]) - 1 if len(ends) else self._run + len(block)
        if self._run > MAX_LINE_BYTES:
            raise Unreadable("line_too_long", row=self._lines + block.count(b"\n") + 1, limit=MAX_LINE_BYTES)
        self._lines += block.count(b"\n")


def _read_csv(source: Source, head: bytes, expected: Sequence[str], progress: Callable[[float], None],
              chunk_rows: int) -> Reading:
    name, skip = encoding(source, head)
    whole = len(head) == source.size
    try:
        text = codecs.getincrementaldecoder(_CODECS[name])().decode(head[skip:], final=whole)
    except UnicodeDecodeError:
        raise Unreadable("bad_encoding", encoding=name) from None
    if whole and not text.strip():
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
    detection = Detection("csv", encoding=name, byte_order_mark=skip > 0 or name in _MARKED,
                          separator=separator)
    stream = _Utf8Stream(source, name, skip)
    return Reading(headers, detection, _csv_chunks(stream, separator, headers, detection, chunk_rows, progress))


def _csv_chunks(stream: _Utf8Stream, separator: str, headers: list[str], detection: Detection,
                chunk_rows: int, progress: Callable[[float], None]) -> Iterator[RawFile]:
    names = [f"c{i}" for i in range(len(headers))]
    ragged: list[RaggedRow] = []
    refused: list[Unreadable] = []      # Arrow ignores what its row handler raises: kept here

    def keep_ragged(row: pacsv.InvalidRow) -> str:
        if len(ragged) >= MAX_RAGGED_ROWS:
            refused.append(Unreadable("too_many_ragged_rows", limit=MAX_RAGGED_ROWS, row=ragged[0].row))
        elif len(row.text) > MAX_CELL_CHARACTERS:
            refused.append(Unreadable("cell_too_long", row=row.number, limit=MAX_CELL_CHARACTERS))
        else:
            ragged.append(RaggedRow(row.number, row.actual_columns, row.expected_columns, row.text))
            return "skip"
        return "error"

    # One thread: pyarrow numbers a ragged row only then, and on two cores threads gain
    # little (a million rows parse in about a second either way). Arrow reads ahead of the
    # batches it hands over, so a ragged row may be known before the rows around it.
    try:
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False,
                                           block_size=ARROW_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=separator, newlines_in_values=True,
                                             ignore_empty_lines=False, invalid_row_handler=keep_ragged),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
        numbering = _Numbering()
        pending: list[pa.RecordBatch] = []
        told, yielded = 0, False                    # ragged rows handed over with a chunk
        for batch in reader:
            pending.append(batch)
            progress(stream.fraction)
            if sum(b.num_rows for b in pending) >= chunk_rows:
                yield _csv_chunk(pending, names, numbering, ragged, told, headers, detection)
                pending, told, yielded = [], len(ragged), True
        progress(1.0)
        if pending or len(ragged) > told or not yielded:
            yield _csv_chunk(pending, names, numbering, ragged, told, headers, detection)
    except (pa.ArrowInvalid, pa.ArrowException) as error:
        if refused:
            raise refused[0] from None
        raise Unreadable("not_a_table", reason=str(error).splitlines()[0][:200]) from None


class _Numbering:
    """Spreadsheet row numbers of the kept records: the header is row 1, and a ragged record
    (left out of the table) still takes its number."""

    def __init__(self):
        self.next_row = 2

    def take(self, count: int, ragged: list[RaggedRow]) -> np.ndarray:
        skipped = np.array([r.row for r in ragged if r.row >= self.next_row], dtype=np.int64)
        numbers = np.arange(self.next_row, self.next_row + count + len(skipped), dtype=np.int64)
        if len(skipped):
            numbers = numbers[~np.isin(numbers, skipped)]
        numbers = numbers[:count]
        if count:
            self.next_row = int(numbers[-1]) + 1
        return numbers


def _csv_chunk(batches: list[pa.RecordBatch], names: list[str], numbering: _Numbering, ragged: list[RaggedRow],
               told: int, headers: list[str], detection: Detection) -> RawFile:
    table = pa.Table.from_batches(batches, schema=pa.schema([(n, pa.string()) for n in names]))
    numbers = numbering.take(table.num_rows, ragged)
    for name in names:
        lengths = pc.utf8_length(table.column(name))
        if table.num_rows and pc.max(lengths).as_py() > MAX_CELL_CHARACTERS:
            position = pc.index(pc.greater(lengths, MAX_CELL_CHARACTERS), True).as_py()
            raise Unreadable("cell_too_long", row=int(numbers[position]), limit=MAX_CELL_CHARACTERS)
    cells = pd.DataFrame({name: pd.arrays.ArrowStringArray(table.column(name)) for name in names})
    return _without_blank_rows(headers, cells, numbers, detection, ragged[told:])


# --- XLSX --------------------------------------------------------------------------------

def sheet_names(data: bytes) -> list[str]:
    """The workbook's sheets, in order; none if it cannot be read (read() says why)."""
    from python_calamine import CalamineWorkbook
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # calamine raises several types for a damaged or foreign file
        return []
    try:
        return list(workbook.sheet_names)
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


# A workbook's parts unpacked: about 56 MB of XML per 100,000 rows of consultations. calamine
# holds a whole sheet in memory (about 1.2 KB a row: 1.3 GB for a million rows), so past a
# million rows or so, a sheet, a cell of hundreds of MB or a zip bomb is refused before it is
# unpacked: CSV, read a part at a time, is the format for larger files.
XLSX_MAX_UNPACKED = 640 * 1024 * 1024


def _read_xlsx(source: Source, sheet: str | None, progress: Callable[[float], None], chunk_rows: int) -> Reading:
    from python_calamine import CalamineWorkbook
    try:
        with source.open() as stream, zipfile.ZipFile(stream) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise Unreadable("unreadable", reason=type(error).__name__) from None
    if unpacked > XLSX_MAX_UNPACKED:
        raise Unreadable("xlsx_too_large", size=unpacked // 2**20, limit=XLSX_MAX_UNPACKED // 2**20)
    # calamine (Rust) reads a sheet at a few million cells a second, into a compact form of
    # its own; the cells become Python text a chunk at a time.
    try:
        workbook = (CalamineWorkbook.from_path(str(source.path)) if source.path is not None
                    else CalamineWorkbook.from_filelike(io.BytesIO(source.data)))
    except Exception as error:  # calamine raises several types for a damaged or foreign file
        raise Unreadable("unreadable", reason=type(error).__name__) from None
    try:
        names = list(workbook.sheet_names)
        if sheet is not None and sheet not in names:
            raise Unreadable("unknown_sheet", sheet=sheet, sheets=", ".join(names))
        if not names:
            raise Unreadable("unreadable", reason="no sheet")
        title = sheet if sheet is not None else names[0]
        try:
            worksheet = workbook.get_sheet_by_name(title)
        except Exception as error:
            raise Unreadable("unreadable", reason=type(error).__name__) from None
    finally:
        workbook.close()
    # calamine hands over every row from the first, but only the columns from the first one
    # that holds a cell: those before it are empty, put back so that positions are the sheet's.
    first_row, first_column = worksheet.start or (0, 0)
    rows = worksheet.iter_rows()
    header = [xlsx_text(v) for v in next(rows, [])]
    width = first_column + len(header)
    if width > MAX_COLUMNS:
        raise Unreadable("too_many_columns", count=width, limit=MAX_COLUMNS)
    if any(len(cell) > MAX_CELL_CHARACTERS for cell in header):
        raise Unreadable("cell_too_long", row=1, limit=MAX_CELL_CHARACTERS)
    headers = [cell.strip() for cell in [""] * first_column + header]
    detection = Detection("xlsx", sheet=title)
    total = max(first_row + worksheet.height - 1, 1)
    return Reading(headers, detection, _xlsx_chunks(rows, width, first_column, 2, headers, detection,
                                                    chunk_rows, lambda done: progress(min(done / total, 1.0))))


def _xlsx_chunks(rows: Iterator[list], width: int, first_column: int, first_number: int, headers: list[str],
                 detection: Detection, chunk_rows: int, progress: Callable[[int], None]) -> Iterator[RawFile]:
    # Cells beyond the header's last name are kept: a column typed without a name must be
    # checked (and refused) like any other, never dropped unseen.
    names = [f"c{i}" for i in range(width)]
    number, done, told_any = first_number, 0, False
    while True:
        part = [[""] * first_column + [xlsx_text(v) for v in row] for row in itertools.islice(rows, chunk_rows)]
        if not part and told_any:
            return
        for index, row in enumerate(part):
            if any(len(cell) > MAX_CELL_CHARACTERS for cell in row):
                raise Unreadable("cell_too_long", row=number + index, limit=MAX_CELL_CHARACTERS)
        columns = list(zip(*part)) if part else [()] * width
        cells = pd.DataFrame({name: pd.array(list(col), dtype="string[pyarrow]") for name, col in zip(names, columns)})
        numbers = np.arange(number, number + len(part), dtype=np.int64)
        number, done, told_any = number + len(part), done + len(part), True
        progress(done)
        yield _without_blank_rows(headers, cells, numbers, detection, [])
        if len(part) < chunk_rows:
            return


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
