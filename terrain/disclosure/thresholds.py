"""The smallest count each viewer may see: the one table of thresholds.

CASD's rule: 11 for anything that leaves the programme (donors, anything for publication);
5 for advocacy drafts that stay inside; programme managers see every count on screen. No
module outside terrain/disclosure/ holds a threshold: they ask this one.
"""

from __future__ import annotations

from terrain import roles

_THRESHOLDS = {
    ("programme_manager", "internal"): 0,
    ("programme_manager", "public"): 11,
    ("advocacy", "internal"): 5,
    ("advocacy", "public"): 11,
    ("donor", "internal"): 11,
    ("donor", "public"): 11,
}


def threshold(role: str, audience: str = "internal") -> int:
    """Counts below this are hidden ("< k") for `role` making an output for `audience`;
    0 means nothing is hidden."""
    if role not in roles.ROLES:
        raise ValueError(f"Unknown role {role!r}; expected one of {', '.join(roles.ROLES)}.")
    if audience not in roles.AUDIENCES:
        raise ValueError(f"Unknown audience {audience!r}; expected one of {', '.join(roles.AUDIENCES)}.")
    return _THRESHOLDS[(role, audience)]
