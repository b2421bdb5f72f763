"""A datafeed's aggregations judged as Elasticsearch judges them (ES DatafeedConfig.validateAggregations,
DatafeedConfigUtils, DatafeedJobValidator, AggProvider; Messages for the words)."""

from __future__ import annotations

from .errors import IllegalArgument, ParseException, StatusException, XContentParseException, bad_request
from .values import human_time, parse_time

HISTOGRAMS = ("date_histogram", "histogram", "composite")
# DateHistogramAggregationBuilder.DATE_FIELD_UNITS: calendar units; a month, quarter or year is refused by ML
CALENDAR_UNITS = {"year": None, "1y": None, "quarter": None, "1q": None, "month": None, "1M": None,
                  "week": 7 * 86400000, "1w": 7 * 86400000, "day": 86400000, "1d": 86400000,
                  "hour": 3600000, "1h": 3600000, "minute": 60000, "1m": 60000, "second": 1000, "1s": 1000}
INTERVAL_KEYS = ("fixed_interval", "calendar_interval")


def _kind(agg):
    """(type, spec) of one aggregation: the key that is not a sub-aggregation block or metadata."""
    for key, value in agg.items():
        if key not in ("aggregations", "aggs", "meta"):
            return key, value
    return None, None


def _subs(agg):
    return agg.get("aggregations") or agg.get("aggs") or {}


def parse(aggs):
    """What parsing rejects (AggProvider: the error wrapped as 'Datafeed aggregations are not parsable'): each
    aggregation an object of one type, no legacy date_histogram ``interval`` (gone in 8.0), a time value for
    ``fixed_interval``."""
    try:
        _parse_level(aggs)
    except (IllegalArgument, ParseException) as exc:
        raise StatusException("Datafeed aggregations are not parsable", status=400, cause=exc)
    return aggs


def _parse_level(aggs):
    if not isinstance(aggs, dict):
        raise IllegalArgument("Expected [START_OBJECT] under [aggregations], but got a [%s]" % type(aggs).__name__)
    for name, agg in aggs.items():
        if not isinstance(agg, dict):
            raise ParseException("Expected [START_OBJECT] under [%s], but got a [VALUE_STRING] in [%s]" % (name, name))
        kind, spec = _kind(agg)
        if kind is None:
            raise ParseException("Missing definition for aggregation [%s]" % name)
        if kind in ("date_histogram",) and isinstance(spec, dict):
            if "interval" in spec:
                raise XContentParseException((1, 1), "[date_histogram] unknown field [interval]")
            if spec.get("fixed_interval") is not None:
                _fixed_ms(spec["fixed_interval"], "date_histogram.fixedInterval")
        _parse_level(_subs(agg))


def _fixed_ms(value, setting):
    """DateHistogramInterval: a time value with a unit; a bare number is not one."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ParseException("failed to parse setting [%s] with value [%s] as a time value" % (setting, value))
    return parse_time(str(value), setting) // 10 ** 6


def _find_histogram(aggs):
    """DatafeedConfigUtils.getHistogramAggregation: down a chain of single aggregations to the (date) histogram."""
    if not aggs:
        raise bad_request("A date_histogram (or histogram) aggregation is required")
    if len(aggs) != 1:
        raise bad_request("The date_histogram (or histogram) aggregation cannot have sibling aggregations")
    (name, agg), = aggs.items()
    kind, spec = _kind(agg)
    if kind in ("date_histogram", "histogram") or (kind == "composite" and _date_source(spec) is not None):
        return name, kind, spec, _subs(agg)
    return _find_histogram(_subs(agg))


def _date_source(composite):
    for source in (composite or {}).get("sources") or []:
        for _name, value in source.items():
            if isinstance(value, dict) and "date_histogram" in value:
                return value["date_histogram"]
    return None


def _no_more_histograms(aggs):
    for agg in aggs.values():
        kind, spec = _kind(agg)
        if kind in ("date_histogram", "histogram") or (kind == "composite" and _date_source(spec) is not None):
            raise bad_request("Aggregations can only have 1 date_histogram or histogram aggregation")
        _no_more_histograms(_subs(agg))


def _check_composites(aggs):
    """checkForOnlySingleTopLevelCompositeAggAndValidate and validateCompositeAggregationSources."""
    composites = [(n, a) for n, a in aggs.items() if _kind(a)[0] == "composite"]
    if not composites:
        return
    name, agg = composites[0]
    if len(aggs) > 1:
        raise bad_request("Composite aggregation [%s] must be the only composite agg and should be the only top level "
                          "aggregation" % name)
    sources = [(n, v["date_histogram"]) for source in _kind(agg)[1].get("sources") or [] for n, v in source.items()
               if isinstance(v, dict) and "date_histogram" in v]
    if len(sources) != 1:
        raise bad_request("Composite aggregation [%s] must have exactly one date_histogram source" % name)
    source_name, source = sources[0]
    if source.get("missing_bucket"):
        raise bad_request("Datafeed composite aggregation [%s] date_histogram [%s] source does not support "
                          "missing_buckets" % (name, source_name))
    if str(source.get("order", "asc")).lower() != "asc":
        raise bad_request("Datafeed composite aggregation [%s] date_histogram [%s] must be sorted in ascending order"
                          % (name, source_name))


def interval_ms(kind, spec):
    """DatafeedConfigUtils.getHistogramIntervalMillis."""
    if kind == "histogram":
        return int(float(spec.get("interval", 0)))
    if kind == "composite":
        spec = _date_source(spec)
    zone = spec.get("time_zone")
    if zone is not None and str(zone) not in ("UTC", "Z", "+00:00", "Etc/UTC", "GMT"):
        raise bad_request("ML requires date_histogram.time_zone to be UTC")
    if spec.get("calendar_interval") is not None:
        text = str(spec["calendar_interval"])
        millis = CALENDAR_UNITS.get(text, -1)
        if millis is None or (millis == -1 and parse_time(text, "date_histogram.calendar_interval") > 7 * 86400 * 10 ** 9):
            raise bad_request("When specifying a date_histogram calendar interval [%s], ML does not accept intervals "
                              "longer than a week because of variable lengths of periods greater than a week" % text)
        return millis if millis != -1 else parse_time(text, "date_histogram.calendar_interval") // 10 ** 6
    if spec.get("fixed_interval") is not None:
        return _fixed_ms(spec["fixed_interval"], "date_histogram.fixedInterval")
    if kind == "composite" and spec.get("interval") is not None:
        return _fixed_ms(spec["interval"], "date_histogram.interval")
    raise IllegalArgument("Must specify an interval for date_histogram")


def validate(aggs):
    """DatafeedConfig.validateAggregations; returns (time field, histogram interval in ms)."""
    if not aggs:
        raise bad_request("A date_histogram (or histogram) aggregation is required")
    _check_composites(aggs)
    _name, kind, spec, subs = _find_histogram(aggs)
    _no_more_histograms(subs)
    time_field = (_date_source(spec) if kind == "composite" else spec).get("field")
    if not any(_kind(sub)[0] == "max" and (_kind(sub)[1] or {}).get("field") == time_field for sub in subs.values()):
        raise bad_request("Date histogram must have nested max aggregation for time_field [%s]" % time_field)
    interval = interval_ms(kind, spec)
    if interval <= 0:
        raise bad_request("Aggregation interval must be greater than 0")
    return time_field, interval


def string_rep(millis):
    """TimeValue.timeValueMillis(...).getStringRep(): milliseconds, as such."""
    return "%dms" % millis


def validate_against_job(datafeed, bucket_span_ms):
    """DatafeedJobValidator: the histogram interval no larger than the bucket span and dividing it; a set frequency a
    multiple of the interval."""
    _time_field, interval = validate(datafeed["aggregations"])
    if interval > bucket_span_ms:
        raise bad_request("Aggregation interval [%s] must be less than or equal to the bucket_span [%s]"
                          % (string_rep(interval), string_rep(bucket_span_ms)))
    if bucket_span_ms % interval:
        raise bad_request("Aggregation interval [%s] must be a divisor of the bucket_span [%s]"
                          % (string_rep(interval), string_rep(bucket_span_ms)))
    frequency = datafeed.get("frequency")
    if frequency is not None and (frequency.nanos // 10 ** 6) % interval:
        raise bad_request("Datafeed frequency [%s] must be a multiple of the aggregation interval [%s]"
                          % (human_time(frequency.nanos), string_rep(interval)))  # the frequency's TimeValue.toString
