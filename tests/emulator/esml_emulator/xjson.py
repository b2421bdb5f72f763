"""A JSON reader that remembers where each token stood, for ES's ``[line:col]`` error prefixes (ES ElasticsearchException).

Elasticsearch reports parse errors at Jackson token locations: 1-based line and column of the
token's first character (the opening quote of a field name or string). The standard ``json``
module does not expose them, so request bodies are read here instead.
"""

from __future__ import annotations

import re

from .errors import XContentParseException

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class PDict(dict):
    """A JSON object with the location of each key, each value, its start and its closing brace."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_pos = {}
        self.val_pos = {}
        self.start_pos = (1, 1)
        self.end_pos = (1, 1)


class PList(list):
    """A JSON array with the location of each element and of its closing bracket."""

    def __init__(self, *args):
        super().__init__(*args)
        self.pos = []
        self.start_pos = (1, 1)
        self.end_pos = (1, 1)


def token_name(value):
    """Jackson's token name for a parsed value, as ES prints it in type errors."""
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    if value is None:
        return "VALUE_NULL"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER"
    return "VALUE_STRING"


class _Reader:
    def __init__(self, text):
        self.text = text
        self.i = 0
        self.line = 1
        self.line_start = 0

    def pos(self):
        return (self.line, self.i - self.line_start + 1)

    def fail(self, msg):
        raise XContentParseException(self.pos(), msg)

    def skip_ws(self):
        text = self.text
        while self.i < len(text) and text[self.i] in " \t\r\n":
            if text[self.i] == "\n":
                self.line += 1
                self.line_start = self.i + 1
            self.i += 1

    def peek(self):
        self.skip_ws()
        return self.text[self.i] if self.i < len(self.text) else ""

    def value(self):
        char = self.peek()
        start = self.pos()
        if char == "{":
            return self.obj(), start
        if char == "[":
            return self.arr(), start
        if char == '"':
            return self.string(), start
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.i):
                self.i += len(word)
                return val, start
        match = _NUMBER.match(self.text, self.i)
        if match and match.end() > self.i:
            self.i = match.end()
            literal = match.group(0)
            return (float(literal) if match.group(1) or match.group(2) else int(literal)), start
        if not char:
            self.fail("Unexpected end-of-input: expected a value")
        return self.fail("Unexpected character ('%s' (code %d)): expected a valid value" % (char, ord(char)))

    def string(self):
        self.i += 1
        out = []
        text = self.text
        while True:
            if self.i >= len(text):
                self.fail("Unexpected end-of-input: was expecting closing quote for a string value")
            char = text[self.i]
            if char == '"':
                self.i += 1
                return "".join(out)
            if char == "\\":
                esc = text[self.i + 1:self.i + 2]
                if esc == "u":
                    out.append(chr(int(text[self.i + 2:self.i + 6], 16)))
                    self.i += 6
                    continue
                if esc not in _ESCAPES:
                    self.fail("Unrecognized character escape '%s'" % esc)
                out.append(_ESCAPES[esc])
                self.i += 2
                continue
            if char == "\n":
                self.fail("Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be included in string value")
            out.append(char)
            self.i += 1

    def obj(self):
        out = PDict()
        out.start_pos = self.pos()
        self.i += 1
        if self.peek() == "}":
            out.end_pos = self.pos()
            self.i += 1
            return out
        while True:
            if self.peek() != '"':
                char = self.peek()
                self.fail("Unexpected character ('%s' (code %d)): was expecting double-quote to start field name" % (char, ord(char or " ")))
            key_pos = self.pos()
            key = self.string()
            if self.peek() != ":":
                char = self.peek() or " "
                self.fail("Unexpected character ('%s' (code %d)): was expecting a colon to separate field name and value"
                          % (char, ord(char)))
            self.i += 1
            val, val_pos = self.value()
            if key in out:
                raise XContentParseException(key_pos, 'Duplicate field \'%s\'' % key)
            out[key] = val
            out.key_pos[key] = key_pos
            out.val_pos[key] = val_pos
            char = self.peek()
            if char == ",":
                self.i += 1
                continue
            if char == "}":
                out.end_pos = self.pos()
                self.i += 1
                return out
            self.fail("Unexpected character ('%s' (code %d)): was expecting comma to separate Object entries" % (char or " ", ord(char or " ")))

    def arr(self):
        out = PList()
        out.start_pos = self.pos()
        self.i += 1
        if self.peek() == "]":
            out.end_pos = self.pos()
            self.i += 1
            return out
        while True:
            val, val_pos = self.value()
            out.append(val)
            out.pos.append(val_pos)
            char = self.peek()
            if char == ",":
                self.i += 1
                continue
            if char == "]":
                out.end_pos = self.pos()
                self.i += 1
                return out
            self.fail("Unexpected character ('%s' (code %d)): was expecting comma to separate Array entries" % (char or " ", ord(char or " ")))


def loads(text):
    """Parse one JSON document; raise XContentParseException with a token location on bad input."""
    reader = _Reader(text)
    value, _start = reader.value()
    if reader.peek():
        reader.fail("Unexpected character ('%s' (code %d)): expected end of input" % (reader.peek(), ord(reader.peek())))
    return value


def loads_many(text):
    """Parse newline-delimited JSON documents (the _data endpoint's input)."""
    reader = _Reader(text)
    out = []
    while reader.peek():
        value, _start = reader.value()
        if isinstance(value, list):
            out.extend(value)
        else:
            out.append(value)
    return out
