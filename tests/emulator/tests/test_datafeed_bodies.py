"""Datafeed bodies judged as Elasticsearch judges them: aggregations, indices_options, the delayed-data check, and
what an export keeps (ES DatafeedConfig, DatafeedConfigUtils, DatafeedJobValidator, AggProvider, IndicesOptions)."""

from __future__ import annotations

import pytest

JOBS = "/_ml/anomaly_detectors/"
FEEDS = "/_ml/datafeeds/"


def _job(es, span="1h", summary=True, job_id="j1"):
    config = {"bucket_span": span, "detectors": [{"function": "count"}]}
    if summary:
        config["summary_count_field_name"] = "doc_count"
    assert es("PUT", JOBS + job_id, {"analysis_config": config,
                                     "data_description": {"time_field": "time"}}).status == 200


def _histogram(interval=None, field="time", max_field="time", kind="fixed_interval", extra=None):
    spec = {"field": field}
    if interval is not None:
        spec[kind] = interval
    spec.update(extra or {})
    return {"date_histogram": spec, "aggregations": {"time": {"max": {"field": max_field}}}}


def _put(es, aggs, **body):
    return es("PUT", FEEDS + "d1", dict({"job_id": "j1", "indices": ["x"], "aggregations": aggs}, **body))


def _reason(reply):
    return reply.json["error"]["reason"]


@pytest.mark.parametrize("aggs,reason", [
    ({}, "A date_histogram (or histogram) aggregation is required"),
    ({"a": {"terms": {"field": "host"}}}, "A date_histogram (or histogram) aggregation is required"),
    ({"b": _histogram("60s"), "c": {"max": {"field": "x"}}},
     "The date_histogram (or histogram) aggregation cannot have sibling aggregations"),
    ({"b": dict(_histogram("60s"), aggregations={"time": {"max": {"field": "time"}}, "inner": _histogram("30s")})},
     "Aggregations can only have 1 date_histogram or histogram aggregation"),
    ({"b": _histogram("60s", max_field="other")}, "Date histogram must have nested max aggregation for time_field [time]"),
    ({"b": _histogram("1M", kind="calendar_interval")},
     "When specifying a date_histogram calendar interval [1M], ML does not accept intervals longer than a week because "
     "of variable lengths of periods greater than a week"),
    ({"b": _histogram("60s", extra={"time_zone": "Europe/Paris"})}, "ML requires date_histogram.time_zone to be UTC"),
    ({"b": _histogram()}, "Must specify an interval for date_histogram"),
    ({"c": {"composite": {"sources": [{"host": {"terms": {"field": "host"}}}]},
            "aggregations": {"time": {"max": {"field": "time"}}}}},
     "Composite aggregation [c] must have exactly one date_histogram source"),
    ({"c": {"composite": {"sources": [{"t": {"date_histogram": {"field": "time", "fixed_interval": "60s",
                                                                "order": "desc"}}}]},
            "aggregations": {"time": {"max": {"field": "time"}}}}},
     "Datafeed composite aggregation [c] date_histogram [t] must be sorted in ascending order"),
])
def test_aggregation_structure(es, aggs, reason):
    """ES DatafeedConfig.validateAggregations and DatafeedConfigUtils.getHistogramAggregation: one (date) histogram,
    found down a chain of single aggregations, with a max of the time field inside it and an interval ML can use;
    a composite's single date_histogram source sorted ascending. Each refusal is a 400 status_exception."""
    _job(es)
    reply = _put(es, aggs)
    assert (reply.status, reply.json["error"]["type"]) in ((400, "status_exception"), (400, "illegal_argument_exception"))
    assert _reason(reply) == reason


def test_accepted_aggregations(es):
    """A terms above the date histogram is a valid chain (DatafeedConfigUtils walks single sub-aggregations); a
    composite with one ascending date_histogram source is accepted, and its default chunking is off
    (DatafeedConfig.defaultChunkingConfig); a date histogram's is manual over 1,000 intervals."""
    _job(es)
    chained = {"hosts": {"terms": {"field": "host"}, "aggregations": {"buckets": _histogram("5m")}}}
    assert _put(es, chained).json["chunking_config"] == {"mode": "manual", "time_span": "300000000ms"}
    es("DELETE", FEEDS + "d1")
    composite = {"c": {"composite": {"sources": [{"t": {"date_histogram": {"field": "time", "fixed_interval": "1m"}}}]},
                       "aggregations": {"time": {"max": {"field": "time"}}}}}
    assert _put(es, composite).json["chunking_config"] == {"mode": "off"}


def test_parse_errors_are_wrapped_as_not_parsable(es):
    """ES AggProvider: what the aggregation parser refuses is wrapped as 'Datafeed aggregations are not parsable',
    inside the datafeed parser's 'failed to parse field [aggregations]': the date_histogram interval field that 8.0
    removed, and a fixed_interval without a unit."""
    _job(es)
    legacy = _put(es, {"b": _histogram("60s", kind="interval")})
    assert legacy.status == 400 and legacy.json["error"]["type"] == "x_content_parse_exception"
    assert legacy.json["error"]["reason"].endswith("[datafeed_config] failed to parse field [aggregations]")
    assert legacy.json["error"]["caused_by"]["reason"] == "Datafeed aggregations are not parsable"
    assert legacy.json["error"]["caused_by"]["caused_by"]["reason"].endswith("[date_histogram] unknown field [interval]")
    numeric = _put(es, {"b": _histogram(60000)})
    assert numeric.json["error"]["caused_by"]["caused_by"]["reason"] == (
        "failed to parse setting [date_histogram.fixedInterval] with value [60000] as a time value: unit is missing "
        "or unrecognized")


@pytest.mark.parametrize("span,interval,body,reason", [
    ("1h", "2h", {}, "Aggregation interval [7200000ms] must be less than or equal to the bucket_span [3600000ms]"),
    ("1h", "7m", {}, "Aggregation interval [420000ms] must be a divisor of the bucket_span [3600000ms]"),
    ("1h", "5m", {"frequency": "150s"},
     "Datafeed frequency [2.5m] must be a multiple of the aggregation interval [300000ms]"),
])
def test_aggregations_against_the_job(es, span, interval, body, reason):
    """ES DatafeedJobValidator: the histogram interval at most the bucket span and dividing it, a set frequency a
    multiple of the interval; the spans in milliseconds (TimeValue.getStringRep), the frequency as TimeValue prints
    itself."""
    _job(es, span)
    assert _reason(_put(es, {"b": _histogram(interval)}, **body)) == reason


def test_aggregations_need_a_summary_count_field(es):
    """ES DatafeedJobValidator.checkSummaryCountFieldNameIsSet."""
    _job(es, summary=False)
    assert _reason(_put(es, {"b": _histogram("5m")})) == (
        "A job configured with a datafeed with aggregations must set summary_count_field_name; use doc_count or "
        "suitable alternative")


@pytest.mark.parametrize("window,reason", [
    ("30m", "delayed_data_check_config: check_window [30m] must be greater than the bucket_span [1h]"),
    ("20000h", "delayed_data_check_config: check_window [20000h] must be less than 10,000x the bucket_span [1h]"),
])
def test_delayed_data_check_window(es, window, reason):
    """ES DatafeedJobValidator.checkValidDelayedDataCheckConfig (Messages.DATAFEED_CONFIG_DELAYED_DATA_CHECK_*)."""
    _job(es)
    body = {"job_id": "j1", "indices": ["x"], "delayed_data_check_config": {"enabled": True, "check_window": window}}
    reply = es("PUT", FEEDS + "d1", body)
    assert _reason(reply) == reason


def test_indices_options_in_es_order(es):
    """ES IndicesOptions: expand_wildcards kept as its states in ES's order, so all reads back as the three states;
    an unknown state is refused."""
    _job(es)
    body = {"job_id": "j1", "indices": ["x"], "indices_options": {"expand_wildcards": ["hidden", "open"]}}
    assert es("PUT", FEEDS + "d1", body).json["indices_options"]["expand_wildcards"] == ["open", "hidden"]
    updated = es("POST", FEEDS + "d1/_update", {"indices_options": {"expand_wildcards": ["all"]}})
    assert updated.json["indices_options"]["expand_wildcards"] == ["open", "closed", "hidden"]
    bad = es("POST", FEEDS + "d1/_update", {"indices_options": {"expand_wildcards": ["opened"]}})
    assert bad.status == 400 and "No valid expand wildcard value [opened]" in bad.text


def test_an_export_keeps_what_was_set(es):
    """ES DatafeedConfig.toXContent with exclude_generated: the id and job stay; query_delay only when it is not the
    job's random default, chunking_config only when it is not the derived default, indices_options only when not
    the default; authorization never."""
    _job(es, summary=False)
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["x"]})
    plain = es("GET", FEEDS + "d1", params={"exclude_generated": "true"}).json["datafeeds"][0]
    assert set(plain) == {"datafeed_id", "job_id", "query", "indices", "scroll_size", "delayed_data_check_config"}
    es("POST", FEEDS + "d1/_update", {"query_delay": "90s", "chunking_config": {"mode": "manual", "time_span": "3h"},
                                      "indices_options": {"ignore_unavailable": True}})
    kept = es("GET", FEEDS + "d1", params={"exclude_generated": "true"}).json["datafeeds"][0]
    assert kept["query_delay"] == "90s" and kept["chunking_config"] == {"mode": "manual", "time_span": "3h"}
    assert kept["indices_options"]["ignore_unavailable"] is True


def test_the_time_field_cannot_be_a_runtime_field(es):
    """ES DatafeedJobValidator.checkTimeFieldIsNotASearchRuntimeField."""
    _job(es, summary=False)
    body = {"job_id": "j1", "indices": ["x"], "runtime_mappings": {"time": {"type": "date"}}}
    reply = es("PUT", FEEDS + "d1", body)
    assert _reason(reply) == "data_description.time_field [time] cannot be a runtime field"


@pytest.mark.parametrize("query,reason", [
    ({"nonsense_query": {}}, "unknown query [nonsense_query]"),
    ({"term": "x"}, "[term] query malformed, no start_object after query name"),
    ({"term": {"a": 1, "b": 2}}, "[term] query doesn't support multiple fields, found [a] and [b]"),
    ({"bool": {"must": [{"match_all": {}}], "sometimes": []}}, "[bool] query does not support [sometimes]"),
    ({"bool": {"filter": [{"nonsense_query": {}}]}}, "unknown query [nonsense_query]"),
])
def test_queries_es_cannot_parse(es, query, reason):
    """ES QueryProvider.fromXContent: what the query parser refuses (AbstractQueryBuilder, TermQueryBuilder,
    BoolQueryBuilder) comes back as 'Datafeed query is not parsable', inside 'failed to parse field [query]', with
    the parser's words (a parsing_exception) below it; on update as on create."""
    _job(es, summary=False)
    reply = es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["x"], "query": query})
    error = reply.json["error"]
    assert reply.status == 400 and error["type"] == "x_content_parse_exception"
    assert error["reason"].endswith("[datafeed_config] failed to parse field [query]")
    assert error["root_cause"] == [{"type": "status_exception", "reason": "Datafeed query is not parsable"}]
    assert error["caused_by"]["caused_by"]["type"] == "parsing_exception"
    assert error["caused_by"]["caused_by"]["reason"] == reason
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["x"]})
    updated = es("POST", FEEDS + "d1/_update", {"query": query})
    assert updated.status == 400 and updated.json["error"]["caused_by"]["caused_by"]["reason"] == reason


def test_common_queries_are_accepted(es):
    """The query DSL a datafeed usually holds is accepted as sent and returned as stored."""
    _job(es, summary=False)
    query = {"bool": {"filter": [{"term": {"host": "a"}}, {"range": {"bytes": {"gte": 10}}}, {"exists": {"field": "x"}}],
                      "must_not": [{"match_phrase": {"message": "health check"}}],
                      "should": [{"query_string": {"query": "error OR warn"}}, {"wildcard": {"path": "/api/*"}}]}}
    reply = es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["x"], "query": query})
    assert reply.status == 200 and reply.json["query"] == query


@pytest.mark.parametrize("mappings,reason", [
    ({"f": {"script": "emit('x')"}}, "No type specified for runtime field [f]"),
    ({"f": "keyword"}, "Expected map for runtime field [f] definition but got a String"),
])
def test_runtime_mappings_need_a_type(es, mappings, reason):
    """ES RuntimeMappingsValidator (DatafeedConfig.Builder.build): each runtime field is an object with a type."""
    _job(es, summary=False)
    reply = es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["x"], "runtime_mappings": mappings})
    assert reply.status == 400 and _reason(reply) == reason


@pytest.mark.parametrize("chunking,reason", [
    ({"mode": "manual"}, "when chunk mode is manual time_span is required"),
    ({"mode": "manual", "time_span": "0s"}, "chunk time_span has to be positive"),
    ({"mode": "auto", "time_span": "1h"}, "chunk time_span may only be set when mode is manual"),
])
def test_chunking_config_rules(es, chunking, reason):
    """ES ChunkingConfig's constructor: a time span with manual mode, positive, and only then."""
    _job(es, summary=False)
    reply = es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["x"], "chunking_config": chunking})
    assert reply.status == 400 and reason in reply.text
