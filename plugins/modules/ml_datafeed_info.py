#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_datafeed_info
short_description: Read Elasticsearch datafeeds and their run state
version_added: 0.1.0
description:
  - Returns the configuration of the datafeeds O(datafeed_id) names and, with O(include_stats), each one's state,
    node, running state and timing statistics.
  - With O(exclude_generated=true) each RV(datafeeds[].config) is a body that M(mlops.elasticsearch.ml_datafeed)
    accepts as it is, and finds unchanged.
  - Two requests whatever the number of datafeeds.
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.attributes
  - mlops.elasticsearch.attributes.info_module
options:
  datafeed_id:
    description: Datafeed ids or wildcard expressions, as one string (comma-separated) or a list. All when omitted.
    type: list
    elements: str
  allow_no_match:
    description: Whether an expression that matches no datafeed is fine (an exact id that does not exist fails).
    type: bool
    default: true
  include_stats:
    description: Also return each datafeed's state, node, running state and timing statistics.
    type: bool
    default: true
  exclude_generated:
    description: Leave out what Elasticsearch generates, so that each config can be declared again as it is.
    type: bool
    default: false
seealso:
  - module: mlops.elasticsearch.ml_datafeed
  - module: mlops.elasticsearch.ml_anomaly_job_info
"""

EXAMPLES = r"""
- name: Read every datafeed
  mlops.elasticsearch.ml_datafeed_info:
  register: feeds

- name: Fail when a real-time datafeed is not running
  ansible.builtin.assert:
    that: item.stats.state == 'started'
    fail_msg: "datafeed {{ item.datafeed_id }} of job {{ item.job_id }} is {{ item.stats.state }}"
    quiet: true
  loop: "{{ feeds.datafeeds }}"
  loop_control:
    label: "{{ item.datafeed_id }}"
"""

RETURN = r"""
datafeeds:
  description: The datafeeds, sorted by id.
  returned: always
  type: list
  elements: dict
  contains:
    datafeed_id:
      description: The datafeed's id.
      type: str
      sample: datafeed-web-latency
    job_id:
      description: The job it feeds.
      type: str
      sample: web-latency
    config:
      description: The datafeed as C(GET _ml/datafeeds) returns it.
      type: dict
      sample: {datafeed_id: datafeed-web-latency, job_id: web-latency, indices: ["logs-web-*"]}
    stats:
      description: State, node, running state and timing, as the datafeed stats API returns them.
      returned: with O(include_stats)
      type: dict
      sample: {state: started, running_state: {real_time_configured: true, real_time_running: true}}
count:
  description: How many datafeeds matched.
  returned: always
  type: int
  sample: 3
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import elasticsearch_module, run_with_api
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import stats_info_spec
from ansible_collections.mlops.elasticsearch.plugins.module_utils._info import datafeeds_info


def main():
    module = elasticsearch_module(stats_info_spec("datafeed_id"))
    result = run_with_api(module, lambda api: datafeeds_info(api, module.params))
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
