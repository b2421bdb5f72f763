#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_datafeed
short_description: Manage the datafeed that feeds an Elasticsearch anomaly-detection job
version_added: 0.1.0
description:
  - Creates a datafeed, updates it in place (stopping and restarting it around the update when it runs), starts
    and stops it, and deletes it.
  - >-
    Idempotent. Options are named as the Elasticsearch API names them. Only what you set is compared, after
    normalising both sides (indices as a set, durations by value, script field defaults, C(expand_wildcards: all)
    as open, closed and hidden); the query delay Elasticsearch picks when none is set is never a difference.
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.preflight
  - mlops.elasticsearch.attributes
attributes:
  check_mode:
    support: full
    details: Reads the datafeed and returns the plan in RV(actions) without sending any write request.
  diff_mode:
    support: full
    details: The normalised datafeed, with its run state when it was read, before and after.
options:
  datafeed_id:
    description: The datafeed's id. Defaults to C(datafeed-<job_id>).
    type: str
  job_id:
    description:
      - The job the datafeed feeds. Required to create the datafeed.
      - Elasticsearch cannot move a datafeed to another job; a different O(job_id) fails unless O(recreate=true).
    type: str
  state:
    description:
      - V(present) creates or updates the datafeed; its run state is left alone.
      - V(started) also starts it. The job must be open, or is opened first with O(open_job=true). A datafeed with
        an O(end) that has already run counts as done, and is started again only with O(restart=true).
      - V(stopped) stops it. V(absent) stops and deletes it; a missing datafeed is left alone.
    type: str
    choices: [present, absent, started, stopped]
    default: present
  indices:
    description: The indices to search (wildcards allowed). Required to create the datafeed.
    type: list
    elements: str
    aliases: [indexes]
  query:
    description: The query, in the Elasticsearch query DSL. Elasticsearch's default is C(match_all).
    type: dict
  aggregations:
    description: Aggregations for the search (a C(date_histogram) with a C(max) of the time field is required).
    type: dict
    aliases: [aggs]
  script_fields:
    description: Script fields for the search.
    type: dict
  runtime_mappings:
    description: Runtime fields for the search.
    type: dict
  scroll_size:
    description: The size of each search page.
    type: int
  frequency:
    description: How often the datafeed searches in real time (a time value such as V(150s)).
    type: str
  query_delay:
    description: How far behind real time the datafeed searches (a time value). Elasticsearch picks one between 1
      and 2 minutes when it is not set.
    type: str
  chunking_config:
    description: C(mode) (V(auto), V(manual) or V(off)) and C(time_span).
    type: dict
  delayed_data_check_config:
    description: C(enabled) and C(check_window).
    type: dict
  indices_options:
    description: C(expand_wildcards), C(ignore_unavailable), C(allow_no_indices) and C(ignore_throttled).
    type: dict
  max_empty_searches:
    description: Stop after this many real-time searches that find nothing (V(-1) clears it).
    type: int
  start:
    description:
      - With O(state=started), the time to start from (epoch milliseconds, ISO 8601 or V(now)). Without it, a new
        datafeed starts at the earliest data and a restarted one where it stopped.
    type: str
  end:
    description: With O(state=started), where to stop. Without it the datafeed runs in real time.
    type: str
  restart:
    description: Start a datafeed with an O(end) again even when it has already run.
    type: bool
    default: false
  open_job:
    description: With O(state=started), open the job first when it is closed, instead of failing.
    type: bool
    default: false
  recreate:
    description:
      - When O(job_id) differs from the datafeed's, delete the datafeed and create it for the declared job.
    type: bool
    default: false
  force:
    description: Stop or delete the datafeed forcefully, as the API's C(force) parameter.
    type: bool
    default: false
  timeout:
    description: How long Elasticsearch may take to start or stop the datafeed (a time value such as V(20s)).
    type: str
  authorization:
    description: Ignored, with a warning. Accepted so that a datafeed read from Elasticsearch can be pasted.
    type: raw
notes:
  - Requires the C(manage_ml) cluster privilege, and C(read) on the indices for the user who creates the datafeed.
seealso:
  - module: mlops.elasticsearch.ml_anomaly_job
  - module: mlops.elasticsearch.ml_datafeed_info
"""

EXAMPLES = r"""
- name: Feed a job from the logs, starting it (and opening the job if needed)
  mlops.elasticsearch.ml_datafeed:
    job_id: web-latency
    state: started
    open_job: true
    indices: ["logs-web-*"]
    query:
      bool:
        filter:
          - term: {event.dataset: nginx.access}
    frequency: 150s

- name: Change the query of a running datafeed (stopped, updated and started again)
  mlops.elasticsearch.ml_datafeed:
    job_id: web-latency
    indices: ["logs-web-*"]
    query: {match_all: {}}

- name: Replay one day of history and stop
  mlops.elasticsearch.ml_datafeed:
    job_id: web-latency
    state: started
    start: "2026-11-01T00:00:00Z"
    end: "2026-11-02T00:00:00Z"

- name: Stop it
  mlops.elasticsearch.ml_datafeed:
    job_id: web-latency
    state: stopped

- name: Delete it
  mlops.elasticsearch.ml_datafeed:
    datafeed_id: datafeed-web-latency
    state: absent
"""

RETURN = r"""
preflight:
  description:
    - What the preflight checked, and what it found (V(ok), V(warning), V(refused), V(skipped)), in order.
    - Also in the failure when a check refused the change.
  returned: when something was checked
  type: list
  elements: dict
  sample: [{subject: "job [web-latency]", check: validate, found: ok},
           {subject: "datafeed [datafeed-web-latency]", check: preview, found: warning, detail: no rows in the last 1d}]
datafeed:
  description: The datafeed as Elasticsearch has it after the run (in check mode, as it is now).
  returned: when the datafeed exists
  type: dict
  sample:
    datafeed_id: datafeed-web-latency
    job_id: web-latency
    query_delay: 93169ms
    chunking_config: {mode: auto}
    indices: ["logs-web-*"]
    query: {match_all: {}}
    scroll_size: 1000
    delayed_data_check_config: {enabled: true}
state:
  description: The datafeed's run state after the run (in check mode, the predicted one).
  returned: when known
  type: str
  sample: started
actions:
  description: The API calls made, in order, or in check mode the ones that would be made.
  returned: always
  type: list
  elements: dict
  sample:
    - {action: stop_datafeed, method: POST, path: _ml/datafeeds/datafeed-web-latency/_stop}
    - {action: update_datafeed, method: POST, path: _ml/datafeeds/datafeed-web-latency/_update,
       body: {query: {match_all: {}}}}
    - {action: start_datafeed, method: POST, path: _ml/datafeeds/datafeed-web-latency/_start,
       note: resumes from where it stopped}
changes:
  description: The settings that differed, each with its C(path), C(current) and C(desired) normalised value.
  returned: always
  type: list
  elements: dict
  sample:
    - {path: query, current: {match_all: {boost: 1.0}}, desired: {term: {host: a}}}
notes:
  description: Why a requested start was not needed (a bounded datafeed that has already run).
  returned: when there is something to say
  type: list
  elements: str
  sample: ["the bounded datafeed has already run (to end 2026-11-02T00:00:00Z); set restart=true to run it again"]
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import elasticsearch_module, run_planner
from ansible_collections.mlops.elasticsearch.plugins.module_utils._datafeed import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import datafeed_spec


def argument_spec():
    return datafeed_spec()


def main():
    module = elasticsearch_module(argument_spec(), required_one_of=[("datafeed_id", "job_id")])
    result = run_planner(module, run)
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
