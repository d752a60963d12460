"""Colours that colour-blind readers tell apart, and the arithmetic that proves it.

The categorical colours come from Okabe & Ito's palette ("Color Universal Design", 2008),
chosen so that the colours shown together stay apart under the three kinds of dichromacy.
`simulate` applies Machado, Oliveira & Fernandes (2009) at severity 1.0 (full dichromacy)
in linear RGB; `delta_e2000` is CIEDE2000 (Sharma, Wu & Dalal 2005) on CIELAB (D65). The
tests assert a minimum distance between any two colours one chart shows, for normal vision
and each simulated vision.
"""

from __future__ import annotations

import itertools
import math
from typing import Iterable

# Okabe–Ito. Black is kept for lines (capacity, thresholds), not for categories.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#999999"

# Machado et al. (2009), table of simulation matrices, severity 1.0, for linear RGB.
MACHADO_2009 = {
    "protanopia": ((0.152286, 1.052583, -0.204868),
                   (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968),
                     (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779),
                   (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
VISIONS = ("normal", *MACHADO_2009)


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    value = hex_colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"Not a #rrggbb colour: {hex_colour!r}.")
    return tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _encoded(c: float) -> float:
    c = min(max(c, 0.0), 1.0)
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def simulate(hex_colour: str, vision: str) -> str:
    """The colour as a reader with `vision` sees it (normal, protanopia, deuteranopia, tritanopia)."""
    if vision == "normal":
        return "#" + hex_colour.lstrip("#").lower()
    matrix = MACHADO_2009[vision]
    linear = [_linear(c) for c in _rgb(hex_colour)]
    seen = [_encoded(sum(m * c for m, c in zip(row, linear))) for row in matrix]
    return "#" + "".join(f"{round(c * 255):02x}" for c in seen)


def lab(hex_colour: str) -> tuple[float, float, float]:
    """CIELAB (D65 white) of an sRGB colour."""
    r, g, b = (_linear(c) for c in _rgb(hex_colour))
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = (0.2126729 * r + 0.7151522 * g + 0.0721750 * b)
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29
    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e2000(first: str, second: str) -> float:
    """CIEDE2000 colour difference between two sRGB colours (kL = kC = kH = 1)."""
    return delta_e2000_lab(lab(first), lab(second))


def delta_e2000_lab(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """CIEDE2000 between two CIELAB colours."""
    (l1, a1, b1), (l2, a2, b2) = first, second
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    c_bar7 = ((c1 + c2) / 2) ** 7
    g = 0.5 * (1 - math.sqrt(c_bar7 / (c_bar7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dlp, dcp = l2 - l1, c2p - c1p
    if c1p * c2p == 0:
        dhp = 0.0
    elif abs(h2p - h1p) <= 180:
        dhp = h2p - h1p
    else:
        dhp = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    dhp_big = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    lp_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_bar = (h1p + h2p) / 2
    else:
        hp_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(hp_bar - 30)) + 0.24 * math.cos(math.radians(2 * hp_bar))
         + 0.32 * math.cos(math.radians(3 * hp_bar + 6)) - 0.20 * math.cos(math.radians(4 * hp_bar - 63)))
    d_theta = 30 * math.exp(-(((hp_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25 ** 7))
    s_l = 1 + 0.015 * (lp_bar - 50) ** 2 / math.sqrt(20 + (lp_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt((dlp / s_l) ** 2 + (dcp / s_c) ** 2 + (dhp_big / s_h) ** 2
                     + r_t * (dcp / s_c) * (dhp_big / s_h))


def closest_pair(colours: Iterable[str], vision: str = "normal") -> tuple[float, str, str]:
    """The two colours of `colours` that `vision` tells apart least, and their CIEDE2000
    distance as seen (inf when there are fewer than two colours)."""
    distinct = list(dict.fromkeys(c.lower() for c in colours))
    pairs = [(delta_e2000(simulate(a, vision), simulate(b, vision)), a, b)
             for a, b in itertools.combinations(distinct, 2)]
    return min(pairs) if pairs else (math.inf, "", "")
