"""Figures built once per data version and view, not on every rerun.

A Streamlit page runs again from the top on every click, and its queries come from the
cache (terrain/ui/data.py), but building a plotly figure from their frames costs more CPU than
anything else on a rerun (plotly validates every property it is given). `figure_cache`
keeps the figures a builder made, by what they were made from: the frames' contents (every
value and the index, with their columns, types and attributes, hashed), the other arguments,
and the builder. The same frames give the same figure; a new data version gives new frames,
hence new figures. The cache holds `FIGURE_CACHE_ENTRIES` figures, the least recently used
going first, and is shared by the sessions of one process (a figure holds only what its
frames held, which every session with those frames may see).

A figure from the cache is the very object built the first time: callers pass it to
`st.plotly_chart`, which only reads it. A call whose arguments cannot be fingerprinted (an
object with no stable form, a function passed without the language it speaks) is built as
before, uncached: the cache can miss, never serve a figure made from something else.

`ContentsCache` is that cache for any builder: the tables' cells as the reader's language
writes them (terrain/ui/tables.py) are kept the same way, in a cache of their own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

FIGURE_CACHE_ENTRIES = 256
F = TypeVar("F", bound=Callable[..., Any])

class Unfingerprintable(Exception):
    pass


# Values whose repr is faithful (two different values never read alike), as a frame's
# object and text columns hold them.
_PLAIN = (str, int, float, bool, type(None), type(pd.NA), type(pd.NaT), pd.Timestamp, pd.Timedelta,
          dt.date, dt.datetime, dt.timedelta, np.generic)


def _plain(value: Any) -> bool:
    """Whether the repr of `value` tells it apart: a plain value, or a tuple of them (a row's
    cities)."""
    return isinstance(value, _PLAIN) or (type(value) is tuple and all(_plain(item) for item in value))


def _array_bytes(values: Any) -> bytes:
    """A column's (or an index's) values as bytes that two different columns never share:
    numbers and dates as their memory, masked numbers with their mask, categories with their
    categories, anything else by the repr of plain values."""
    if isinstance(values, pd.Categorical):
        return b"".join([repr(list(values.categories)).encode(), repr(values.ordered).encode(),
                         np.asarray(values.codes).tobytes()])
    if isinstance(values, pd.arrays.IntegerArray | pd.arrays.FloatingArray | pd.arrays.BooleanArray):
        return values._data.tobytes() + values._mask.tobytes()
    if isinstance(values, np.ndarray) and values.dtype.kind in "biufcmM":
        return values.tobytes()
    if getattr(values.dtype, "name", None) == "geometry":   # shapes (geopandas) by their exact bytes
        import shapely
        return repr((str(values.crs), list(shapely.to_wkb(values.to_numpy())))).encode()
    if isinstance(values, pd.api.extensions.ExtensionArray):   # text in Arrow, mostly
        values = values.to_numpy(dtype=object, na_value=None)
    listed = values.tolist() if isinstance(values, np.ndarray) else list(values)
    kinds = set(map(type, listed))
    odd = [kind.__name__ for kind in kinds if not issubclass(kind, _PLAIN)
           and not (kind is tuple and all(_plain(value) for value in listed if type(value) is tuple))]
    if odd:   # a list, a dict, an object whose repr may not tell it apart
        raise Unfingerprintable(f"a column holding {', '.join(sorted(odd))}")
    return repr(listed).encode()


def _frame(value: pd.DataFrame | pd.Series) -> tuple:
    """Every value, the index, the columns' names, types and the attributes, hashed: column
    by column from their memory where they are numbers or dates (half the time
    pd.util.hash_pandas_object took on a page's many small frames, where it was a fifth of a
    rerun). Each column's name, type and length come before its values, so the bytes of two
    different frames never run together alike."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(sorted((str(k), repr(v)) for k, v in value.attrs.items())).encode())
    digest.update(repr(getattr(value, "active_geometry_name", None)).encode())   # which shapes a GeoDataFrame draws
    value = value.copy(deep=False)
    value.attrs = {}   # (each column taken out of a frame would copy its attributes deeply)
    columns = value.items() if isinstance(value, pd.DataFrame) else [(value.name, value)]
    index = value.index
    if index.nlevels > 1:   # as tuples of values, its levels' types (a category's categories) would be lost
        raise Unfingerprintable("an index of several levels")
    digest.update(repr((type(index).__name__, str(index.dtype), index.names)).encode())
    digest.update(repr((index.start, index.stop, index.step)).encode() if isinstance(index, pd.RangeIndex)
                  else _array_bytes(index.array))
    for name, column in columns:
        digest.update(repr((name, str(column.dtype), len(column))).encode())
        array = column.array
        in_numpy = isinstance(array, pd.arrays.NumpyExtensionArray | pd.arrays.DatetimeArray | pd.arrays.TimedeltaArray)
        digest.update(_array_bytes(array.to_numpy() if in_numpy else array))
    return (type(value).__name__, len(value), digest.hexdigest())


def fingerprint(value: Any) -> Any:
    """A hashable stand-in for `value` that two different values never share."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return (type(value).__name__, value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and value.__dataclass_params__.frozen:
        # a frozen record (a map's view, its texts) by its class and its fields; one holding a
        # function is refused, as a function passed without its language is (see ContentsCache)
        fields = [(field.name, getattr(value, field.name)) for field in dataclasses.fields(value)]
        if any(callable(held) and not isinstance(held, (pd.DataFrame, pd.Series)) for _, held in fields):
            raise Unfingerprintable(f"a {type(value).__name__} holding a function")
        return (type(value).__module__, type(value).__qualname__,
                tuple((name, fingerprint(held)) for name, held in fields))
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return _frame(value)
    if isinstance(value, (np.generic,)):
        return (type(value).__name__, value.item())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(fingerprint(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(k), fingerprint(v)) for k, v in value.items())))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(fingerprint(v)) for v in value)))
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
        return (type(value).__name__, value.isoformat() if hasattr(value, "isoformat") else str(value))
    if callable(value) and getattr(value, "__qualname__", "<lambda>") != "<lambda>" \
            and "<locals>" not in getattr(value, "__qualname__", ""):
        return ("function", value.__module__, value.__qualname__)   # a module's own function
    raise Unfingerprintable(type(value).__name__)


class ContentsCache:
    """Keeps what a builder made by what it was made from (see the module docstring), at most
    `entries` of them, the least recently used going first. Used as a decorator; each
    instance is a cache of its own, so that tables (terrain/ui/tables.py) never push figures out."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._kept: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._counts = {"hits": 0, "misses": 0, "uncached": 0}

    def __call__(self, builder: F) -> F:
        @functools.wraps(builder)
        def cached(*args: Any, **kwargs: Any) -> Any:
            everything = [*args, *kwargs.values()]
            try:
                if any(callable(v) and not isinstance(v, (pd.DataFrame, pd.Series)) for v in everything) \
                        and "lang" not in kwargs:
                    raise Unfingerprintable("a function that may speak any language, and no lang")
                key = (builder.__module__, builder.__qualname__, fingerprint(args),
                       fingerprint(dict(sorted(kwargs.items()))))
            except Unfingerprintable:
                with self._lock:
                    self._counts["uncached"] += 1
                return builder(*args, **kwargs)
            with self._lock:
                if key in self._kept:
                    self._kept.move_to_end(key)
                    self._counts["hits"] += 1
                    return self._kept[key]
            built = builder(*args, **kwargs)
            with self._lock:
                self._counts["misses"] += 1
                self._kept[key] = built
                while len(self._kept) > self.entries:
                    self._kept.popitem(last=False)
            return built

        return cached  # type: ignore[return-value]

    def stats(self) -> dict[str, int]:
        """Hits, misses, calls built uncached, and the entries held (for the tests and the bench)."""
        with self._lock:
            return {**self._counts, "held": len(self._kept)}

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            for name in self._counts:
                self._counts[name] = 0


FIGURES = ContentsCache(FIGURE_CACHE_ENTRIES)


def figure_cache(builder: F) -> F:
    """Keep `builder`'s figures by what they were built from (see the module docstring)."""
    return FIGURES(builder)


def stats() -> dict[str, int]:
    """The figure cache's hits, misses, calls built uncached, and the figures held."""
    return FIGURES.stats()


def clear() -> None:
    FIGURES.clear()
