"""Where jobs meet data: the index layer datafeeds read, datafeeds that read it, preview and flush.

Each test names the public Elasticsearch source it follows (classes under elastic/elasticsearch, see
docs/emulator.md "Where each behaviour comes from") and says the rule in this project's words."""

from __future__ import annotations

import pytest

JOBS = "/_ml/anomaly_detectors/"
FEEDS = "/_ml/datafeeds/"
T0 = 1767225600000  # 2026-01-01T00:00:00Z
MINUTE = 60000


def _job(es, job_id="j1", by="host", time_field="@timestamp", **extra):
    body = {"analysis_config": {"bucket_span": "1m", "detectors": [{"function": "count", "by_field_name": by}]},
            "data_description": {"time_field": time_field}}
    body.update(extra)
    assert es("PUT", JOBS + job_id, body).status == 200


def _web(es, name="web", docs=10):
    """An index with a date, a keyword and a text field, and ``docs`` documents one minute apart."""
    es("PUT", "/" + name, {"mappings": {"properties": {"@timestamp": {"type": "date"}, "host": {"type": "keyword"},
                                                       "message": {"type": "text"}, "status": {"type": "long"}}}})
    es.docs(name, *({"@timestamp": T0 + i * MINUTE, "host": "h%d" % (i % 2), "status": 500 if i % 5 == 0 else 200,
                     "message": "GET /page/%d" % i} for i in range(docs)))


def _counts(es, job_id="j1"):
    return es("GET", JOBS + job_id + "/_stats").json["jobs"][0]["data_counts"]


def _error(reply):
    return reply.status, reply.json["error"]["type"], reply.json["error"]["reason"]


# -- the index layer -------------------------------------------------------------------------------------------

def test_create_get_exists_delete_an_index(es):
    """ES MetadataCreateIndexService, RestGetIndicesAction, RestIndicesExistsAction: create answers the index's
    name; a second create is a 400 resource_already_exists_exception naming name/uuid; HEAD answers 200 or 404
    with no body; a missing index is a 404 index_not_found_exception with its resource fields."""
    created = es("PUT", "/web", {"mappings": {"properties": {"@timestamp": {"type": "date"}}}})
    assert created.json == {"acknowledged": True, "shards_acknowledged": True, "index": "web"}
    again = es("PUT", "/web", {})
    uuid = es("GET", "/web").json["web"]["settings"]["index"]["uuid"]
    assert _error(again) == (400, "resource_already_exists_exception", "index [web/%s] already exists" % uuid)
    assert again.json["error"]["index"] == "web"
    assert es("HEAD", "/web").status == 200 and es("HEAD", "/web").text == ""
    assert es("HEAD", "/nope").status == 404
    missing = es("GET", "/nope")
    assert _error(missing) == (404, "index_not_found_exception", "no such index [nope]")
    assert missing.json["error"]["resource.type"] == "index_or_alias" and missing.json["error"]["index_uuid"] == "_na_"
    assert es("GET", "/web/_mapping").json == {"web": {"mappings": {"properties": {"@timestamp": {"type": "date"}}}}}
    assert _error(es("DELETE", "/w*"))[2] == "Wildcard expressions or all indices are not allowed"
    assert es("DELETE", "/web").json == {"acknowledged": True}
    assert es("HEAD", "/web").status == 404


@pytest.mark.parametrize("name,why", [
    ("Web", "must be lowercase"),
    ("we b", "must not contain the following characters [' ','\"','*',',','/','<','>','?','\\','|']"),
    ("web#1", "must not contain '#'"),
    ("web:1", "must not contain ':'"),
    ("_web", "must not start with '_', '-', or '+'"),
    ("-web", "must not start with '_', '-', or '+'"),
    ("a" * 256, "index name is too long, (256 > 255)"),
])
def test_index_names_follow_es_rules(es, name, why):
    """ES MetadataCreateIndexService.validateIndexOrAliasName and validateIndexName, Strings.INVALID_FILENAME_CHARS
    (the forbidden characters sorted and quoted): each rule in its order, with its words."""
    reply = es("PUT", "/" + name.replace("#", "%23").replace(" ", "%20"))
    assert _error(reply) == (400, "invalid_index_name_exception", "Invalid index name [%s], %s" % (name, why))


def test_documents_map_dynamically_and_refresh(es):
    """ES DocumentParser (dynamic mapping: long, float, boolean, object, a date-looking string as date, any other
    string as text with a keyword sub-field), RestIndexAction (201 created, 200 updated), RestBulkAction
    (per-item status, refresh), TransportFieldCapabilitiesAction (text is not aggregatable, keyword is)."""
    doc = {"@timestamp": "2026-01-01T00:00:00Z", "bytes": 12, "ratio": 0.5, "ok": True, "msg": "hello",
           "user": {"name": "ann"}}
    first = es("PUT", "/logs/_doc/1", doc)
    assert first.status == 201 and first.json["result"] == "created" and first.json["_version"] == 1
    second = es("PUT", "/logs/_doc/1", doc)
    assert second.status == 200 and second.json["result"] == "updated" and second.json["_version"] == 2
    props = es("GET", "/logs/_mapping").json["logs"]["mappings"]["properties"]
    assert props["@timestamp"] == {"type": "date"} and props["bytes"] == {"type": "long"}
    assert props["ratio"] == {"type": "float"} and props["ok"] == {"type": "boolean"}
    assert props["msg"] == {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
    assert props["user"] == {"properties": {"name": {"type": "text", "fields": {
        "keyword": {"type": "keyword", "ignore_above": 256}}}}}
    bulk = es.docs("logs", {"@timestamp": T0, "msg": "x"}, {"@timestamp": T0 + 1, "msg": "y"})
    assert bulk.json["errors"] is False and [i["index"]["status"] for i in bulk.json["items"]] == [201, 201]
    conflict = es("POST", "/_bulk", raw='{"create": {"_index": "logs", "_id": "1"}}\n{"a": 1}\n',
                  headers={"Content-Type": "application/x-ndjson"})
    item = conflict.json["items"][0]["create"]
    assert conflict.json["errors"] is True and item["status"] == 409
    assert item["error"]["type"] == "version_conflict_engine_exception"
    caps = es("GET", "/_field_caps", params={"fields": "msg*,user.*"}).json
    assert caps["fields"]["msg"]["text"]["aggregatable"] is False
    assert caps["fields"]["msg.keyword"]["keyword"]["aggregatable"] is True
    assert set(caps["fields"]) == {"msg", "msg.keyword", "user.name", "user.name.keyword"}
    assert _error(es("GET", "/_field_caps"))[2] == "specified fields can't be null or empty"


def test_aliases_and_patterns_resolve_to_indices(es):
    """ES IndexNameExpressionResolver and TransportIndicesAliasesAction: an alias names its indices, a wildcard
    matches names (not hidden dot indices) and aliases, a comma list joins them."""
    for name in ("logs-a", "logs-b", "metrics", ".hidden"):
        es("PUT", "/" + name)
    assert es("POST", "/_aliases", {"actions": [{"add": {"index": "logs-*", "alias": "all-logs"}}]}).json == {
        "acknowledged": True, "errors": False}
    assert es("PUT", "/metrics/_alias/numbers").json == {"acknowledged": True}
    assert sorted(es("GET", "/all-logs").json) == ["logs-a", "logs-b"]
    assert sorted(es("GET", "/numbers,logs-a").json) == ["logs-a", "metrics"]
    assert sorted(es("GET", "/*").json) == ["logs-a", "logs-b", "metrics"]
    assert es("GET", "/web-*").json == {}


# -- datafeeds that read ---------------------------------------------------------------------------------------

def test_start_refuses_a_missing_index(es):
    """ES TransportStartDatafeedAction (the job must be open first, a 409), then ScrollDataExtractorFactory: a
    concrete index that does not exist is a 404 resource_not_found_exception naming the datafeed and the index."""
    _job(es)
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["web"]})
    assert _error(es("POST", FEEDS + "d1/_start")) == (
        409, "status_exception", "cannot start datafeed [d1] because job [j1] is closed")
    es("POST", JOBS + "j1/_open")
    assert _error(es("POST", FEEDS + "d1/_start")) == (
        404, "resource_not_found_exception", "datafeed [d1] cannot retrieve data because index [web] does not exist")
    assert es("GET", FEEDS + "d1/_stats").json["datafeeds"][0]["state"] == "stopped"


def test_start_refuses_unmapped_fields(es):
    """ES TimeBasedExtractedFields and ExtractionMethodDetector: the time field first, then the job's other input
    fields in sorted order (Job.allInputFields is a TreeSet), must have a mapping in the datafeed's indices; a
    pattern matching no index maps nothing; a text time field is not aggregatable. Each is a 400 prefixed with
    the datafeed's id."""
    _web(es)
    _job(es, "j1", by="missing_field")
    es("POST", JOBS + "j1/_open")
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["web"]})
    assert _error(es("POST", FEEDS + "d1/_start")) == (
        400, "status_exception", "[d1] cannot retrieve field [missing_field] because it has no mappings")
    _job(es, "j2")
    es("POST", JOBS + "j2/_open")
    es("PUT", FEEDS + "d2", {"job_id": "j2", "indices": ["nothing-*"]})
    assert _error(es("POST", FEEDS + "d2/_start"))[2] == "[d2] cannot retrieve field [@timestamp] because it has no mappings"
    _job(es, "j3", time_field="message")
    es("POST", JOBS + "j3/_open")
    es("PUT", FEEDS + "d3", {"job_id": "j3", "indices": ["web"]})
    assert _error(es("POST", FEEDS + "d3/_start"))[2] == "[d3] cannot retrieve time field [message] because it is not aggregatable"
    _job(es, "j4", by="derived")
    es("POST", JOBS + "j4/_open")
    es("PUT", FEEDS + "d4", {"job_id": "j4", "indices": ["web"], "runtime_mappings": {"derived": {"type": "keyword"}}})
    assert es("POST", FEEDS + "d4/_start").json["started"] is True  # a runtime field is mapped for the search


def test_an_aggregated_datafeed_over_no_index_has_no_node(es):
    """ES DatafeedNodeSelector.checkDatafeedTaskCanBeCreated: when the extractor did not refuse the datafeed
    (aggregations skip the field checks) but its indices resolve to nothing, starting it is a 409 that quotes
    the assignment failure."""
    es("PUT", JOBS + "j1", {"analysis_config": {"bucket_span": "1m", "summary_count_field_name": "doc_count",
                                                "detectors": [{"function": "count"}]},
                            "data_description": {"time_field": "@timestamp"}})
    es("POST", JOBS + "j1/_open")
    aggs = {"buckets": {"date_histogram": {"field": "@timestamp", "fixed_interval": "60s"},
                        "aggregations": {"@timestamp": {"max": {"field": "@timestamp"}}}}}
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["web-*"], "aggregations": aggs})
    assert _error(es("POST", FEEDS + "d1/_start")) == (
        409, "status_exception", "No node found to start datafeed [d1], allocation explanation [cannot start datafeed "
        "[d1] because index [web-*] does not exist, is closed, or is still initializing.]")


def test_a_bounded_datafeed_feeds_its_window_and_closes_its_job(es):
    """ES DatafeedJob and the start datafeed API docs: a lookback reads [start, end) with the datafeed's query and
    feeds each document to the job (its data counts move, its latest record time is the last one fed); with an
    end it stops when the lookback is done and closes its job, which then has a model snapshot."""
    _web(es, docs=10)
    _job(es)
    es("POST", JOBS + "j1/_open")
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["web"], "query": {"term": {"status": 200}}})
    es("POST", FEEDS + "d1/_start", params={"start": str(T0 + MINUTE), "end": str(T0 + 9 * MINUTE)})
    counts = _counts(es)
    assert counts["processed_record_count"] == 7  # minutes 1 to 8, without the 500 at minute 5
    assert counts["earliest_record_timestamp"] == T0 + MINUTE
    assert counts["latest_record_timestamp"] == T0 + 8 * MINUTE
    assert counts["processed_field_count"] == 14  # the time field and host, for each record
    assert es("GET", FEEDS + "d1/_stats").json["datafeeds"][0]["state"] == "stopped"
    assert es("GET", JOBS + "j1/_stats").json["jobs"][0]["state"] == "closed"
    assert es("GET", JOBS + "j1").json["jobs"][0]["model_snapshot_id"]


def test_a_restart_goes_on_after_the_latest_record(es):
    """The start datafeed API docs: restarted with a start before the latest record the job processed, a
    datafeed continues from the millisecond after it, so nothing is fed twice."""
    _web(es, docs=6)
    _job(es)
    es("POST", JOBS + "j1/_open")
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["web"]})
    es("POST", FEEDS + "d1/_start", params={"start": str(T0), "end": str(T0 + 3 * MINUTE)})
    assert _counts(es)["processed_record_count"] == 3
    es("POST", JOBS + "j1/_open")
    es("POST", FEEDS + "d1/_start", params={"start": str(T0), "end": str(T0 + 6 * MINUTE)})
    assert _counts(es)["processed_record_count"] == 6
    assert _counts(es)["out_of_order_timestamp_count"] == 0


def test_a_real_time_datafeed_reads_what_becomes_due(es):
    """ES DatafeedJob: without an end the datafeed looks back to now minus query_delay, then searches again every
    frequency; a document newer than now minus query_delay waits. The emulator's clock moves with
    POST /_emulator/clock."""
    es("PUT", "/web", {"mappings": {"properties": {"@timestamp": {"type": "date"}, "host": {"type": "keyword"}}}})
    clock = es.advance("0s")["now"]
    es.docs("web", {"@timestamp": clock - 10 * MINUTE, "host": "a"}, {"@timestamp": clock - 30000, "host": "b"})
    _job(es)
    es("POST", JOBS + "j1/_open")
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["web"], "query_delay": "60s", "frequency": "60s"})
    es("POST", FEEDS + "d1/_start")
    assert _counts(es)["processed_record_count"] == 1  # the newer one is inside the query delay
    es.advance("2m")
    assert _counts(es)["processed_record_count"] == 2
    stats = es("GET", FEEDS + "d1/_stats").json["datafeeds"][0]
    assert stats["state"] == "started" and stats["running_state"]["real_time_configured"] is True
    assert stats["timing_stats"]["search_count"] >= 2


# -- preview and flush -----------------------------------------------------------------------------------------

def test_preview_a_stored_datafeed(es):
    """ES TransportPreviewDatafeedAction: the rows the datafeed's first search extracts (time field in epoch ms,
    the job's fields the document has), honouring the query and start/end; a start at or after end is a
    validation failure."""
    _web(es, docs=4)
    _job(es)
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["web"], "query": {"term": {"host": "h0"}}})
    rows = es("GET", FEEDS + "d1/_preview").json
    assert rows == [{"@timestamp": T0, "host": "h0"}, {"@timestamp": T0 + 2 * MINUTE, "host": "h0"}]
    later = es("POST", FEEDS + "d1/_preview", params={"start": str(T0 + MINUTE)}).json
    assert later == [{"@timestamp": T0 + 2 * MINUTE, "host": "h0"}]
    bad = es("GET", FEEDS + "d1/_preview", params={"start": str(T0 + MINUTE), "end": str(T0)})
    assert _error(bad)[2] == "Validation Failed: 1: start [%d] must be earlier than end [%d];" % (T0 + MINUTE, T0)


def test_preview_an_inline_datafeed(es):
    """ES PreviewDatafeedAction.Request.Builder: an inline datafeed_config is called preview_id and needs a job_id
    or a job_config (called preview_job_id); datafeed_id and an inline config exclude each other; the extractor's
    checks apply as on start."""
    _web(es, docs=2)
    job = {"analysis_config": {"bucket_span": "1m", "detectors": [{"function": "count", "by_field_name": "host"}]},
           "data_description": {"time_field": "@timestamp"}}
    rows = es("POST", FEEDS + "_preview", {"datafeed_config": {"indices": ["web"]}, "job_config": job}).json
    assert rows == [{"@timestamp": T0, "host": "h0"}, {"@timestamp": T0 + MINUTE, "host": "h1"}]
    inside = es("POST", FEEDS + "_preview", {"job_config": dict(job, datafeed_config={"indices": ["web"]})}).json
    assert inside == rows
    assert _error(es("POST", FEEDS + "_preview", {"datafeed_config": {"indices": ["web"]}}))[2] == \
        "[datafeed_config.job_id] must be set or a [job_config] must be provided"
    assert _error(es("POST", FEEDS + "_preview", {"job_config": job}))[2] == \
        "[datafeed_config] must be present when a [job_config.datafeed_config] is not present"
    _job(es)
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["web"]})
    assert _error(es("POST", FEEDS + "d1/_preview", {"datafeed_config": {"indices": ["web"]}}))[2] == \
        "[datafeed_id] cannot be supplied when either [job_config] or [datafeed_config] is present"
    missing = es("POST", FEEDS + "_preview", {"datafeed_config": {"indices": ["nope"]}, "job_config": job})
    assert _error(missing) == (404, "resource_not_found_exception",
                               "datafeed [preview_id] cannot retrieve data because index [nope] does not exist")


def test_flush(es):
    """ES TransportFlushJobAction and FlushJobParams: the job must be open (a 409 from TransportJobTaskAction);
    start and end only with calc_interim, start before an end; advance_time after skip_time; a time that is not
    one is a parse_exception. The answer names the end of the last finalized bucket."""
    _web(es, docs=5)
    _job(es)
    assert _error(es("POST", JOBS + "j1/_flush")) == (
        409, "status_exception", "Cannot perform requested action because job [j1] is not open")
    es("POST", JOBS + "j1/_open")
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["web"]})
    es("POST", FEEDS + "d1/_start", params={"start": str(T0), "end": str(T0 + 5 * MINUTE)})
    es("POST", JOBS + "j1/_open")  # the bounded run closed it
    assert es("POST", JOBS + "j1/_flush").json == {"flushed": True, "last_finalized_bucket_end": T0 + 4 * MINUTE}
    assert es("POST", JOBS + "j1/_flush", {"calc_interim": True, "start": str(T0)}).json["flushed"] is True
    assert _error(es("POST", JOBS + "j1/_flush", params={"start": "1"})) == (
        400, "illegal_argument_exception", "Invalid flush parameters: unexpected 'start'.")
    assert _error(es("POST", JOBS + "j1/_flush", params={"calc_interim": "true", "end": "1"}))[2] == \
        "Invalid flush parameters: 'start' has not been specified."
    assert _error(es("POST", JOBS + "j1/_flush", params={"advance_time": "100", "skip_time": "200"})) == (
        400, "status_exception", "advance_time [100] must be later than skip_time [200]")
    assert _error(es("POST", JOBS + "j1/_flush", params={"advance_time": "soon"})) == (
        400, "parse_exception",
        "Query param [advance_time] with value [soon] cannot be parsed as a date or converted to a number (epoch).")


def test_reset_wipes_indices(es):
    """Test control, not ES: POST /_emulator/reset forgets indices and documents too."""
    _web(es)
    es.reset()
    assert es("HEAD", "/web").status == 404
    assert es("GET", "/_field_caps", params={"fields": "*"}).json == {"indices": [], "fields": {}}


def test_preview_reads_date_formats_and_copying_scripts(es):
    """ES DateFieldMapper (a date mapped with format epoch_second holds seconds) and the datafeed's script fields
    in preview rows (ES TransportPreviewDatafeedAction); the emulator evaluates only scripts that copy a field,
    ``doc['f'].value``, and gives no value for any other."""
    es("PUT", "/secs", {"mappings": {"properties": {"ts": {"type": "date", "format": "epoch_second"},
                                                    "host": {"type": "keyword"}}}})
    es.docs("secs", {"ts": T0 // 1000, "host": "a"})
    es("PUT", JOBS + "j1", {"analysis_config": {"bucket_span": "1m", "detectors": [
        {"function": "count", "by_field_name": "copied"}, {"function": "count", "by_field_name": "other"}]},
        "data_description": {"time_field": "ts"}})
    scripts = {"copied": {"script": {"source": "doc['host'].value"}}, "other": {"script": "Math.random()"}}
    es("PUT", FEEDS + "d1", {"job_id": "j1", "indices": ["secs"], "script_fields": scripts})
    assert es("GET", FEEDS + "d1/_preview").json == [{"ts": T0, "copied": "a"}]
