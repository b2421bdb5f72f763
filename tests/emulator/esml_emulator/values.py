"""ES value parsers: time values, byte sizes, booleans, dates and ids, with ES's own messages.

Time units and messages: ES Rest*JobAction handlers and AnalysisConfig; byte sizes: ES AnalysisLimits; ids: ES MlStrings.
"""

from __future__ import annotations

import datetime
import re

from .errors import IllegalArgument, ParseException

NANOS = {"nanos": 1, "micros": 1000, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9,
         "h": 3600 * 10 ** 9, "d": 86400 * 10 ** 9}
_TIME_SUFFIXES = ("nanos", "micros", "ms", "s", "m", "h", "d")

BYTES = {"b": 1, "k": 1024, "kb": 1024, "m": 1024 ** 2, "mb": 1024 ** 2, "g": 1024 ** 3, "gb": 1024 ** 3,
         "t": 1024 ** 4, "tb": 1024 ** 4, "p": 1024 ** 5, "pb": 1024 ** 5}
MIB = 1024 ** 2

ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9_\-.]*[a-z0-9])?\Z")
ID_LENGTH_LIMIT = 64


def parse_time(value, setting):
    """TimeValue.parseTimeValue: returns nanoseconds (-1 for the special "-1")."""
    text = str(value).strip().lower()
    if text in ("0", "-1"):
        return int(text)
    for suffix in _TIME_SUFFIXES:
        if text.endswith(suffix):  # longest suffixes are tried first
            number = text[: -len(suffix)].strip()
            try:
                amount = int(number)
                nanos = amount * NANOS[suffix]
            except ValueError:
                try:
                    nanos = int(float(number) * NANOS[suffix])
                except ValueError:
                    break
            if nanos < 0:
                raise IllegalArgument("failed to parse setting [%s] with value [%s] as a time value: negative durations are not supported"
                                      % (setting, value))
            return nanos
    raise IllegalArgument("failed to parse setting [%s] with value [%s] as a time value: unit is missing or unrecognized"
                          % (setting, value))


def _one_decimal(amount):
    text = "%.1f" % amount
    return text[:-2] if text.endswith(".0") else text


def human_time(nanos):
    """TimeValue.toString(): the largest unit with a value of at least 1, one decimal place."""
    if nanos < 0:
        return "-1"
    for unit in ("d", "h", "m", "s", "ms", "micros"):
        if nanos >= NANOS[unit]:
            return _one_decimal(nanos / NANOS[unit]) + unit
    return "%dnanos" % nanos


def parse_bytes(value, setting):
    """ByteSizeValue.parseBytesSizeValue: returns bytes."""
    text = str(value).strip().lower()
    if text in ("0", "-1"):
        return int(text)
    for suffix in ("pb", "tb", "gb", "mb", "kb", "p", "t", "g", "m", "k", "b"):
        if text.endswith(suffix):
            number = text[: -len(suffix)].strip()
            try:
                return int(number) * BYTES[suffix]
            except ValueError:
                try:
                    return int(float(number) * BYTES[suffix])
                except ValueError:
                    raise ParseException("failed to parse setting [%s] with value [%s] as a size in bytes" % (setting, value))
    raise ParseException("failed to parse setting [%s] with value [%s] as a size in bytes: unit is missing or unrecognized"
                         % (setting, value))


def human_bytes(amount):
    """ByteSizeValue.toString(): e.g. 7.8gb for 8000mb."""
    for unit in ("pb", "tb", "gb", "mb", "kb"):
        if amount >= BYTES[unit]:
            return _one_decimal(amount / BYTES[unit]) + unit
    return "%db" % amount


def parse_bool(value, what=None):
    """Booleans.parseBoolean: only true/false (an empty query flag means true)."""
    if isinstance(value, bool):
        return value
    if value in ("true", ""):
        return True
    if value == "false":
        return False
    raise IllegalArgument("Failed to parse value [%s] as only [true] or [false] are allowed." % value)


def valid_id(value):
    return bool(ID_RE.match(value)) and value != "_all"


def invalid_id_message(field, value):
    return ("Invalid %s; '%s' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; "
            "must start and end with alphanumeric" % (field, value))


def epoch_or_iso_ms(value):
    """Epoch milliseconds (a number or numeric string) or ISO 8601 (no zone = UTC); None when neither."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    text = str(value)
    try:
        return int(text)
    except ValueError:
        pass
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return int(parsed.timestamp() * 1000)


def parse_date_param(value, name, now_ms):
    """Datafeed start/end: epoch millis, ISO 8601, or ``now`` (ES TransportStartDatafeedAction). Returns epoch millis."""
    if str(value) == "now":
        return now_ms
    millis = epoch_or_iso_ms(value)
    if millis is None:
        raise IllegalArgument("Query param [%s] with value [%s] cannot be parsed as a date or converted to a number (epoch)."
                              % (name, value))
    return millis


def format_grouped(number):
    """Java MessageFormat's default number format: grouping commas (ES PutJobAction)."""
    return "{:,}".format(number)
