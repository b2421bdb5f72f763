#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_anomaly_jobs
short_description: Converge a declared set of anomaly-detection jobs and their datafeeds in one run
version_added: 0.1.0
description:
  - >-
    Converges every job of O(jobs), and its datafeed, as M(mlops.elasticsearch.ml_anomaly_job) and
    M(mlops.elasticsearch.ml_datafeed) would (the same planning, job by job), but reads the cluster once
    (all jobs, their stats, all datafeeds and their stats; four requests) instead of once per job, in one
    module process. This is what the role C(mlops.elasticsearch.anomaly_detection) runs.
  - A no-op converge costs those four requests whatever the number of jobs; each change costs its writes.
  - With O(managed_group), jobs of that group that O(jobs) does not declare are removed, datafeeds first.
  - A job that fails does not stop the others; the task fails at the end with a summary (counts, failures grouped
    by their reason, the first ones in full) and RV(failed_jobs).
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.preflight
  - mlops.elasticsearch.attributes
attributes:
  check_mode:
    support: full
    details: Reads the cluster and returns each job's plan in RV(results) without sending any write request.
  diff_mode:
    support: full
    details: Before and after of each changed job (and its datafeed), keyed by job id.
options:
  jobs:
    description:
      - The jobs. Each takes C(job_id), C(state) (V(opened) by default, or V(present), V(closed), V(absent)),
        C(config) (the job's body, required unless C(state) is V(absent)), C(recreate), C(force), C(keep_snapshots)
        (see O(keep_snapshots)), C(calendars) (calendars the job belongs to, as a Kibana export lists them; checked to
        exist, see O(skip_missing_dependencies)), C(kibana_spaces) (accepted and not used here, the role
        P(mlops.elasticsearch.anomaly_detection#role) passes it to M(mlops.elasticsearch.ml_job_spaces)), and an optional
        C(datafeed) with C(config), C(datafeed_id), C(state) (V(started) when the job is opened, else V(stopped)),
        C(start) and C(end). See M(mlops.elasticsearch.ml_anomaly_job) and M(mlops.elasticsearch.ml_datafeed).
      - Each entry is checked and converted as those modules' options are, before any request. C(recreate) of
        V(false) given as a string (as every extra var is) is false, a misspelt key is refused with its path, and
        C(indexes) and C(aggs) are the aliases Elasticsearch has.
      - A job's C(config.datafeed_config) (as Elasticsearch returns it) declares its datafeed, like C(datafeed);
        its id defaults to the job's, as Elasticsearch defaults it.
      - V(reset) is not a state here, since it empties the job each time it runs. Use
        M(mlops.elasticsearch.ml_anomaly_job) to reset a job.
    type: list
    elements: dict
    required: true
  managed_group:
    description: A job group owned by this declaration; its jobs that O(jobs) does not declare are removed.
    type: str
  prune_force:
    description: Force the removal of failed jobs when pruning.
    type: bool
    default: false
  declared_filters:
    description:
      - Filters the caller creates in the same run (the role's C(anomaly_detection_filters)), which count as present
        for the dependency check even in check mode, when they do not exist yet.
    type: list
    elements: str
    default: []
  declared_calendars:
    description: Calendars the caller creates in the same run, likewise (the role converges calendars after jobs).
    type: list
    elements: str
    default: []
  skip_missing_dependencies:
    description:
      - Before any write, every filter a job's custom rules name (C(scope.<field>.filter_id)) and every calendar in
        its C(calendars) must be declared (O(declared_filters), O(declared_calendars)) or exist on the cluster. A job
        missing one fails the task, naming the job and what it lacks.
      - With V(true), such jobs are left out instead (as Kibana's job import leaves them out), with a warning and
        in RV(skipped). They still count as declared, so O(managed_group) never removes them.
    type: bool
    default: false
  declared_job_ids:
    description:
      - Jobs the caller declares but converges in another call (the role's batches). With O(managed_group), they are
        never pruned as undeclared.
    type: list
    elements: str
    default: []
  parallelism:
    description:
      - How many jobs are written at once. Different jobs are independent, so their requests may overlap. Each job's
        own steps (create, open, its datafeed's create and start) stay in order, and results, diffs and the
        preflight report stay in declaration order.
      - A no-op reads the cluster in the same four requests at any value. How much faster new jobs are written at
        each value, against an emulator that answers each write in 50 ms, is measured by C(make bench) (the
        collection's docs/performance.md). V(1) writes one job after another.
    type: int
    default: 16
  return_bodies:
    description:
      - Whether each entry of RV(results) carries the job's body (C(job)) and its datafeed's (C(datafeed.datafeed)),
        and in diff mode its own C(diff).
      - V(false) leaves them out, which makes the result of a converge of thousands of jobs a tenth of the size (the
        bodies are most of it) and the task faster, since Ansible copies and templates a result several times. What
        changed is still in each entry's C(changes) and C(actions), and in diff mode in the task's diff, which has
        every change.
    type: bool
    default: true
  keep_snapshots:
    description:
      - A model snapshot retention policy, off when not set. After a job is converged, its model snapshots that are
        not retained are deleted except the newest O(keep_snapshots) of them; the job's active snapshot and retained
        snapshots are never deleted (M(mlops.elasticsearch.ml_model_snapshot) with C(state=absent) and
        C(keep_newest)). A job's own C(keep_snapshots) wins over this one.
      - Each job with a policy costs two read requests (its job and its snapshots) and one delete per snapshot.
    type: int
seealso:
  - module: mlops.elasticsearch.ml_anomaly_job
  - module: mlops.elasticsearch.ml_datafeed
"""

EXAMPLES = r"""
- name: Converge two jobs and their datafeeds, and own the observability group
  mlops.elasticsearch.ml_anomaly_jobs:
    managed_group: observability
    jobs:
      - job_id: web-latency
        config:
          groups: [observability]
          analysis_config:
            bucket_span: 15m
            detectors: [{function: high_mean, field_name: response_ms, partition_field_name: service}]
          data_description: {time_field: "@timestamp"}
        datafeed:
          config: {indices: ["logs-web-*"]}
      - job_id: old-job
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
results:
  description:
    - One entry per declared job, as M(mlops.elasticsearch.ml_anomaly_job) returns it (C(changed), C(actions),
      C(changes), C(state), C(job), C(diff)), with its datafeed's result under C(datafeed) and, with a snapshot
      retention policy, what it deleted under C(snapshots); C(failed) and C(msg)
      for a job that could not be converged. When the task fails, C(job) (the job's body) is left out of every
      entry, so that the failure Ansible prints stays readable.
  returned: always
  type: list
  elements: dict
  sample:
    - job_id: web-latency
      changed: false
      actions: []
      state: opened
      datafeed: {changed: false, actions: [], state: started}
failed_jobs:
  description: The ids of the jobs that could not be converged.
  returned: when a job failed
  type: list
  elements: str
  sample: [web-latency]
skipped:
  description: The jobs left out for a missing filter or calendar (O(skip_missing_dependencies)), with what they lack.
  returned: when a job was left out
  type: list
  elements: dict
  sample: [{job_id: payment-errors, missing_filters: [test-merchants], missing_calendars: []}]
pruned:
  description: The jobs removed from O(managed_group), each with its actions.
  returned: always
  type: list
  elements: dict
  sample: [{job_id: old-job, pruned: true, changed: true, actions: [{action: delete_job, method: DELETE,
                                                                      path: _ml/anomaly_detectors/old-job}]}]
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._bulk import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import elasticsearch_module, run_planner
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import anomaly_jobs_spec


def main():
    module = elasticsearch_module(anomaly_jobs_spec())
    result = run_planner(module, run)
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
