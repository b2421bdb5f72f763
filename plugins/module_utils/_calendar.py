# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ML calendars (maintenance windows): membership and scheduled events, on the same reconcile engine.

There is no calendar update API (the REST spec has no calendar update): members change through the
add/remove job APIs, events are posted and deleted one by one, and a new description needs the
calendar re-created. An event is identified by its description and its start and end times (in epoch
milliseconds); its skip flags and time shift are part of what is compared, and an event that differs
only in those is replaced. Requests: present reads the calendar (1) and, when events are declared or
purged, its events (2), then one write per change.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import time

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import path_of
from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import Change
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError, validate_id
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import CALENDARS
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import validate
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Plan, ReconcileError, is_already_exists)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import epoch_ms

STATES = ("present", "absent")
EVENT_KEYS = ("description", "start_time", "end_time", "skip_result", "skip_model_update", "force_time_shift")


def _path(calendar_id, *rest):
    return path_of(*(CALENDARS + (calendar_id,) + rest)).lstrip("/")


def event_spec():
    """One scheduled event, as the post events API takes it (ml_calendar's ``events`` elements)."""
    return dict(
        description=dict(type="str", required=True),
        start_time=dict(type="raw", required=True),
        end_time=dict(type="raw", required=True),
        skip_result=dict(type="bool", default=True),
        skip_model_update=dict(type="bool", default=True),
        force_time_shift=dict(type="int"),
    )


def _event(raw, index):
    """A declared event in the server's form (times in epoch ms, flags defaulted as 8.16+ does), its options
    converted as a module's are (``skip_result: "false"`` is false)."""
    out = validate(event_spec(), raw, "events[%d]" % index)
    for key in ("start_time", "end_time"):
        value = epoch_ms(out[key]) if out[key] != "now" else None
        if value is None:
            raise ConfigError("events[%d].%s: %r is not a date (ISO 8601 or epoch milliseconds)" % (index, key, out[key]))
        out[key] = value
    if out["start_time"] >= out["end_time"]:
        raise ConfigError("events[%d]: start_time must be before end_time" % index)
    return out


def _members(job_ids):
    """Declared members, each a job id, a group or ``_all``; ``"a,b"`` is two members, as its path would be."""
    out = set()
    for entry in job_ids:
        for member in entry.split(","):
            member = member.strip()
            if member != "_all":
                validate_id("job_ids member", member)
            out.add(member)
    return out


def _identity(event):
    return (event["description"], int(event["start_time"]), int(event["end_time"]))


def _comparable(event):
    return dict((k, event[k]) for k in EVENT_KEYS if k in event)


def run(api, params, check_mode=False, diff_mode=False, warn=None, clock=time.time):
    """What ml_calendar does; returns the module result."""
    calendar_id = params["calendar_id"]
    validate_id("calendar_id", calendar_id)
    state = params.get("state") or "present"
    declared, wanted_members = None, None
    if params.get("events") is not None and state != "absent":  # a delete does not use them
        declared = [_event(e, i) for i, e in enumerate(params["events"])]
    if params.get("job_ids") is not None and state != "absent":
        wanted_members = _members(params["job_ids"])
    found = api.get_calendars(calendar_id, not_found_ok=True)
    current = (found or {}).get("calendars", [None])[0] if found else None
    plan = Plan("calendar [%s]" % calendar_id)
    changes = []
    if state == "absent":
        if current is not None:
            plan.add(Action("delete_calendar", "delete_calendar", "DELETE", _path(calendar_id),
                            kwargs={"calendar_id": calendar_id}, note="also deletes its events", leaves="deleted"))
        return _result(plan, api, check_mode, diff_mode, current, None, [], changes, None)
    events = []
    if current is not None and (declared is not None or params.get("purge_events")):
        events = api.get_calendar_events(calendar_id, size=10000).get("events") or []
    if current is None:
        body = {"job_ids": sorted(wanted_members or [])}
        if params.get("description") is not None:
            body["description"] = params["description"]
        plan.add(Action("put_calendar", "put_calendar", "PUT", _path(calendar_id),
                        kwargs={"calendar_id": calendar_id, "body": body}, body_arg="body", leaves="created, without events", tolerate=is_already_exists,
                        verify=lambda a: a.get_calendars(calendar_id, not_found_ok=True) is not None))
        if declared:
            _post(plan, calendar_id, declared)
        after = dict(body, calendar_id=calendar_id)
        return _result(plan, api, check_mode, diff_mode, None, after, [], changes, declared or [])
    description = params.get("description")
    recreate = description is not None and description != current.get("description")
    if recreate:
        changes.append(Change("description", current.get("description"), description, False))
        if not params.get("recreate"):
            raise ReconcileError(
                "calendar [%s] has description %r, declared %r; Elasticsearch has no API to change a calendar's "
                "description. Set recreate=true to delete and re-create the calendar with the new description (its "
                "members and events are put back)" % (calendar_id, current.get("description"), description),
                changes=[c.as_dict() for c in changes])
        if not events:
            events = api.get_calendar_events(calendar_id, size=10000).get("events") or []
    members = set(current.get("job_ids") or [])
    if wanted_members is None:
        wanted_members = members
    if wanted_members != members:
        changes.append(Change("job_ids", sorted(members), sorted(wanted_members), True))
    kept, to_post, to_delete = _events_plan(events, declared, params, clock)
    if to_post or to_delete:
        changes.append(Change("events", [_comparable(e) for e in events],
                              [_comparable(e) for e in kept] + to_post, True))
    if recreate:
        body = {"job_ids": sorted(wanted_members), "description": description}
        plan.add(Action("delete_calendar", "delete_calendar", "DELETE", _path(calendar_id),
                        kwargs={"calendar_id": calendar_id}, note="to change its description", leaves="deleted"))
        plan.add(Action("put_calendar", "put_calendar", "PUT", _path(calendar_id),
                        kwargs={"calendar_id": calendar_id, "body": body}, body_arg="body",
                        leaves="re-created without its events"))
        _post(plan, calendar_id, [_comparable(e) for e in kept] + to_post)
    else:
        if wanted_members - members:
            plan.add(Action("put_calendar_job", "put_calendar_job", "PUT",
                            _path(calendar_id, "jobs", ",".join(sorted(wanted_members - members))),
                            kwargs={"calendar_id": calendar_id, "job_id": ",".join(sorted(wanted_members - members))},
                            leaves="with its new members"))
        if members - wanted_members:
            plan.add(Action("delete_calendar_job", "delete_calendar_job", "DELETE",
                            _path(calendar_id, "jobs", ",".join(sorted(members - wanted_members))),
                            kwargs={"calendar_id": calendar_id, "job_id": ",".join(sorted(members - wanted_members))},
                            leaves="with its members as declared"))
        for event in to_delete:
            plan.add(Action("delete_calendar_event", "delete_calendar_event", "DELETE",
                            _path(calendar_id, "events", event["event_id"]),
                            kwargs={"calendar_id": calendar_id, "event_id": event["event_id"]},
                            note="%s (%s to %s)" % (event["description"], event["start_time"], event["end_time"]),
                            leaves="with some events deleted"))
        if to_post:
            _post(plan, calendar_id, to_post)
    after = dict(current, job_ids=sorted(wanted_members))
    if description is not None:
        after["description"] = description
    return _result(plan, api, check_mode, diff_mode, current, after, events, changes,
                   [_comparable(e) for e in kept] + to_post)


def _events_plan(events, declared, params, clock):
    """(kept, to post, to delete): declared events not there are posted; with purge_events, undeclared ones
    are deleted, except past ones unless purge_past_events."""
    if declared is None:
        return list(events), [], []
    now_ms = int(clock() * 1000)
    present = dict((_identity(e), e) for e in events)
    wanted = dict((_identity(e), e) for e in declared)
    to_post, to_delete, kept = [], [], []
    for key, event in wanted.items():
        there = present.get(key)
        if there is None:
            to_post.append(event)
        elif _comparable(there) != event:
            to_delete.append(there)  # no event update API: replace it
            to_post.append(event)
        else:
            kept.append(there)
    for key, event in present.items():
        if key in wanted:
            continue
        past = event["end_time"] <= now_ms
        if params.get("purge_events") and (not past or params.get("purge_past_events")):
            to_delete.append(event)
        else:
            kept.append(event)
    return kept, to_post, to_delete


def _post(plan, calendar_id, events):
    plan.add(Action("post_calendar_events", "post_calendar_events", "POST", _path(calendar_id, "events"),
                    kwargs={"calendar_id": calendar_id, "events": [_comparable(e) for e in events]}, body_arg="events",
                    leaves="with its events"))


def _result(plan, api, check_mode, diff_mode, current, after, events, changes, after_events):
    actions = plan.run(api, check_mode, "present" if current else "absent")
    if check_mode or not plan:
        calendar = current  # as it is now
    else:
        calendar = after  # None once deleted
    result = {"changed": bool(plan), "actions": actions, "changes": [c.as_dict() for c in changes],
              "calendar": calendar}
    if diff_mode:
        before = dict(current or {}, events=sorted((_comparable(e) for e in events), key=_identity)) if current else {}
        shown = dict(after, events=sorted(after_events or [], key=_identity)) if after is not None else {}
        result["diff"] = {"before": before, "after": shown}
    return result
