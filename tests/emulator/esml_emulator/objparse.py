"""An emulation of ES's strict ObjectParser: unknown fields, token types and wrapped failures (ES ElasticsearchException).

A field is declared with the token types ES's ``ValueType`` accepts for it and a converter.
Failures keep ES's shapes:

- unknown key: ``[l:c] [parser] unknown field [x]`` at the key's location;
- wrong token: ``[l:c] [parser] x doesn't support values of type: VALUE_NUMBER`` (not wrapped);
- a converter or sub-parser failure: ``[l:c] [parser] failed to parse field [x]`` wrapping the cause,
  located where the reader stood when it failed (the value, or the closing brace of a sub-object
  whose ``build()`` refused it).
"""

from __future__ import annotations

from .errors import EsException, IllegalArgument, XContentParseException
from .xjson import PList, token_name

STRING = {"VALUE_STRING"}
STRING_OR_NULL = {"VALUE_STRING", "VALUE_NULL"}
NUMBER = {"VALUE_NUMBER", "VALUE_STRING"}
BOOLEAN = {"VALUE_BOOLEAN", "VALUE_STRING"}
OBJECT = {"START_OBJECT"}
OBJECT_OR_NULL = {"START_OBJECT", "VALUE_NULL"}
STRING_ARRAY = {"START_ARRAY", "VALUE_STRING"}
OBJECT_ARRAY = {"START_ARRAY", "START_OBJECT"}
VALUE = {"VALUE_STRING", "VALUE_NUMBER", "VALUE_BOOLEAN"}
OBJECT_OR_STRING = {"START_OBJECT", "VALUE_STRING"}
ANY_ARRAY = {"START_ARRAY"}


class Field:
    """One declared field: accepted tokens and a converter ``convert(value, ctx) -> python value``."""

    def __init__(self, tokens, convert=None):
        self.tokens = tokens
        self.convert = convert


class FailedAt(Exception):
    """Internal: a converter failure together with the token location the reader stood at."""

    def __init__(self, location, cause):
        super().__init__(str(cause))
        self.location = location
        self.cause = cause


def location_of_failure(exc, default):
    if isinstance(exc, XContentParseException):
        return exc.failed_at if hasattr(exc, "failed_at") else exc.location
    if isinstance(exc, FailedAt):
        return exc.location
    return default


def parse_object(name, node, fields, ctx=None):
    """Parse ``node`` (a PDict) with the declared ``fields``; return {field: converted value}."""
    out = {}
    for key, value in node.items():
        key_pos = node.key_pos.get(key, (1, 1))
        val_pos = node.val_pos.get(key, (1, 1))
        field = fields.get(key)
        if field is None:
            raise XContentParseException(key_pos, "[%s] unknown field [%s]" % (name, key))
        token = token_name(value)
        if token not in field.tokens:
            raise XContentParseException(val_pos, "[%s] %s doesn't support values of type: %s" % (name, key, token))
        if value is None:
            out[key] = None
            continue
        try:
            out[key] = field.convert(value, ctx) if field.convert else value
        except (EsException, FailedAt) as exc:
            cause = exc.cause if isinstance(exc, FailedAt) else exc
            where = location_of_failure(exc, val_pos)
            wrapped = XContentParseException(where, "[%s] failed to parse field [%s]" % (name, key), cause=cause)
            wrapped.failed_at = where
            raise wrapped
    return out


def built(node, build):
    """Run ``build()`` for a sub-object; failures are located at its closing brace, as in ES."""
    try:
        return build()
    except XContentParseException:
        raise
    except EsException as exc:
        raise FailedAt(getattr(node, "end_pos", (1, 1)), exc)


def as_list(value):
    """ES accepts a single value where an array is declared."""
    if isinstance(value, list):
        return value
    single = PList([value])
    single.pos = [(1, 1)]
    return single


def string_list(value, _ctx=None):
    out = []
    for item in as_list(value):
        if isinstance(item, (dict, list)) or item is None:
            raise IllegalArgument("Expected a string value but got %s" % token_name(item))
        out.append(item if isinstance(item, str) else str(item).lower() if isinstance(item, bool) else str(item))
    return out


def to_int(value, _ctx=None):
    if isinstance(value, bool):
        raise IllegalArgument("Current token (VALUE_BOOLEAN) not numeric")
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return int(float(value))
            except ValueError:
                raise IllegalArgument('For input string: "%s"' % value)
    return int(value)


def to_bool(value, _ctx=None):
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    raise IllegalArgument("Failed to parse value [%s] as only [true] or [false] are allowed." % value)


def raw(value, _ctx=None):
    """Keep a value (objects such as queries or custom_settings) as plain JSON."""
    return plain(value)


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
