"""Calendars, scheduled events and filters, as ES Calendar, ScheduledEvent, MlFilter and their actions define them."""

from __future__ import annotations

C = "/_ml/calendars/"
F = "/_ml/filters/"


def _reason(reply):
    return reply.json["error"]["root_cause"][0]["reason"]


def test_calendar_create_read_delete(es):
    """ES Calendar, TransportPutCalendarAction, GetCalendarsAction, TransportDeleteCalendarAction: the object,
    duplicates, sorted reads with a total count, delete takes events."""
    assert es("PUT", C + "planned-outages", {"job_ids": ["total-requests", "web-group"],
                                             "description": "Planned outages"}).json == {
        "calendar_id": "planned-outages", "job_ids": ["total-requests", "web-group"], "description": "Planned outages"}
    assert es("PUT", C + "empty").json == {"calendar_id": "empty", "job_ids": []}
    dup = es("PUT", C + "empty")
    assert dup.status == 400 and dup.json["error"]["root_cause"] == [
        {"type": "status_exception", "reason": "Cannot create calendar with id [empty] as it already exists"}]
    es("PUT", C + "another")
    listed = es("GET", "/_ml/calendars", params={"from": "1", "size": "1"}).json
    assert listed["count"] == 3 and [c["calendar_id"] for c in listed["calendars"]] == ["empty"]
    assert es("GET", C + "nope").json["error"]["reason"] == "No calendar with id [nope]"
    paged = es("GET", C + "empty", params={"size": "5"})
    assert _reason(paged) == "Validation Failed: 1: Params [from, size] are incompatible with [calendar_id].;"
    es("POST", C + "empty/events", {"events": [{"description": "x", "start_time": 1, "end_time": 2}]})
    assert es("DELETE", C + "empty").json == {"acknowledged": True}
    assert es("GET", C + "empty/events").status == 404


def test_calendar_ids_and_body(es):
    """ES Messages, PutCalendarAction: id validation collected into one validation exception; the body parser is named calendar_id."""
    assert _reason(es("PUT", C + "Mayas")) == ("Validation Failed: 1: Invalid calendar_id; 'Mayas' can contain lowercase "
                                               "alphanumeric (a-z and 0-9), hyphens or underscores; must start and end "
                                               "with alphanumeric;")
    assert _reason(es("PUT", C + "_all")).startswith(
        "Validation Failed: 1: Cannot create a Calendar with the reserved name [_all];2: Invalid calendar_id; '_all'")
    assert _reason(es("PUT", C + "a" * 65)) == "Validation Failed: 1: The job id cannot contain more than 64 characters.;"
    assert _reason(es("PUT", C + "advent", {"calendar_id": "other"})) == (
        "Inconsistent calendar_id; 'other' specified in the body differs from 'advent' specified as a URL argument")
    assert _reason(es("PUT", C + "advent", {"foo": 1})).endswith("[calendar_id] unknown field [foo]")


def test_membership(es):
    """ES TransportUpdateCalendarJobAction: comma lists, no existence check, set semantics, removal must find every token; job deletes leave."""
    es.put_job("j1")
    es("PUT", C + "cal", {"job_ids": ["_all"]})
    added = es("PUT", C + "cal/jobs/j1,new-group, j1").json
    assert sorted(added["job_ids"]) == ["_all", "j1", "new-group"]
    missing = es("DELETE", C + "cal/jobs/otter")
    assert missing.status == 400 and _reason(missing) == "Cannot remove [otter] as it is not present in calendar [cal]"
    assert sorted(es("DELETE", C + "cal/jobs/new-group").json["job_ids"]) == ["_all", "j1"]
    assert es("PUT", C + "nope/jobs/j1").status == 404
    es("DELETE", "/_ml/anomaly_detectors/j1")
    assert es("GET", C + "cal").json["calendars"][0]["job_ids"] == ["_all"]


def test_events(es):
    """ES ScheduledEvent and the event actions: defaults, order of checks, no event_id on POST, filters by time and job, delete by id."""
    es.put_job("j1", {"analysis_config": {"detectors": [{"function": "count"}]}, "groups": ["web"]})
    es("PUT", C + "events", {"job_ids": ["web"]})
    es("PUT", C + "other")
    posted = es("POST", C + "events/events", {"events": [
        {"description": "event 1", "start_time": "2017-12-01T00:00:00Z", "end_time": "2017-12-02T00:00:00Z"},
        {"description": "event 2", "start_time": 1512432000000, "end_time": 1512518400000, "skip_result": False,
         "force_time_shift": -3600}]})
    assert posted.json["events"][0] == {"description": "event 1", "start_time": 1512086400000, "end_time": 1512172800000,
                                        "skip_result": True, "skip_model_update": True, "calendar_id": "events"}
    assert "event_id" not in posted.json["events"][1]
    got = es("GET", C + "events/events").json
    assert got["count"] == 2 and len(got["events"][0]["event_id"]) == 20
    assert list(got["events"][1]) == ["description", "start_time", "end_time", "skip_result", "skip_model_update",
                                      "force_time_shift", "calendar_id", "event_id"]
    window = es("GET", C + "events/events", params={"start": "2017-12-02T00:00:00Z", "end": "2017-12-12T00:00:00Z"})
    assert [e["description"] for e in window.json["events"]] == ["event 2"]
    by_job = es("GET", C + "_all/events", params={"job_id": "j1"}).json
    assert by_job["count"] == 2
    assert _reason(es("GET", C + "events/events", params={"job_id": "j1"})) == (
        "Validation Failed: 1: If job_id is used calendar_id must be '_all';")
    assert _reason(es("GET", C + "_all/events", params={"job_id": "nope"})) == "No known job with id 'nope'"
    event_id = got["events"][0]["event_id"]
    assert _reason(es("DELETE", C + "other/events/" + event_id)) == (
        "Event [%s] has calendar_id [events] which does not match the request calendar_id [other]" % event_id)
    assert _reason(es("DELETE", C + "events/events/missing")) == "No event with id [missing]"
    assert es("DELETE", C + "events/events/" + event_id).json == {"acknowledged": True}


def test_event_validation(es):
    """ES PostCalendarEventsAction and Messages: messages in ES's order of checks."""
    es("PUT", C + "cal")

    def post(events, calendar="cal"):
        return es("POST", C + calendar + "/events", {"events": events})
    assert _reason(post([])) == "At least 1 event is required"
    assert _reason(post([], calendar="nope")) == "At least 1 event is required"
    assert _reason(post([{"description": "x", "start_time": 1, "end_time": 2}], calendar="nope")) == \
        "No calendar with id [nope]"
    assert _reason(post([{"start_time": 1, "end_time": 2}])) == "Field [description] cannot be null"
    assert _reason(post([{"description": "x", "start_time": "2017-12-02T00:00:00Z", "end_time": "2017-12-01T00:00:00Z"}])) \
        == "Event start time [2017-12-02T00:00:00Z] must come before end time [2017-12-01T00:00:00Z]"
    assert _reason(post([{"description": "x", "start_time": 1, "end_time": 2, "calendar_id": "other"}])) == (
        "Inconsistent calendar_id; 'other' specified in the body differs from 'cal' specified as a URL argument")
    unknown = post([{"description": "x", "start_time": 1, "end_time": 2, "event_id": "e"}])
    assert unknown.json["error"]["reason"].endswith(
        "[cluster:admin/xpack/ml/calendars/events/post] failed to parse field [events]")
    assert _reason(unknown).endswith("[scheduled_event] unknown field [event_id]")
    bad_date = post([{"description": "x", "start_time": "tomorrow", "end_time": 2}])
    assert "failed to parse date field [tomorrow] with format [strict_date_optional_time||epoch_millis]" in bad_date.text


def test_filters(es):
    """ES MlFilter and the filter actions: sorted unique items, duplicates, reads by expression, updates by difference, deletes in use."""
    created = es("PUT", F + "safe_domains", {"description": "A list of safe domains", "items": ["xyz", "abc", "abc"]})
    assert created.json == {"filter_id": "safe_domains", "description": "A list of safe domains", "items": ["abc", "xyz"]}
    assert es("PUT", F + "safe_domains", {}).json["error"]["root_cause"] == [
        {"type": "resource_already_exists_exception", "reason": "A filter with id [safe_domains] already exists"}]
    assert _reason(es("PUT", F + "Invalid", {})) == ("Invalid filter_id; 'Invalid' can contain lowercase alphanumeric "
                                                     "(a-z and 0-9), hyphens or underscores; must start and end with "
                                                     "alphanumeric")
    assert _reason(es("PUT", F + "f2", {"foo": 1})).endswith("[type] unknown field [foo]")
    assert _reason(es("PUT", F + "big", {"items": [str(i) for i in range(10001)]})) == (
        "Filter [big] contains too many items; up to [10,000] items are allowed")
    es("PUT", F + "f2", {"items": []})
    assert es("GET", F + "nomatch*").json == {"count": 0, "filters": []}
    assert _reason(es("GET", F + "do_not_exist")) == "Unable to find filter [do_not_exist]"
    paged = es("GET", "/_ml/filters", params={"from": "1", "size": "1"}).json
    assert paged["count"] == 2 and [f["filter_id"] for f in paged["filters"]] == ["safe_domains"]
    es("PUT", F + "filter-foo", {"items": ["a", "b"]})
    updated = es("POST", F + "filter-foo/_update", {"add_items": ["c", "d"], "remove_items": ["a"]}).json
    assert updated["items"] == ["b", "c", "d"]
    assert _reason(es("POST", F + "filter-foo/_update", {"remove_items": ["not present item"]})) == (
        "Cannot remove item [not present item] as it is not present in filter [filter-foo]")
    assert _reason(es("POST", F + "filter-foo/_update", {"items": ["x"]})).endswith(
        "[cluster:admin/xpack/ml/filters/update] unknown field [items]")
    assert _reason(es("POST", F + "missing_filter/_update", {})) == "No filter with id [missing_filter] exists"
    rule = {"scope": {"host": {"filter_id": "filter-foo"}}}
    detector = {"function": "count", "by_field_name": "host", "custom_rules": [rule]}
    es.put_job("filter-crud", {"analysis_config": {"detectors": [detector]}})
    in_use = es("DELETE", F + "filter-foo")
    assert in_use.status == 409
    assert _reason(in_use) == "Cannot delete filter [filter-foo] currently used by jobs [filter-crud]"
    assert _reason(es("DELETE", F + "does_not_exist")) == (
        "Could not delete filter with ID [does_not_exist] because it does not exist")
    assert es("DELETE", F + "f2").json == {"acknowledged": True}
    assert _reason(es("PUT", F + "x")) == "request body or source parameter is required"
