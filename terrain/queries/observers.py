"""Listening to calls: while a listener is open, every call told is added to its list, from
any thread. The door's hook (`queries.observe`, for the benchmark) and the pages' (what they
ask and are given, cache hits included, for the differencing tests) are two of these."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

Call = tuple   # (query name, params, role, audience), and for the pages' hook the frame given


class Observers:
    def __init__(self) -> None:
        self._open: list[list[Call]] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def observe(self) -> Iterator[list[Call]]:
        """While open, the list of the calls told, in order."""
        heard: list[Call] = []
        with self._lock:
            self._open.append(heard)
        try:
            yield heard
        finally:
            with self._lock:
                self._open.remove(heard)

    def listening(self) -> bool:
        """Whether a listener is open (a teller may then make what it tells)."""
        return bool(self._open)

    def tell(self, call: Call) -> None:
        if self._open:   # nobody listens, nothing to do: the usual case
            with self._lock:
                for heard in self._open:
                    heard.append(call)
