"""No file can crash the importer: property-based tests (Hypothesis) over raw bytes and over
mutations of valid files (line ends, encodings, byte-order marks, separators, quotes, digits,
dates, sizes, cut or doubled bytes), run through the command line's own entry point.

For every file: the exit status is 0, 1 or 2, nothing else and no exception; a refusal (1)
names the file on every line of its report, and every line is short; the database changes
only when the file is loaded (0), and a refused file leaves it byte for byte as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from terrain.cli import import_ as import_cli
from tests import fixture_data
from tests.examples import HUNT, examples

FILE = "semaine.csv"
MAX_LINE = 1_000     # characters a line of the report may hold
VALID = {
    "weather_daily": ("city;day;tmin_c;tmax_c;vigilance\r\n"
                      "Calais;2024-04-10;-1,5;6;yellow\r\nParis;2024-04-11;2,5;9;green\r\n"),
    "shelter_nights": ("site_id;night;beds_available;beds_occupied;turned_away;turned_away_minors;"
                       "turned_away_girls\r\nmarseille_minors_shelter;2024-04-01;20;20;3;3;0\r\n"
                       "pantin_girls_shelter;2024-04-01;10;9;0;0;0\r\n"),
    "consultations": ("consulted_on;site_id;activity;visit;age_band;sex;unaccompanied_minor;diagnosis_group;"
                      "health_coverage;referred\r\n"
                      "2024-03-29;calais_camps;medical;new;15-17;M;yes;skin_infection_scabies;none;non\r\n"
                      "2024-03-29;calais_camps;medical;follow_up;25-34;F;no;other;AME;oui\r\n"),
}
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "mac_roman", "utf-16", "utf-16-le", "utf-16-be", "utf-32")
DIGITS = {"arabic": "٠١٢٣٤٥٦٧٨٩", "fullwidth": "０１２３４５６７８９", "persian": "۰۱۲۳۴۵۶۷۸۹"}


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    return fixture_data.build(tmp_path_factory.mktemp("fuzz") / "terrain.duckdb", is_synthetic=False, approved=False)


@pytest.fixture(scope="module")
def loaded_into(database, tmp_path_factory) -> Path:
    """A copy the raw-bytes cases share: the few that load change it, as real imports do."""
    copy = tmp_path_factory.mktemp("bytes_db") / "terrain.duckdb"
    shutil.copy2(database, copy)
    return copy


@pytest.fixture(scope="module")
def audit_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz_audit")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TERRAIN_AUDIT_DIR", str(folder))
        yield folder


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _attempt(folder: Path, db: Path, data: bytes, table: str) -> None:
    """Run `python -m terrain import` (in this process) on `data` and check the contract."""
    path = folder / FILE
    path.write_bytes(data)
    before = _digest(db)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = import_cli.command([str(path), "--table", table, "--db", str(db), "--lang", "en"])
    assert status in (0, 1, 2), status
    report = err.getvalue().splitlines()
    assert all(len(line) <= MAX_LINE for line in out.getvalue().splitlines() + report)
    if status == 1:
        # every problem names the file; indented lines say how many more rows share one; the
        # last line sums up
        problems = [line for line in report[:-1] if not line.startswith(" ")]
        assert problems and all(line.startswith(FILE) for line in problems), report[:3]
    if status != 0:
        assert _digest(db) == before, "a refused file changed the database"
    assert not [p for p in db.parent.iterdir() if p.name.endswith((".new", ".swap", ".intent"))]


@settings(max_examples=examples(100), deadline=None, derandomize=not HUNT,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=3_000),
                      st.binary(max_size=200).map(lambda head: VALID["weather_daily"].encode() + head)),
       table=st.sampled_from(sorted(VALID)))
def test_any_bytes(loaded_into, audit_dir, tmp_path_factory, data, table):
    _attempt(tmp_path_factory.mktemp("bytes"), loaded_into, data, table)


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """A valid file of a table, changed the ways real files differ from the template."""
    table = draw(st.sampled_from(sorted(VALID)))
    text = VALID[table]
    if draw(st.booleans()):
        text = text.replace("\r\n", draw(st.sampled_from(["\n", "\r", "\r\n", "\n\r"])))
    if draw(st.booleans()):
        text = text.replace(";", draw(st.sampled_from([",", "\t", "|", ";;", " ; "])))
    if draw(st.booleans()):   # quotes, balanced or not
        cells = text.split(";")
        at = draw(st.integers(0, len(cells) - 1))
        cells[at] = draw(st.sampled_from(['"{}"', '"{}', '{}"', '"{}""', "'{}'"])).format(cells[at])
        text = ";".join(cells)
    if draw(st.booleans()):   # digits from another script, or one changed digit
        if draw(st.booleans()):
            table_digits = DIGITS[draw(st.sampled_from(sorted(DIGITS)))]
            text = text.translate(str.maketrans("0123456789", table_digits))
        else:
            text = text.replace(draw(st.sampled_from("0123456789")), draw(st.sampled_from("0123456789")), 1)
    if draw(st.booleans()):   # a date anywhere in time, written several ways
        day = draw(st.dates())
        shape = draw(st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y"]))
        text = text.replace("2024-03-2", day.strftime(shape)[:-1], 1)
    if draw(st.booleans()):   # look-alike or invisible characters, accents
        text = text.replace(draw(st.sampled_from(["a", "o", "e", "c"])),
                            draw(st.sampled_from(["а", "ο", "е", "с", "\u200b", "é", "ﬀ"])), 1)
    if draw(st.booleans()):   # more rows, or none
        lines = text.splitlines(keepends=True)
        text = lines[0] + "".join(lines[1:]) * draw(st.sampled_from([0, 2, 50]))
    if draw(st.booleans()):
        text = unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD", "NFKC"])), text)
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):   # cut, doubled or flipped bytes
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        data = draw(st.sampled_from([data[:at], data[:at] + data[at:] * 2, data[:at] + b"\x00" + data[at + 1:],
                                     data[:at] + bytes([data[at] ^ 0x80]) + data[at + 1:] if data else data]))
    return table, data


@settings(max_examples=examples(100), deadline=None, derandomize=not HUNT,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=mutated())
def test_mutations_of_valid_files(database, audit_dir, tmp_path_factory, case):
    table, data = case
    folder = tmp_path_factory.mktemp("mutated")
    db = folder / "terrain.duckdb"
    shutil.copy2(database, db)      # each case its own copy: a loaded file changes the database
    _attempt(folder, db, data, table)


# --- the files that crashed the importer, each with what it now says --------------------------

GOOD = VALID["weather_daily"]


def _zip_bomb() -> bytes:
    """A workbook whose shared strings unpack to 700 MiB of one letter, zipped to 700 KB: a
    real archive (each entry's CRC and sizes are those of what it unpacks to). One MiB is
    deflated once by a fresh compressor (so it refers to nothing before it), flushed to a byte
    boundary without ending the stream, and repeated: made when its test runs, in a fraction
    of a second, where deflating 700 MiB took five seconds and 700 MB of memory."""
    import struct
    import zlib
    mib = b"a" * 2**20
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(mib) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(700):
        crc = zlib.crc32(mib, crc)
    types = b"<Types/>"
    entries = [(b"[Content_Types].xml", 0, zlib.crc32(types), types, len(types)),
               (b"xl/sharedStrings.xml", 8, crc, block * 700 + zlib.compressobj(9, zlib.DEFLATED, -15).flush(),
                700 * 2**20)]
    archive, directory = io.BytesIO(), io.BytesIO()
    for name, method, checksum, data, size in entries:
        # each entry's local header, and its record in the central directory (APPNOTE 4.3.7,
        # 4.3.12): version 2.0, no flags, dated 1 January 1980
        facts = (method, 0, 0x21, checksum, len(data), size, len(name))
        directory.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, *facts, 0, 0, 0, 0, 0, archive.tell())
                        + name)
        archive.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, *facts, 0) + name + data)
    start = archive.tell()
    archive.write(directory.getvalue())
    archive.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                              len(directory.getvalue()), start, 0))
    return archive.getvalue()


@pytest.mark.parametrize("name, data, status, says", [
    ("cr_only", GOOD.replace("\r\n", "\r").encode("cp1252"), 0, None),
    ("utf16", GOOD.encode("utf-16"), 0, None),
    ("utf16_without_mark", GOOD.encode("utf-16-le"), 0, None),
    ("utf32", GOOD.encode("utf-32"), 0, None),
    ("bom_only", b"\xef\xbb\xbf", 1, "the file is empty"),
    ("header_without_newline", b"city;day;tmin_c;tmax_c;vigilance", 1, "no data row"),
    ("nul_bytes", GOOD.encode().replace(b"Calais", b"Cal\x00ais"), 1, "zero bytes (line 2)"),
    ("one_long_line", ("city;day;tmin_c;tmax_c;vigilance\n" + "x" * 5_000_000 + "\n").encode(), 1,
     "line 2: more than 524288 bytes without a line end"),
    ("no_line_end", b"x" * 200_000, 1, "the first line is longer than 65536 characters"),
    ("fullwidth_digits", GOOD.replace("2024-04-10", "２０２４-０４-１０").encode(), 1,
     "“２０２４-０４-１０” is written with digits other than 0 to 9"),
    ("arabic_indic_digits", GOOD.replace("-1,5", "-١,٥").encode(), 1, "“-١,٥” is written with digits other than 0 to 9"),
    ("year_one", GOOD.replace("2024-04-10", "0001-01-01").encode(), 1, "0001-01-01 is before 2000-01-01"),
    ("cyrillic_a", GOOD.replace("Calais", "Cаlais").encode(), 1, "did you mean “Calais”?"),
    ("many_columns", (";".join(f"c{i}" for i in range(3_000)) + "\n1\n").encode(), 1,
     "3000 columns, more than 200"),
    ("a_hundred_thousand_columns", (";".join(f"c{i}" for i in range(100_000)) + "\n1\n").encode(), 1,
     "the first line is longer than 65536 characters"),
    ("zip_bomb", _zip_bomb, 1, "the workbook would unpack to 700 MB, more than 640 MB"),
])
def test_the_files_that_crashed_the_importer(database, audit_dir, tmp_path, name, data, status, says):
    data = data() if callable(data) else data
    db = tmp_path / "terrain.duckdb"
    shutil.copy2(database, db)
    path = tmp_path / (f"{name}.xlsx" if data.startswith(b"PK") else f"{name}.csv")
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        got = import_cli.command([str(path), "--table", "weather_daily", "--db", str(db), "--lang", "en"])
    assert got == status, err.getvalue()
    if says:
        assert says in err.getvalue() and err.getvalue().startswith(path.name)


def test_a_mac_roman_file_keeps_its_accents(database, audit_dir, tmp_path):
    db = tmp_path / "terrain.duckdb"
    shutil.copy2(database, db)
    path = tmp_path / "sites.csv"
    path.write_bytes(("site_id;name;city;commune_code;departement;site_type;latitude;longitude;bed_capacity;"
                      "population_focus;opened;closed\nmarseille_day_centre;Accueil de jour Léo-Lagrange;"
                      "Marseille;13055;13;day_centre;43,3;5,4;;mixed;2023-05-02;\n").encode("mac_roman"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert import_cli.command([str(path), "--table", "sites", "--db", str(db), "--lang", "en"]) == 0
    assert "encoding Mac-Roman" in out.getvalue()
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT name FROM sites WHERE site_id = 'marseille_day_centre'").fetchall() == [
        ("Accueil de jour Léo-Lagrange",)]
    con.close()
