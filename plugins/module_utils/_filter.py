# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ML filters (the lists a detector rule's scope points at), on the same reconcile engine as jobs.

Items are a set: only the difference is sent, as ``add_items``/``remove_items``
(ES UpdateFilterAction). Requests: present reads the filter (1), then one write per change.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import path_of
from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import Change
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError, validate_id
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import FILTERS
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Plan, is_already_exists, is_missing)

MAX_ITEMS = 10000
STATES = ("present", "absent")


def _path(filter_id, *rest):
    return path_of(*(FILTERS + (filter_id,) + rest)).lstrip("/")


def _check(params):
    # ES's id rule, without the 64-character limit jobs have (ES MlFilter)
    validate_id("filter_id", params["filter_id"], max_length=None)
    if params.get("state", "present") not in STATES:
        raise ConfigError("state must be one of present, absent")
    items = params.get("items")
    if items is not None and len(set(items)) > MAX_ITEMS:
        raise ConfigError("items: %d distinct items; Elasticsearch allows at most 10,000 in a filter" % len(set(items)))


def _sorted(items):
    return sorted(set(items), key=lambda s: s.encode("utf-16-be"))  # ES keeps a Java TreeSet (ES MlFilter)


def run(api, params, check_mode=False, diff_mode=False, warn=None):
    """What ml_filter does; returns the module result."""
    _check(params)
    filter_id = params["filter_id"]
    state = params.get("state") or "present"
    found = api.get_filters(filter_id, not_found_ok=True)
    current = (found or {}).get("filters", [None])[0] if found else None
    plan = Plan("filter [%s]" % filter_id)
    changes = []
    after = None
    if state == "absent":
        if current is not None:
            plan.add(Action("delete_filter", "delete_filter", "DELETE", _path(filter_id), kwargs={"filter_id": filter_id},
                            leaves="deleted", verify=lambda a: a.get_filters(filter_id, not_found_ok=True) is None,
                            tolerate=is_missing))
    elif current is None:
        body = {}
        if params.get("description") is not None:
            body["description"] = params["description"]
        body["items"] = _sorted(params.get("items") or [])
        plan.add(Action("put_filter", "put_filter", "PUT", _path(filter_id), kwargs={"filter_id": filter_id, "body": body},
                        body_arg="body", leaves="created", tolerate=is_already_exists,
                        verify=lambda a: _matches(a.get_filters(filter_id, not_found_ok=True), params)))
        after = dict(body, filter_id=filter_id)
    else:
        body = {}
        if params.get("description") is not None and params["description"] != current.get("description"):
            body["description"] = params["description"]
            changes.append(Change("description", current.get("description"), params["description"], True))
        if params.get("items") is not None:
            have, want = set(current.get("items") or []), set(params["items"])
            if want - have:
                body["add_items"] = _sorted(want - have)
            if have - want:
                body["remove_items"] = _sorted(have - want)
            if want != have:
                changes.append(Change("items", _sorted(have), _sorted(want), True))
        if body:
            plan.add(Action("update_filter", "update_filter", "POST", _path(filter_id, "_update"),
                            kwargs={"filter_id": filter_id, "body": body}, body_arg="body", leaves="updated"))
        after = dict(current)
        for change in changes:
            after[change.path] = change.after
    actions = plan.run(api, check_mode, "present" if current else "absent")
    result = {"changed": bool(plan), "actions": actions, "changes": [c.as_dict() for c in changes]}
    if check_mode or not plan:
        result["filter"] = current  # as it is now
    else:
        result["filter"] = None if state == "absent" else plan.actions[-1].result  # PUT/_update return the filter
    if diff_mode:
        result["diff"] = {"before": _shown(current), "after": _shown(after) if state == "present" else {}}
    return result


def _shown(flt):
    if flt is None:
        return {}
    out = {"items": _sorted(flt.get("items") or [])}
    if flt.get("description") is not None:
        out["description"] = flt["description"]
    return out


def _matches(found, params):
    current = (found or {}).get("filters", [None])[0] if found else None
    if current is None:
        return False
    if params.get("items") is not None and set(current.get("items") or []) != set(params["items"]):
        return False
    return params.get("description") is None or current.get("description") == params["description"]
