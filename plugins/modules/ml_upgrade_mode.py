#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_upgrade_mode
short_description: Turn Elasticsearch machine learning's upgrade mode on or off
version_added: 0.2.0
description:
  - Upgrade mode is for a cluster upgrade or a snapshot restore of the ML indices. While it is on, every anomaly
    detection job and datafeed keeps its state (opened, started) but runs nowhere, and Elasticsearch refuses the
    calls that change ML state (creating, opening, closing, updating jobs and datafeeds, calendars, filters and
    snapshots) with HTTP 429. Turning it off gives them their nodes back.
  - The module is idempotent. The current value is read from C(_ml/info) and only a different one is set.
  - The other modules of the collection, finding upgrade mode on, fail with a message that says so, or wait up to
    O(upgrade_mode_wait) seconds for it to end.
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.attributes
attributes:
  check_mode:
    support: full
    details: Reads C(_ml/info) and returns what would be set, without sending it.
  diff_mode:
    support: full
    details: C(upgrade_mode) before and after.
options:
  enabled:
    description: Whether upgrade mode is on.
    type: bool
    required: true
  timeout:
    description: How long Elasticsearch waits for the jobs and datafeeds to be unassigned (or reassigned).
    type: str
    default: 30s
seealso:
  - module: mlops.elasticsearch.ml_model_snapshot
"""

EXAMPLES = r"""
- name: Quiet machine learning before the rolling restart
  mlops.elasticsearch.ml_upgrade_mode:
    enabled: true

- name: Back to normal once every node runs the new version
  mlops.elasticsearch.ml_upgrade_mode:
    enabled: false
"""

RETURN = r"""
upgrade_mode:
  description: Whether upgrade mode is on after the run (in check mode, as it is now).
  returned: always
  type: bool
  sample: false
actions:
  description: The API call made, or in check mode the one that would be made.
  returned: always
  type: list
  elements: dict
  sample: [{action: set_upgrade_mode, method: POST, path: _ml/set_upgrade_mode, params: {enabled: true, timeout: 30s}}]
changes:
  description: What differed.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import elasticsearch_module, run_planner
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import upgrade_mode_spec
from ansible_collections.mlops.elasticsearch.plugins.module_utils._upgrade_mode import run


def main():
    module = elasticsearch_module(upgrade_mode_spec())
    result = run_planner(module, run)
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
