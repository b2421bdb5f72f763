"""Filters, the lists a detector rule's scope points at (ES MlFilter, TransportUpdateFilterAction)."""

from __future__ import annotations

import fnmatch

from . import objparse as op
from .calendars import paging
from .errors import IllegalArgument, ResourceAlreadyExists, ResourceNotFound, StatusException
from .values import invalid_id_message, valid_id

MAX_ITEMS = 10000


class FilterStore:
    def __init__(self, cluster):
        self.cluster = cluster
        self.filters = {}

    def put_filter(self, filter_id, body):
        parsed = op.parse_object("type", body, {
            "filter_id": op.Field(op.STRING), "description": op.Field(op.STRING_OR_NULL),
            "items": op.Field(op.STRING_ARRAY, op.string_list), "type": op.Field(op.STRING)})
        if parsed.get("filter_id") not in (None, filter_id):
            raise IllegalArgument("Inconsistent filter_id; '%s' specified in the body differs from '%s' specified as a "
                                  "URL argument" % (parsed["filter_id"], filter_id))
        if not valid_id(filter_id):
            raise StatusException(invalid_id_message("filter_id", filter_id), status=400)
        items = self._items(filter_id, parsed.get("items") or [])
        if filter_id in self.filters:
            raise ResourceAlreadyExists("A filter with id [%s] already exists" % filter_id)
        stored = {"filter_id": filter_id}
        if parsed.get("description") is not None:
            stored["description"] = parsed["description"]
        stored["items"] = items
        self.filters[filter_id] = stored
        return dict(stored)

    @staticmethod
    def _items(filter_id, items):
        """A Java TreeSet: sorted by UTF-16 code units and de-duplicated, at most 10,000 (ES MlFilter)."""
        unique = sorted(set(items), key=lambda s: s.encode("utf-16-be"))
        if len(unique) > MAX_ITEMS:
            raise StatusException("Filter [%s] contains too many items; up to [10,000] items are allowed" % filter_id,
                                  status=400)
        return unique

    def get_filters(self, expression, params):
        page = paging(params, None, "filters")
        tokens = [t for t in (expression or "").split(",") if t] or ["_all"]
        found, missing, exact_only = set(), [], True
        for token in tokens:
            if token in ("_all", "*") or "*" in token:
                exact_only = False
                pattern = "*" if token == "_all" else token
                found |= {f for f in self.filters if fnmatch.fnmatchcase(f, pattern)}
            elif token in self.filters:
                found.add(token)
            else:
                missing.append(token)
        if missing:
            raise ResourceNotFound("Unable to find filter [%s]" % ",".join(missing))
        ordered = sorted(found)
        shown = ordered[page["from"]:page["from"] + page["size"]]
        return {"count": len(shown) if exact_only else len(ordered), "filters": [dict(self.filters[f]) for f in shown]}

    def update_filter(self, filter_id, body):
        parsed = op.parse_object("cluster:admin/xpack/ml/filters/update", body, {
            "filter_id": op.Field(op.STRING), "description": op.Field(op.STRING_OR_NULL),
            "add_items": op.Field(op.STRING_ARRAY, op.string_list),
            "remove_items": op.Field(op.STRING_ARRAY, op.string_list)})
        if parsed.get("filter_id") not in (None, filter_id):
            raise IllegalArgument("Inconsistent filter_id; '%s' specified in the body differs from '%s' specified as a "
                                  "URL argument" % (parsed["filter_id"], filter_id))
        current = self.filters.get(filter_id)
        if current is None:
            raise ResourceNotFound("No filter with id [%s] exists" % filter_id)
        items = set(current["items"]) | set(parsed.get("add_items") or [])
        for item in parsed.get("remove_items") or []:
            if item not in items:
                raise StatusException("Cannot remove item [%s] as it is not present in filter [%s]" % (item, filter_id),
                                      status=400)
        items -= set(parsed.get("remove_items") or [])
        updated = {"filter_id": filter_id}
        description = parsed.get("description") if parsed.get("description") is not None else current.get("description")
        if description is not None:
            updated["description"] = description
        updated["items"] = self._items(filter_id, list(items))
        self.filters[filter_id] = updated
        return dict(updated)

    def delete_filter(self, filter_id):
        users = sorted(job_id for job_id, job in self.cluster.jobs.configs.items() if filter_id in _filters_used(job))
        if users:
            raise StatusException("Cannot delete filter [%s] currently used by jobs [%s]" % (filter_id, ", ".join(users)),
                                  status=409)
        if filter_id not in self.filters:
            raise ResourceNotFound("Could not delete filter with ID [%s] because it does not exist" % filter_id)
        del self.filters[filter_id]
        return {"acknowledged": True}


def _filters_used(job):
    out = set()
    for detector in job["analysis_config"]["detectors"]:
        for rule in detector.get("custom_rules") or []:
            for ref in (rule.get("scope") or {}).values():
                out.add(ref["filter_id"])
    return out
