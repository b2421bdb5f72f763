#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_model_snapshot
short_description: Keep, revert to, upgrade and delete an anomaly detection job's model snapshots
version_added: 0.2.0
description:
  - A job's model snapshots are the saved state of its model, taken when the job closes after new data and in the
    background while it runs. This module manages them over the job's life.
  - V(present) sets a snapshot's O(description) and O(retain) (a retained snapshot is never deleted by
    Elasticsearch's snapshot retention).
  - V(reverted) makes the snapshot the job's model, for example after a window of bad data. Elasticsearch reverts
    only a closed job, so a running job is closed (which stops its datafeed), reverted, then reopened and its datafeed
    restarted; with O(restart=false) they are left closed and stopped. A job already at the snapshot is left alone.
  - V(upgraded) upgrades snapshots whose C(min_version) is older than O(min_version) to the cluster's model format,
    as the Upgrade Assistant asks before a major upgrade. Without a selector, every such snapshot of the job is
    upgraded, one after another.
  - V(absent) deletes the snapshot O(snapshot_id), or with O(keep_newest) every snapshot but the newest ones. The
    job's active snapshot and retained snapshots are never deleted.
  - A snapshot is named by O(snapshot_id), or chosen by O(latest_before) or O(matching_description).
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.attributes
attributes:
  check_mode:
    support: full
    details: Reads the job and its snapshots and returns the plan in RV(actions) without sending any write request.
  diff_mode:
    support: full
    details: The snapshot's description and retain, the job's active snapshot, the snapshots kept, or those below
      O(min_version), before and after.
options:
  job_id:
    description: The job whose snapshots these are.
    type: str
    required: true
  state:
    description: What to make true of the snapshot; see the description.
    type: str
    choices: [present, reverted, upgraded, absent]
    default: present
  snapshot_id:
    description: The snapshot's id (the epoch seconds Elasticsearch gave it).
    type: str
  latest_before:
    description:
      - Chooses the newest snapshot whose model had seen no data from this time on, the model as it was before,
        say, an outage. Its C(latest_record_time_stamp) (or, when it has none, the time it was taken) is earlier.
      - ISO 8601, epoch milliseconds, or V(now) for the newest snapshot.
      - Not with O(state=absent), which would delete another snapshot on every run.
    type: str
  matching_description:
    description:
      - Chooses the newest snapshot whose description is exactly this (one you set with O(description)).
      - Not with O(state=absent).
    type: str
  keep_newest:
    description:
      - With O(state=absent), deletes every snapshot that is not retained except the newest O(keep_newest) of them.
        The active snapshot is never deleted.
    type: int
  description:
    description: With O(state=present), the snapshot's description.
    type: str
  retain:
    description: With O(state=present), whether Elasticsearch's snapshot retention keeps the snapshot forever.
    type: bool
  delete_intervening_results:
    description:
      - With O(state=reverted), delete the job's results after the snapshot's time, so that its datafeed, restarted,
        reads that time again (and a calendar event covering it makes the model skip it).
    type: bool
    default: false
  restart:
    description:
      - With O(state=reverted), reopen the job and restart its datafeed when they were running before the revert.
    type: bool
    default: true
  min_version:
    description:
      - With O(state=upgraded), snapshots whose C(min_version) is older than this are upgraded.
      - By default the major before the cluster's (V(8.0.0) on a 9.x cluster), the floor the Upgrade Assistant
        checks. Before moving to the next major, set the cluster's own major (V(9.0.0) on 9.x).
    type: str
  wait_for_completion:
    description:
      - With O(state=upgraded), wait for each upgrade to end. With V(false), one upgrade is started (Elasticsearch
        runs one per job at a time) and the others are left to the next runs.
    type: bool
    default: true
  timeout:
    description: How long to wait for a close, an open or an upgrade.
    type: str
    default: 30m
notes:
  - Elasticsearch refuses every change to snapshots while machine learning is in upgrade mode; see
    M(mlops.elasticsearch.ml_upgrade_mode) and the O(upgrade_mode_wait) option.
seealso:
  - module: mlops.elasticsearch.ml_model_snapshot_info
  - module: mlops.elasticsearch.ml_upgrade_mode
  - module: mlops.elasticsearch.ml_anomaly_job
"""

EXAMPLES = r"""
- name: Keep the model from before the outage
  mlops.elasticsearch.ml_model_snapshot:
    job_id: web-latency
    latest_before: "2026-11-28T00:00:00Z"
    description: known good, before the 2026-11-28 outage
    retain: true

- name: Revert to it and replay the days since (the datafeed restarts from the snapshot)
  mlops.elasticsearch.ml_model_snapshot:
    job_id: web-latency
    state: reverted
    matching_description: known good, before the 2026-11-28 outage
    delete_intervening_results: true

- name: Before a major upgrade, upgrade the job's old snapshots
  mlops.elasticsearch.ml_model_snapshot:
    job_id: web-latency
    state: upgraded

- name: Keep the newest three snapshots
  mlops.elasticsearch.ml_model_snapshot:
    job_id: web-latency
    state: absent
    keep_newest: 3
"""

RETURN = r"""
job_id:
  description: The job.
  returned: always
  type: str
  sample: web-latency
snapshot:
  description: The snapshot chosen, as Elasticsearch has it after the run (in check mode, as it is now).
  returned: with O(state=present) and O(state=reverted)
  type: dict
  sample: {snapshot_id: "1764288000", description: known good, retain: true, min_version: 8.3.0}
active_snapshot_id:
  description: The job's active snapshot after the run (in check mode, as it is now).
  returned: always
  type: str
  sample: "1764288000"
deleted:
  description: The snapshots deleted (in check mode, those that would be).
  returned: with O(state=absent)
  type: list
  elements: str
upgraded:
  description: The snapshots upgraded, or whose upgrade was started (in check mode, those that would be).
  returned: with O(state=upgraded)
  type: list
  elements: str
min_version:
  description: The version below which snapshots were upgraded.
  returned: with O(state=upgraded)
  type: str
  sample: 8.0.0
actions:
  description: The API calls made, in order, or in check mode the ones that would be made.
  returned: always
  type: list
  elements: dict
  sample: [{action: close_job, method: POST, path: _ml/anomaly_detectors/web-latency/_close},
           {action: revert_model_snapshot, method: POST,
            path: _ml/anomaly_detectors/web-latency/model_snapshots/1764288000/_revert}]
changes:
  description: What differed, with the C(current) and C(desired) values.
  returned: always
  type: list
  elements: dict
notes:
  description: What the run left for later, or chose not to do.
  returned: when there is something to say
  type: list
  elements: str
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._model_snapshot import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import elasticsearch_module, run_planner
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import model_snapshot_spec


def main():
    module = elasticsearch_module(model_snapshot_spec())
    result = run_planner(module, run)
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
