#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_calendar
short_description: Manage an Elasticsearch machine learning calendar, the maintenance windows jobs ignore
version_added: 0.1.0
description:
  - Creates and deletes a calendar, converges its members (jobs, groups or V(_all)) with the add and remove job
    APIs, and its scheduled events.
  - An event is identified by its description and its start and end times; only missing events are posted. With
    O(purge_events), events that are not declared are deleted, but past events never are unless
    O(purge_past_events) is set too. An event that differs only in its skip flags or time shift is replaced (there
    is no event update API).
  - Elasticsearch has no calendar update API, so a different O(description) fails unless O(recreate=true), which
    deletes the calendar and creates it again with its members and events.
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.attributes
attributes:
  check_mode:
    support: full
    details: Reads the calendar and its events and returns the plan in RV(actions) without sending any write request.
  diff_mode:
    support: full
    details: The calendar with its members and events, before and after.
options:
  calendar_id:
    description: The calendar's id.
    type: str
    required: true
  state:
    description: V(present) creates or converges the calendar; V(absent) deletes it with its events.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: A description. Changing it needs O(recreate=true).
    type: str
  job_ids:
    description: Job ids, group names or V(_all), compared as a set. Left as they are when not given.
    type: list
    elements: str
  events:
    description:
      - Scheduled events, each with C(description), C(start_time) and C(end_time) (ISO 8601 or epoch milliseconds),
        and the Elasticsearch 8.16+ options C(skip_result), C(skip_model_update) (both true by default) and
        C(force_time_shift) (seconds). Left as they are when not given.
    type: list
    elements: dict
  purge_events:
    description: Delete the calendar's events that O(events) does not declare (not past ones, see O(purge_past_events)).
    type: bool
    default: false
  purge_past_events:
    description: With O(purge_events), also delete undeclared events that have already ended.
    type: bool
    default: false
  recreate:
    description: Delete and re-create the calendar to change its description, putting back its members and events.
    type: bool
    default: false
  preflight:
    description:
      - Before writing members, look them up (read-only). Elasticsearch accepts a calendar that names a job not yet
        created, so one that does not exist is a warning (most often a typo), not a refusal.
    type: bool
    default: true
seealso:
  - module: mlops.elasticsearch.ml_anomaly_job
"""

EXAMPLES = r"""
- name: A maintenance window for the web jobs
  mlops.elasticsearch.ml_calendar:
    calendar_id: web-maintenance
    description: Planned maintenance of the web tier
    job_ids: [web]
    events:
      - description: Database upgrade
        start_time: "2026-12-05T22:00:00Z"
        end_time: "2026-12-06T02:00:00Z"

- name: Keep exactly the declared future events
  mlops.elasticsearch.ml_calendar:
    calendar_id: web-maintenance
    events: "{{ planned_windows }}"
    purge_events: true

- name: Remove the calendar and its events
  mlops.elasticsearch.ml_calendar:
    calendar_id: web-maintenance
    state: absent
"""

RETURN = r"""
preflight:
  description: What the preflight checked (the members' existence) and what it found.
  returned: when something was checked
  type: list
  elements: dict
  sample: [{subject: "calendar [web-maintenance]", check: members_exist, found: ok}]
calendar:
  description: The calendar as Elasticsearch has it after the run (in check mode, as it is now).
  returned: when it exists
  type: dict
  sample: {calendar_id: web-maintenance, job_ids: [web], description: Planned maintenance of the web tier}
actions:
  description: The API calls made, in order, or in check mode the ones that would be made.
  returned: always
  type: list
  elements: dict
  sample: [{action: post_calendar_events, method: POST, path: _ml/calendars/web-maintenance/events,
            body: [{description: Database upgrade, start_time: 1765058400000, end_time: 1765072800000,
                    skip_result: true, skip_model_update: true}]}]
changes:
  description: What differed (C(description), C(job_ids), C(events)), with the C(current) and C(desired) values.
  returned: always
  type: list
  elements: dict
  sample: [{path: job_ids, current: [web], desired: [db, web]}]
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._calendar import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import elasticsearch_module, run_planner
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import calendar_spec


def main():
    module = elasticsearch_module(calendar_spec())
    result = run_planner(module, run)
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
