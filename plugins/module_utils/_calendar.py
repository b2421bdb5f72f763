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

from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import Change
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import (
    ConfigError, calendar_event_spec, calendar_spec, validate, validate_id, with_defaults)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._preflight import Preflight
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Facts, Plan, Planner, ReconcileError, converge, is_already_exists)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import epoch_ms

EVENT_KEYS = ("description", "start_time", "end_time", "skip_result", "skip_model_update", "force_time_shift")


def declare(params, warn):
    """The declared calendar: its members a set, its events in the server's form (a delete uses neither)."""
    declared = Facts(**with_defaults(calendar_spec(), params))
    validate_id("calendar_id", declared.calendar_id)
    if declared.state == "absent":
        declared.events = declared.job_ids = None
    if declared.events is not None:
        declared.events = [_event(e, i) for i, e in enumerate(declared.events)]
    if declared.job_ids is not None:
        declared.job_ids = _members(declared.job_ids)
    return declared


def read(api, declared, check_mode, clock=time.time):
    """The calendar; its events when they are declared, purged, or must be put back on a re-create."""
    current = Facts(calendar=None, events=[], now_ms=int(clock() * 1000))
    found = api.get_calendars(declared.calendar_id, not_found_ok=True)
    current.calendar = (found or {}).get("calendars", [None])[0] if found else None
    if current.calendar is not None and declared.state == "present" and (
            declared.events is not None or declared.purge_events or (_new_description(current, declared) and declared.recreate)):
        current.events = api.get_calendar_events(declared.calendar_id, size=10000).get("events") or []
    return current


def plan(current, declared):
    found = current.calendar
    out = Plan("calendar [%s]" % declared.calendar_id, start_state="present" if found else "absent")
    out.before = dict(found, events=_shown(current.events)) if found else {}
    if declared.state == "absent":
        if found is not None:
            out.add(Action("delete_calendar", {"calendar_id": declared.calendar_id}, note="also deletes its events",
                           leaves="deleted"))
        return out
    if found is None:
        return _plan_create(out, declared)
    members = set(found.get("job_ids") or [])
    wanted = members if declared.job_ids is None else declared.job_ids
    if _new_description(current, declared):
        out.changes.append(Change("description", found.get("description"), declared.description, False))
    if wanted != members:
        out.changes.append(Change("job_ids", sorted(members), sorted(wanted), True))
    kept, to_post, to_delete = _events_plan(current, declared)
    events = [_comparable(e) for e in kept] + to_post
    if to_post or to_delete:
        out.changes.append(Change("events", [_comparable(e) for e in current.events], events, True))
    if _new_description(current, declared):
        _plan_recreate(out, current, declared, wanted, events)
    else:
        _plan_update(out, declared.calendar_id, members, wanted, to_delete, to_post)
    out.after = dict(found, job_ids=sorted(wanted), events=_shown(events))
    if declared.description is not None:
        out.after["description"] = declared.description
    return out


def report(done, current, declared, check_mode):
    if check_mode or not done:
        return {"calendar": current.calendar}  # as it is now
    return {"calendar": dict((k, v) for k, v in done.after.items() if k != "events") or None}  # None once deleted


def preflight(api, plan, current, declared, checks):
    """The members about to be added are looked up: one that does not exist is a warning (Elasticsearch accepts
    it; it is most often a typo)."""
    names = plan.names()
    if "put_calendar" in names or "put_calendar_job" in names:
        checks.jobs_exist("calendar [%s]" % declared.calendar_id,
                          sorted(m for m in (declared.job_ids or ()) if m != "_all"))


def run(api, params, check_mode=False, diff_mode=False, warn=None, clock=time.time):
    """What ml_calendar does; returns the module result."""
    warn = warn or (lambda message: None)
    planner = Planner(declare, lambda api_, declared, check: read(api_, declared, check, clock), plan, report,
                      preflight)
    checks = Preflight(api, warn, enabled=with_defaults(calendar_spec(), params)["preflight"])
    return converge(api, planner, params, check_mode, diff_mode, warn, checks)


def _plan_create(out, declared):
    body = {"job_ids": sorted(declared.job_ids or [])}
    if declared.description is not None:
        body["description"] = declared.description
    calendar_id = declared.calendar_id
    out.add(Action("put_calendar", {"calendar_id": calendar_id, "body": body}, body_arg="body",
                   leaves="created, without events", tolerate=is_already_exists,
                   verify=lambda api: api.get_calendars(calendar_id, not_found_ok=True) is not None))
    if declared.events:
        _post(out, calendar_id, declared.events)
    out.after = dict(body, calendar_id=calendar_id, events=_shown(declared.events or []))
    return out


def _plan_recreate(out, current, declared, wanted, events):
    """No calendar update API: a new description means delete, put with the members, post the events again."""
    if not declared.recreate:
        raise ReconcileError(
            "calendar [%s] has description %r, declared %r; Elasticsearch has no API to change a calendar's "
            "description. Set recreate=true to delete and re-create the calendar with the new description (its "
            "members and events are put back)"
            % (declared.calendar_id, current.calendar.get("description"), declared.description),
            changes=[c.as_dict() for c in out.changes])
    calendar_id = declared.calendar_id
    out.add(Action("delete_calendar", {"calendar_id": calendar_id}, note="to change its description", leaves="deleted"))
    out.add(Action("put_calendar", {"calendar_id": calendar_id,
                                    "body": {"job_ids": sorted(wanted), "description": declared.description}},
                   body_arg="body", leaves="re-created without its events"))
    _post(out, calendar_id, events)


def _plan_update(out, calendar_id, members, wanted, to_delete, to_post):
    """Members through the add/remove job APIs, events deleted and posted one by one."""
    if wanted - members:
        out.add(Action("put_calendar_job", {"calendar_id": calendar_id, "job_id": ",".join(sorted(wanted - members))},
                       leaves="with its new members"))
    if members - wanted:
        out.add(Action("delete_calendar_job", {"calendar_id": calendar_id, "job_id": ",".join(sorted(members - wanted))},
                       leaves="with its members as declared"))
    for event in to_delete:
        out.add(Action("delete_calendar_event", {"calendar_id": calendar_id, "event_id": event["event_id"]},
                       note="%s (%s to %s)" % (event["description"], event["start_time"], event["end_time"]),
                       leaves="with some events deleted"))
    if to_post:
        _post(out, calendar_id, to_post)


def _new_description(current, declared):
    return declared.description is not None and declared.description != current.calendar.get("description")


def _event(raw, index):
    """A declared event in the server's form (times in epoch ms, flags defaulted as 8.16+ does), its options
    converted as a module's are (``skip_result: "false"`` is false)."""
    out = validate(calendar_event_spec(), raw, "events[%d]" % index)
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


def _shown(events):
    return sorted((_comparable(e) for e in events), key=_identity)


def _events_plan(current, declared):
    """(kept, to post, to delete): declared events not there are posted; with purge_events, undeclared ones
    are deleted, except past ones unless purge_past_events."""
    if declared.events is None:
        return list(current.events), [], []
    present = dict((_identity(e), e) for e in current.events)
    wanted = dict((_identity(e), e) for e in declared.events)
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
        past = event["end_time"] <= current.now_ms
        if declared.purge_events and (not past or declared.purge_past_events):
            to_delete.append(event)
        else:
            kept.append(event)
    return kept, to_post, to_delete


def _post(out, calendar_id, events):
    out.add(Action("post_calendar_events", {"calendar_id": calendar_id, "events": [_comparable(e) for e in events]},
                   body_arg="events", leaves="with its events"))
