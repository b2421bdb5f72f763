"""Calendars and scheduled events (ES Calendar, ScheduledEvent)."""

from __future__ import annotations

import datetime
import fnmatch
import secrets

from . import objparse as op
from .errors import IllegalArgument, ResourceNotFound, StatusException, ValidationFailed
from .values import epoch_or_iso_ms, invalid_id_message, valid_id
from .xjson import PDict


def _calendar_missing(expression):
    return ResourceNotFound("No calendar with id [%s]" % expression)


def _date(value, _ctx=None):
    """strict_date_optional_time||epoch_millis (ES ScheduledEvent): a number is epoch ms; a string ISO 8601 or epoch ms."""
    millis = epoch_or_iso_ms(value)
    if millis is None:
        raise IllegalArgument("failed to parse date field [%s] with format [strict_date_optional_time||epoch_millis]"
                              % value)
    return millis


def _instant(millis):
    """Java Instant.toString(): seconds always, .SSS only when non-zero (ES Messages)."""
    moment = datetime.datetime.fromtimestamp(millis / 1000.0, tz=datetime.timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if millis % 1000:
        text += ".%03d" % (millis % 1000)
    return text + "Z"


EVENT_FIELDS = {
    "description": op.Field(op.STRING_OR_NULL), "start_time": op.Field(op.VALUE, _date),
    "end_time": op.Field(op.VALUE, _date), "calendar_id": op.Field(op.STRING),
    "skip_result": op.Field(op.BOOLEAN, op.to_bool), "skip_model_update": op.Field(op.BOOLEAN, op.to_bool),
    "force_time_shift": op.Field(op.NUMBER, op.to_int), "type": op.Field(op.STRING),
}


def _events(value, _ctx):
    return [op.parse_object("scheduled_event", item, EVENT_FIELDS) for item in op.as_list(value)]


class CalendarStore:
    """Calendars and their scheduled events."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.calendars = {}
        self.events = {}

    # -- calendars (ES Calendar) -------------------------------------------------------------------------------

    def put_calendar(self, calendar_id, body):
        parsed = op.parse_object("calendar_id", body if body is not None else PDict(), {
            "calendar_id": op.Field(op.STRING), "job_ids": op.Field(op.STRING_ARRAY, op.string_list),
            "description": op.Field(op.STRING_OR_NULL), "type": op.Field(op.STRING)})
        if parsed.get("calendar_id") not in (None, calendar_id):
            raise IllegalArgument("Inconsistent calendar_id; '%s' specified in the body differs from '%s' specified as a "
                                  "URL argument" % (parsed["calendar_id"], calendar_id))
        errors = []
        if calendar_id == "_all":
            errors.append("Cannot create a Calendar with the reserved name [_all]")
        if not valid_id(calendar_id) or calendar_id == "_all":
            errors.append(invalid_id_message("calendar_id", calendar_id))
        if len(calendar_id) > 64:
            errors.append("The job id cannot contain more than 64 characters.")
        if errors:
            raise ValidationFailed(errors)
        if calendar_id in self.calendars:
            raise StatusException("Cannot create calendar with id [%s] as it already exists" % calendar_id, status=400)
        calendar = {"calendar_id": calendar_id, "job_ids": list(parsed.get("job_ids") or [])}
        if parsed.get("description") is not None:
            calendar["description"] = parsed["description"]
        self.calendars[calendar_id] = calendar
        return dict(calendar)

    def _expand(self, expression):
        tokens = [t.strip() for t in (expression or "").split(",") if t.strip()] or ["_all"]
        found = set()
        for token in tokens:
            pattern = "*" if token == "_all" else token
            found |= {c for c in self.calendars if fnmatch.fnmatchcase(c, pattern)}
        if not found and expression not in (None, "", "_all", "*"):
            raise _calendar_missing(expression)
        return sorted(found)

    def get_calendars(self, calendar_id, params, body):
        page = paging(params, body, "cluster:monitor/xpack/ml/calendars/get", allow_calendar_id=True)
        if calendar_id is not None and (page["given"]):
            raise ValidationFailed(["Params [from, size] are incompatible with [calendar_id]."])
        ids = self._expand(calendar_id)
        shown = ids if calendar_id not in (None, "", "_all", "*") else ids[page["from"]:page["from"] + page["size"]]
        return {"count": len(ids), "calendars": [dict(self.calendars[i]) for i in shown]}

    def delete_calendar(self, calendar_id):
        if calendar_id not in self.calendars:
            raise _calendar_missing(calendar_id)
        del self.calendars[calendar_id]
        for event_id in [e for e, event in self.events.items() if event["calendar_id"] == calendar_id]:
            del self.events[event_id]
        return {"acknowledged": True}

    def put_calendar_job(self, calendar_id, job_ids):
        calendar = self._calendar(calendar_id)
        tokens = [t.strip() for t in job_ids.split(",") if t.strip()]
        calendar["job_ids"] = sorted(set(calendar["job_ids"]) | set(tokens))  # a HashSet: order unspecified (ES TransportUpdateCalendarJobAction)
        return dict(calendar)

    def delete_calendar_job(self, calendar_id, job_ids):
        calendar = self._calendar(calendar_id)
        tokens = [t.strip() for t in job_ids.split(",") if t.strip()]
        for token in tokens:
            if token not in calendar["job_ids"]:
                raise StatusException("Cannot remove [%s] as it is not present in calendar [%s]" % (token, calendar_id),
                                      status=400)
        calendar["job_ids"] = sorted(set(calendar["job_ids"]) - set(tokens))
        return dict(calendar)

    def _calendar(self, calendar_id):
        if calendar_id not in self.calendars:
            raise _calendar_missing(calendar_id)
        return self.calendars[calendar_id]

    def remove_job(self, job_id):
        """Deleting a job removes its id from every calendar; groups and _all stay (ES TransportUpdateCalendarJobAction)."""
        for calendar in self.calendars.values():
            calendar["job_ids"] = [j for j in calendar["job_ids"] if j != job_id]

    # -- events (ES ScheduledEvent) ----------------------------------------------------------------------------

    def post_events(self, calendar_id, body):
        if body is None:
            raise StatusException("At least 1 event is required", status=400)
        parsed = op.parse_object("cluster:admin/xpack/ml/calendars/events/post", body,
                                 {"events": op.Field(op.OBJECT_ARRAY, _events)})
        events = parsed.get("events") or []
        for event in events:
            if event.get("calendar_id") not in (None, calendar_id):
                raise StatusException("Inconsistent calendar_id; '%s' specified in the body differs from '%s' specified "
                                      "as a URL argument" % (event["calendar_id"], calendar_id), status=400)
        for event in events:
            for field in ("description", "start_time", "end_time"):
                if event.get(field) is None:
                    raise StatusException("Field [%s] cannot be null" % field, status=400)
            if event["start_time"] >= event["end_time"]:
                raise StatusException("Event start time [%s] must come before end time [%s]"
                                      % (_instant(event["start_time"]), _instant(event["end_time"])), status=400)
        if not events:
            raise StatusException("At least 1 event is required", status=400)
        self._calendar(calendar_id)
        out = []
        for event in events:
            stored = {"description": event["description"], "start_time": event["start_time"],
                      "end_time": event["end_time"], "skip_result": event.get("skip_result", True),
                      "skip_model_update": event.get("skip_model_update", True)}
            if event.get("force_time_shift") is not None:
                stored["force_time_shift"] = event["force_time_shift"]
            stored["calendar_id"] = calendar_id
            event_id = secrets.token_urlsafe(15)  # 20 URL-safe characters, like an ES auto-generated _id
            self.events[event_id] = dict(stored, event_id=event_id)
            out.append(stored)
        return {"events": out}

    def get_events(self, calendar_id, params):
        page = paging(params, None, "cluster:monitor/xpack/ml/calendars/events/get")
        job_id = params.get("job_id")
        if job_id is not None and calendar_id != "_all":
            raise ValidationFailed(["If job_id is used calendar_id must be '_all'"])
        ids = set(self._expand(calendar_id))
        if job_id is not None:
            names = self._job_names(job_id)
            ids = {c for c in ids if set(self.calendars[c]["job_ids"]) & names}
        start = _date(params["start"]) if params.get("start") is not None else None
        end = _date(params["end"]) if params.get("end") is not None else None
        matched = [e for e in self.events.values() if e["calendar_id"] in ids
                   and (start is None or e["end_time"] > start) and (end is None or e["start_time"] < end)]
        matched.sort(key=lambda e: (e["start_time"], e["description"]))
        return {"count": len(matched), "events": [dict(e) for e in matched[page["from"]:page["from"] + page["size"]]]}

    def _job_names(self, job_id):
        job = self.cluster.jobs.configs.get(job_id)
        if job is not None:
            return {job_id, "_all"} | set(job.get("groups") or [])
        if any(job_id in (j.get("groups") or []) for j in self.cluster.jobs.configs.values()):
            return {job_id, "_all"}
        raise ResourceNotFound("No known job with id '%s'" % job_id)

    def delete_event(self, calendar_id, event_id):
        self._calendar(calendar_id)
        event = self.events.get(event_id)
        if event is None:
            raise ResourceNotFound("No event with id [%s]" % event_id)
        if event["calendar_id"] != calendar_id:
            raise StatusException("Event [%s] has calendar_id [%s] which does not match the request calendar_id [%s]"
                                  % (event_id, event["calendar_id"], calendar_id), status=400)
        del self.events[event_id]
        return {"acknowledged": True}


def paging(params, body, parser, allow_calendar_id=False):
    """``from``/``size`` from the query or a ``page`` object in the body (ES PageParams)."""
    given = "from" in params or "size" in params
    start, size = int(params.get("from", 0)), int(params.get("size", 100))
    if body is not None:
        fields = {"page": op.Field(op.OBJECT, lambda v, c: op.parse_object("page", v, {
            "from": op.Field(op.NUMBER, op.to_int), "size": op.Field(op.NUMBER, op.to_int)}))}
        if allow_calendar_id:
            fields["calendar_id"] = op.Field(op.STRING)
        parsed = op.parse_object(parser, body, fields)
        if parsed.get("page"):
            given = True
            start, size = parsed["page"].get("from", 0), parsed["page"].get("size", 100)
    if start < 0:
        raise IllegalArgument("Parameter [from] cannot be < 0")
    if size < 0:
        raise IllegalArgument("Parameter [size] cannot be < 0")
    return {"from": start, "size": size, "given": given}
