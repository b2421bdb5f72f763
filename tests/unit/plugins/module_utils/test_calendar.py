"""ml_calendar's planner against the emulator (ES Calendar, ScheduledEvent)."""

from __future__ import annotations

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils._calendar import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError

C = "/_ml/calendars/maint"
NOW = 1767225600.0  # 2026-01-01T00:00:00Z
PAST = {"description": "old window", "start_time": "2025-06-01T00:00:00Z", "end_time": "2025-06-02T00:00:00Z"}
SOON = {"description": "upgrade", "start_time": "2026-02-01T22:00:00Z", "end_time": "2026-02-02T02:00:00Z"}
LATER = {"description": "migration", "start_time": 1772323200000, "end_time": 1772330400000}


def _run(es, check=False, diff=False, **params):
    full = dict({"calendar_id": "maint", "state": "present"}, **params)
    return run(MlApi(EsClient(hosts=[es.url], retries=0)), full, check_mode=check, diff_mode=diff, clock=lambda: NOW)


def _names(result):
    return [a["action"] for a in result["actions"]]


def _events(es):
    return sorted(e["description"] for e in es("GET", C + "/events").json["events"])


def test_create_then_noop(es):
    planned = _run(es, check=True, diff=True, description="Maintenance", job_ids=["web", "db"], events=[SOON])
    assert _names(planned) == ["put_calendar", "post_calendar_events"]
    assert planned["diff"]["after"]["events"][0]["start_time"] == 1769983200000
    assert [e["method"] for e in es.log()] == ["GET", "GET"]  # the calendar, and (preflight) its members
    _run(es, description="Maintenance", job_ids=["web", "db"], events=[SOON])
    assert es("GET", C).json["calendars"][0] == {"calendar_id": "maint", "job_ids": ["db", "web"],
                                                 "description": "Maintenance"}
    es.clear_log()
    again = _run(es, description="Maintenance", job_ids=["db", "web"], events=[dict(SOON, start_time=1769983200000)])
    assert again["changed"] is False
    assert [e["path"] for e in es.log()] == [C, C + "/events"]


def test_membership_and_events_by_difference(es):
    _run(es, job_ids=["web"], events=[PAST, SOON])
    done = _run(es, job_ids=["db"], events=[SOON, LATER])
    assert _names(done) == ["put_calendar_job", "delete_calendar_job", "post_calendar_events"]
    assert done["actions"][0]["path"] == "_ml/calendars/maint/jobs/db"
    assert done["actions"][2]["body"][0]["description"] == "migration"
    assert _events(es) == ["migration", "old window", "upgrade"]  # not purged: kept


def test_purge_spares_past_events_unless_asked(es):
    _run(es, events=[PAST, SOON, LATER])
    purged = _run(es, events=[LATER], purge_events=True)
    assert _names(purged) == ["delete_calendar_event"]
    assert _events(es) == ["migration", "old window"]
    _run(es, events=[LATER], purge_events=True, purge_past_events=True)
    assert _events(es) == ["migration"]


def test_changed_flags_replace_an_event(es):
    _run(es, events=[SOON])
    done = _run(es, events=[dict(SOON, skip_model_update=False)])
    assert _names(done) == ["delete_calendar_event", "post_calendar_events"]
    assert es("GET", C + "/events").json["events"][0]["skip_model_update"] is False


def test_description_needs_recreate(es):
    _run(es, description="old", job_ids=["web"], events=[SOON])
    with pytest.raises(ReconcileError) as info:
        _run(es, description="new")
    assert "no API to change a calendar's description. Set recreate=true" in str(info.value)
    done = _run(es, description="new", recreate=True)
    assert _names(done) == ["delete_calendar", "put_calendar", "post_calendar_events"]
    assert es("GET", C).json["calendars"][0] == {"calendar_id": "maint", "job_ids": ["web"], "description": "new"}
    assert _events(es) == ["upgrade"]


def test_absent(es):
    _run(es, events=[SOON])
    assert _names(_run(es, state="absent")) == ["delete_calendar"]
    assert es("GET", C).status == 404
    assert _run(es, state="absent")["changed"] is False


@pytest.mark.parametrize("params,message", [
    ({"calendar_id": "Bad Id"}, "calendar_id 'Bad Id' is not valid"),
    ({"events": [{"description": "x", "start_time": "soon", "end_time": 2}]}, "is not a date"),
    ({"events": [{"description": "x", "start_time": 5, "end_time": 2}]}, "start_time must be before end_time"),
    ({"events": [{"description": "x", "start_time": 1, "end_time": 2, "event_id": "e"}]}, "unknown key 'event_id'"),
    ({"events": [{"start_time": 1, "end_time": 2}]}, "description is required"),
    ({"events": [{"description": "x", "start_time": 1, "end_time": 2, "force_time_shift": "abc"}]},
     "events[0].force_time_shift: expected an integer, got 'abc'"),
    ({"events": [{"description": "x", "start_time": 1, "end_time": 2, "skip_result": "maybe"}]},
     "events[0].skip_result: expected true or false, got 'maybe'"),
    ({"events": ["x"]}, "events[0]: expected a mapping"),
    ({"job_ids": ["web,Bad Job"]}, "job_ids member 'Bad Job' is not valid"),
])
def test_bad_input_before_any_request(es, params, message):
    with pytest.raises(ConfigError) as info:
        _run(es, **params)
    assert message in str(info.value)
    assert es.log() == []


def test_calendars_info(es):
    from ansible_collections.mlops.elasticsearch.plugins.module_utils._info import calendars_info  # noqa  pylint: disable=import-outside-toplevel
    _run(es, job_ids=["web"], events=[SOON, LATER])
    es("PUT", "/_ml/calendars/other")
    api = MlApi(EsClient(hosts=[es.url], retries=0))
    es.clear_log()
    everything = calendars_info(api, {"calendar_id": None, "include_events": True})
    assert everything["count"] == 2 and len(es.log()) == 2
    maint = [c for c in everything["calendars"] if c["calendar_id"] == "maint"][0]
    assert sorted(e["description"] for e in maint["events"]) == ["migration", "upgrade"]
    one = calendars_info(api, {"calendar_id": ["maint"], "include_events": False})
    assert one["count"] == 1 and "events" not in one["calendars"][0]


def test_string_booleans_of_an_event_are_booleans(es):
    """skip_result: "false" (every extra var is a string) is false, as it would be for a module option."""
    _run(es, events=[dict(SOON, skip_result="false", skip_model_update="no", force_time_shift="60")])
    event = es("GET", C + "/events").json["events"][0]
    assert (event["skip_result"], event["skip_model_update"], event["force_time_shift"]) == (False, False, 60)
    assert _run(es, events=[dict(SOON, skip_result=False, skip_model_update=False, force_time_shift=60)])["changed"] \
        is False


def test_a_comma_list_of_members_is_its_members(es):
    """A member "web,db" is the two jobs it names in a path: compared as two, so a second run changes nothing."""
    _run(es, job_ids=["web,db"])
    assert es("GET", C).json["calendars"][0]["job_ids"] == ["db", "web"]
    es.clear_log()
    again = _run(es, job_ids=["web,db"])
    assert again["changed"] is False and [e["method"] for e in es.log()] == ["GET"]
    assert _names(_run(es, job_ids=["web, db", "ops"])) == ["put_calendar_job"]
    assert es("GET", C).json["calendars"][0]["job_ids"] == ["db", "ops", "web"]
