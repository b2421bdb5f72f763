# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ML filters (the lists a detector rule's scope points at): the shortest planner, the one to copy.

Items are a set: only the difference is sent, as ``add_items``/``remove_items``
(ES UpdateFilterAction). Requests: present reads the filter (1), then one write per change.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import Change
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import (
    ConfigError, filter_spec, validate_id, with_defaults)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Facts, Plan, Planner, converge, is_already_exists, is_missing)

MAX_ITEMS = 10000


def declare(params, warn):
    """The declared filter; ES's id rule without the 64-character limit jobs have (ES MlFilter)."""
    declared = Facts(**with_defaults(filter_spec(), params))
    validate_id("filter_id", declared.filter_id, max_length=None)
    if declared.state not in filter_spec()["state"]["choices"]:
        raise ConfigError("state must be one of present, absent")
    if declared.items is not None and len(set(declared.items)) > MAX_ITEMS:
        raise ConfigError("items: %d distinct items; Elasticsearch allows at most 10,000 in a filter"
                          % len(set(declared.items)))
    return declared


def read(api, declared, check_mode):
    return Facts(filter=_one(api.get_filters(declared.filter_id, not_found_ok=True)))


def plan(current, declared):
    filter_id, found = declared.filter_id, current.filter
    out = Plan("filter [%s]" % filter_id, start_state="present" if found else "absent")
    out.before = _shown(found)
    if declared.state == "absent":
        if found is not None:
            out.add(Action("delete_filter", {"filter_id": filter_id}, leaves="deleted", tolerate=is_missing,
                           verify=lambda api: _one(api.get_filters(filter_id, not_found_ok=True)) is None))
        return out
    if found is None:
        body = {"items": _sorted(declared.items or [])}
        if declared.description is not None:
            body["description"] = declared.description
        out.add(Action("put_filter", {"filter_id": filter_id, "body": body}, body_arg="body", leaves="created",
                       tolerate=is_already_exists,
                       verify=lambda api: _matches(_one(api.get_filters(filter_id, not_found_ok=True)), declared)))
        out.after = _shown(body)
        return out
    out.changes, body = _update(found, declared)
    if body:
        out.add(Action("update_filter", {"filter_id": filter_id, "body": body}, body_arg="body", leaves="updated"))
    out.after = _shown(dict(found, **dict((c.path, c.after) for c in out.changes)))
    return out


def report(done, current, declared, check_mode):
    if check_mode or not done:
        return {"filter": current.filter}  # as it is now
    if declared.state == "absent":
        return {"filter": None}
    return {"filter": done.actions[-1].result}  # PUT and _update return the filter


PLANNER = Planner(declare, read, plan, report)


def run(api, params, check_mode=False, diff_mode=False, warn=None):
    """What ml_filter does; returns the module result."""
    return converge(api, PLANNER, params, check_mode, diff_mode, warn)


def _update(found, declared):
    """(changes, the _update body): a new description, and the items to add and to remove."""
    changes, body = [], {}
    if declared.description is not None and declared.description != found.get("description"):
        body["description"] = declared.description
        changes.append(Change("description", found.get("description"), declared.description, True))
    if declared.items is not None:
        have, want = set(found.get("items") or []), set(declared.items)
        if want - have:
            body["add_items"] = _sorted(want - have)
        if have - want:
            body["remove_items"] = _sorted(have - want)
        if want != have:
            changes.append(Change("items", _sorted(have), _sorted(want), True))
    return changes, body


def _one(found):
    return (found or {}).get("filters", [None])[0] if found else None


def _sorted(items):
    return sorted(set(items), key=lambda s: s.encode("utf-16-be"))  # ES keeps a Java TreeSet (ES MlFilter)


def _shown(flt):
    if flt is None:
        return {}
    out = {"items": _sorted(flt.get("items") or [])}
    if flt.get("description") is not None:
        out["description"] = flt["description"]
    return out


def _matches(current, declared):
    if current is None:
        return False
    if declared.items is not None and set(current.get("items") or []) != set(declared.items):
        return False
    return declared.description is None or current.get("description") == declared.description
