"""The query DSL a datafeed's ``query`` holds, applied to documents: the common leaf and compound queries
(match_all, match_none, term, terms, range, exists, match, match_phrase, prefix, wildcard, ids-free bool).

Anything else is accepted (ES judges the query when the datafeed is created) and matches every document,
which docs/emulator.md lists as approximate."""

from __future__ import annotations

import fnmatch
import re

from .indices import epoch_of, value_at


def matches(query, source, mappings):
    """Whether ``source`` matches ``query``; ``mappings`` maps field paths to their mapping (text or keyword)."""
    if not query:
        return True
    (kind, spec), = query.items()
    handler = _LEAVES.get(kind)
    if kind == "bool":
        return _bool(spec or {}, source, mappings)
    if handler is None:
        return True
    return handler(spec, source, mappings)


def _bool(spec, source, mappings):
    must = _clauses(spec.get("must")) + _clauses(spec.get("filter"))
    should = _clauses(spec.get("should"))
    if not all(matches(q, source, mappings) for q in must):
        return False
    if any(matches(q, source, mappings) for q in _clauses(spec.get("must_not"))):
        return False
    wanted = spec.get("minimum_should_match", 0 if must else 1)
    if should and int(wanted or 0) > 0:
        return sum(1 for q in should if matches(q, source, mappings)) >= int(wanted)
    return True


def _clauses(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _field_and_value(spec, key="value"):
    (field, value), = ((k, v) for k, v in spec.items() if k not in ("boost", "_name"))
    if isinstance(value, dict):
        value = value.get(key, value.get("query"))
    return field, value


def _values(source, field):
    value = value_at(source, field)
    if value is None and field.endswith(".keyword"):
        value = value_at(source, field[:-len(".keyword")])  # the keyword multi-field indexes the same string
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _same(stored, wanted):
    if isinstance(stored, bool) or isinstance(wanted, bool):
        return str(stored).lower() == str(wanted).lower()
    if isinstance(stored, (int, float)) and not isinstance(wanted, (int, float)):
        try:
            return float(stored) == float(wanted)
        except ValueError:
            return False
    return stored == wanted


def _tokens(text):
    return set(re.findall(r"\w+", str(text).lower()))  # the standard analyzer, roughly: words, lowercased


def _is_text(mappings, field):
    return (mappings.get(field) or {}).get("type") == "text"


def _term(spec, source, mappings):
    field, wanted = _field_and_value(spec)
    if _is_text(mappings, field):
        return str(wanted) in _tokens(" ".join(str(v) for v in _values(source, field)))
    return any(_same(v, wanted) for v in _values(source, field))


def _terms(spec, source, mappings):
    (field, wanted), = ((k, v) for k, v in spec.items() if k != "boost")
    return any(_term({field: w}, source, mappings) for w in wanted)


def _range(spec, source, mappings):
    (field, bounds), = ((k, v) for k, v in spec.items() if k != "boost")
    date = (mappings.get(field) or {}).get("type") in ("date", "date_nanos")
    for value in _values(source, field):
        number = epoch_of(value) if date else _number(value)
        if number is None:
            continue
        if all(_within(number, op, limit, date) for op, limit in bounds.items() if op in ("gt", "gte", "lt", "lte")):
            return True
    return False


def _within(number, op, limit, date):
    limit = epoch_of(limit) if date else _number(limit)
    if limit is None:
        return True
    return {"gt": number > limit, "gte": number >= limit, "lt": number < limit, "lte": number <= limit}[op]


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _exists(spec, source, _mappings):
    return bool(_values(source, spec.get("field")))


def _match(spec, source, mappings):
    field, wanted = _field_and_value(spec, "query")
    if not _is_text(mappings, field):
        return any(_same(v, wanted) for v in _values(source, field))
    have = _tokens(" ".join(str(v) for v in _values(source, field)))
    return bool(_tokens(wanted) & have)


def _match_phrase(spec, source, mappings):
    field, wanted = _field_and_value(spec, "query")
    return any(str(wanted).lower() in str(v).lower() for v in _values(source, field))


def _prefix(spec, source, _mappings):
    field, wanted = _field_and_value(spec)
    return any(str(v).startswith(str(wanted)) for v in _values(source, field))


def _wildcard(spec, source, _mappings):
    field, wanted = _field_and_value(spec)
    return any(fnmatch.fnmatchcase(str(v), str(wanted)) for v in _values(source, field))


_LEAVES = {
    "match_all": lambda spec, source, mappings: True,
    "match_none": lambda spec, source, mappings: False,
    "term": _term,
    "terms": _terms,
    "range": _range,
    "exists": _exists,
    "match": _match,
    "match_phrase": _match_phrase,
    "prefix": _prefix,
    "wildcard": _wildcard,
}


# The query types Elasticsearch's search module registers that a datafeed is likely to hold (SearchModule); any
# other name is an unknown query.
KNOWN = frozenset(("match_all", "match_none", "term", "terms", "terms_set", "range", "exists", "match", "match_phrase",
                   "match_phrase_prefix", "match_bool_prefix", "multi_match", "query_string", "simple_query_string",
                   "wildcard", "prefix", "regexp", "fuzzy", "ids", "bool", "constant_score", "dis_max", "boosting",
                   "function_score", "script", "script_score", "nested", "has_child", "has_parent", "geo_bounding_box",
                   "geo_distance", "geo_shape", "geo_polygon", "more_like_this", "intervals", "distance_feature",
                   "pinned", "combined_fields", "span_term", "span_near", "span_or", "span_not", "span_first",
                   "span_multi", "span_containing", "span_within", "field_masking_span", "rank_feature", "wrapper",
                   "percolate", "knn", "semantic", "sparse_vector", "text_expansion", "type"))
SINGLE_FIELD = frozenset(("term", "match", "match_phrase", "match_phrase_prefix", "prefix", "wildcard", "regexp",
                          "fuzzy", "range"))
BOOL_KEYS = frozenset(("must", "filter", "should", "must_not", "minimum_should_match", "boost", "_name",
                       "adjust_pure_negative"))


class QueryError(Exception):
    """A ParsingException of the query parser: its words, and its line and column in the query as re-serialized."""

    def __init__(self, reason, col=1):
        super().__init__(reason)
        self.reason = reason
        self.col = col


def check(query):
    """What the query parser (AbstractQueryBuilder.parseTopLevelQuery and each builder's fromXContent) refuses:
    a query name it does not know, a query that is not an object, several fields where one is taken, a bool clause
    it does not have. Raises QueryError."""
    if not isinstance(query, dict):
        raise QueryError("query malformed, must start with start_object")
    for name, spec in query.items():
        col = len('{"%s":' % name) + 1
        if name not in KNOWN:
            raise QueryError("unknown query [%s]" % name, col)
        if not isinstance(spec, dict):
            raise QueryError("[%s] query malformed, no start_object after query name" % name, col)
        fields = [k for k in spec if k not in ("boost", "_name")]
        if name in SINGLE_FIELD and len(fields) > 1:
            raise QueryError("[%s] query doesn't support multiple fields, found [%s] and [%s]"
                             % (name, fields[0], fields[1]), col)
        if name == "bool":
            for key, value in spec.items():
                if key not in BOOL_KEYS:
                    raise QueryError("[bool] query does not support [%s]" % key, col)
                if key in ("must", "filter", "should", "must_not"):
                    for clause in value if isinstance(value, list) else [value]:
                        check(clause)
        if name in ("constant_score",) and isinstance(spec.get("filter"), dict):
            check(spec["filter"])
