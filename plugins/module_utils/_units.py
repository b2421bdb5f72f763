# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Elasticsearch time values and byte sizes: parsed, compared by value, printed canonically.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import datetime
import math
import re

NANOS = (("d", 86400 * 10 ** 9), ("h", 3600 * 10 ** 9), ("m", 60 * 10 ** 9), ("s", 10 ** 9), ("ms", 10 ** 6),
         ("micros", 10 ** 3), ("nanos", 1))
_SUFFIXES = ("nanos", "micros", "ms", "s", "m", "h", "d")  # longest first where one ends another
_NANOS = dict(NANOS)
_NUMBER = re.compile(r"\d+(?:\.\d+)?\Z")  # digits, an optional fraction: no sign, exponent, nan or inf
MIB = 1024 * 1024
_BYTES = (("pb", 1024 ** 5), ("tb", 1024 ** 4), ("gb", 1024 ** 3), ("mb", MIB), ("kb", 1024),
          ("p", 1024 ** 5), ("t", 1024 ** 4), ("g", 1024 ** 3), ("m", MIB), ("k", 1024), ("b", 1))


class UnitError(ValueError):
    pass


def parse_duration(value):
    """An ES time value (``15m``, ``3600s``, ``1.5h``; ``0`` and ``-1`` bare) -> nanoseconds."""
    if isinstance(value, bool) or value is None:
        raise UnitError("%r is not a time value" % (value,))
    text = str(value).strip().lower()
    if text in ("0", "-1"):
        return int(text)
    for suffix in _SUFFIXES:
        if text.endswith(suffix):
            number = text[:-len(suffix)].strip()
            if number.startswith("-") and _NUMBER.match(number[1:]):
                raise UnitError("%r is negative" % (value,))
            if not _NUMBER.match(number):
                break
            return int(round(float(number) * _NANOS[suffix]))
    raise UnitError("%r is not a time value: use a number and a unit (d, h, m, s, ms, micros, nanos), such as 15m"
                    % (value,))


def canonical_duration(value):
    """The largest unit that expresses the value exactly: ``3600s`` -> ``1h``, ``90m`` stays ``90m``."""
    nanos = parse_duration(value)
    if nanos <= 0:
        return str(nanos)
    for unit, size in NANOS:
        if nanos % size == 0:
            return "%d%s" % (nanos // size, unit)
    return "%dnanos" % nanos


def parse_mib(value):
    """A model memory limit -> whole MiB, as ES stores it: a number is MiB, a string is floored (ES AnalysisLimits)."""
    if isinstance(value, bool) or value is None:
        raise UnitError("%r is not a byte size" % (value,))
    if isinstance(value, float) and not math.isfinite(value):
        raise UnitError("%r is not a byte size: give a finite number of MiB or a size such as 512mb" % (value,))
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().lower()
    if re.match(r"-?\d+\Z", text):
        return int(text)
    for suffix, size in _BYTES:
        if text.endswith(suffix):
            number = text[:-len(suffix)].strip()
            if not _NUMBER.match(number):
                break
            return int(float(number) * size) // MIB
    raise UnitError("%r is not a byte size: use a number of MiB or a size such as 512mb or 2gb" % (value,))


def es_seconds(value, default=None):
    """Seconds in an ES time value, or ``default`` when it is unset or unparsable."""
    if value is None:
        return default
    try:
        return parse_duration(value) / 1e9
    except UnitError:
        return default


def epoch_ms(value):
    """A datafeed start/end (epoch ms, ISO 8601, ``now``) in epoch milliseconds; None when it cannot tell."""
    text = str(value).strip()
    if text == "now":
        return int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
    if re.match(r"-?\d+\Z", text):
        return int(text)
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return int(parsed.timestamp() * 1000)
