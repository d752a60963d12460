"""Letters that look Latin and are not: a Cyrillic "а" typed in "cаlais_camps", a full-width
"ｃ", a zero-width space pasted from a web page. Such a value reads as a known one and matches
none; the checks name the value it looks like instead of only saying "unknown"."""

from __future__ import annotations

import unicodedata
from typing import Iterable

# Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables, the common ones).
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ӏ": "l", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h", "ԛ": "q", "ԝ": "w",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "τ": "t", "υ": "u", "χ": "x",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
})


def fold(text: str) -> str:
    """The text as the eye reads it: compatibility forms made plain (full-width letters and
    digits), look-alike letters made Latin, invisible characters dropped, case folded."""
    return unicodedata.normalize("NFKC", text).translate(_CONFUSABLES).casefold()


def known_as(text: str, known: Iterable[str]) -> str | None:
    """The known value `text` looks like but is not, if any."""
    folded = fold(text)
    if folded == text.casefold():
        return None
    return next((value for value in known if fold(str(value)) == folded), None)
