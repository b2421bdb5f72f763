#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_model_snapshot_info
short_description: Read an anomaly detection job's model snapshots, which one is active, and their upgrades
version_added: 0.2.0
description:
  - Returns a job's model snapshots, each marked C(active) (the job's current model) and C(needs_upgrade) (its
    C(min_version) is older than O(min_version)), with the snapshot upgrades running for the job.
  - Sends four read requests whatever the number of snapshots.
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.attributes
  - mlops.elasticsearch.attributes.info_module
options:
  job_id:
    description: The job.
    type: str
    required: true
  snapshot_id:
    description: A snapshot id, a comma-separated list or a wildcard expression. All when omitted.
    type: str
  start:
    description: Only snapshots taken at or after this time (ISO 8601, epoch milliseconds or V(now)).
    type: str
  end:
    description: Only snapshots taken before this time.
    type: str
  sort:
    description: The snapshot field to sort by.
    type: str
    default: timestamp
  desc:
    description: Sort newest (or largest) first.
    type: bool
    default: false
  from:
    description: Skip this many snapshots (in the order of O(sort)), for paging.
    type: int
    default: 0
  size:
    description: Return at most this many snapshots; all of them (up to 10,000) when not set. RV(count) is the number
      that matched, before paging.
    type: int
  min_version:
    description:
      - Snapshots whose C(min_version) is older than this are marked C(needs_upgrade). By default the major before
        the cluster's, the floor the Upgrade Assistant checks.
    type: str
seealso:
  - module: mlops.elasticsearch.ml_model_snapshot
"""

EXAMPLES = r"""
- name: Which snapshots would block the next major upgrade
  mlops.elasticsearch.ml_model_snapshot_info:
    job_id: web-latency
    min_version: "9.0.0"
  register: found

- name: Say so
  ansible.builtin.debug:
    msg: "{{ found.snapshots | selectattr('needs_upgrade') | map(attribute='snapshot_id') | list }}"
"""

RETURN = r"""
job_exists:
  description: Whether the job exists (when it does not, nothing else is read).
  returned: always
  type: bool
snapshots:
  description: The snapshots as Elasticsearch returns them, each with C(active) and C(needs_upgrade) added.
  returned: always
  type: list
  elements: dict
  sample: [{snapshot_id: "1764288000", min_version: 8.3.0, retain: false, active: true, needs_upgrade: false}]
count:
  description: How many snapshots matched (before O(from) and O(size)).
  returned: always
  type: int
active_snapshot_id:
  description: The job's active snapshot, or null when it has none.
  returned: always
  type: str
min_version:
  description: The floor C(needs_upgrade) compares with.
  returned: when the job exists
  type: str
  sample: 8.0.0
upgrades:
  description: The snapshot upgrades running for the job, as C(_upgrade/_stats) reports them.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._info import snapshots_info
from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import elasticsearch_module, run_with_api
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import model_snapshot_info_spec


def main():
    module = elasticsearch_module(model_snapshot_info_spec())
    result = run_with_api(module, lambda api: snapshots_info(api, module.params))
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
