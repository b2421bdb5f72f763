#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_anomaly_job_info
short_description: Read Elasticsearch anomaly-detection jobs, their run state and health, for audits
version_added: 0.1.0
description:
  - Returns the configuration of the jobs O(job_id) names and, with O(include_stats), each job's run state, node,
    data counts, model size statistics (with C(memory_status)) and its datafeed's state.
  - With O(exclude_generated=true) each RV(jobs[].config) is a body that M(mlops.elasticsearch.ml_anomaly_job)
    accepts as it is, and finds unchanged.
  - Three requests whatever the number of jobs.
  - With a Kibana connection (O(kibana_url) or O(kibana_cloud_id), or E(KIBANA_URL)), each job also has
    RV(jobs[].kibana_spaces), the Kibana spaces that show it, at the cost of one more request, to Kibana's internal
    C(/internal/ml/saved_objects/jobs_spaces) route (Kibana has no public one that reads them).
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.kibana
  - mlops.elasticsearch.attributes
  - mlops.elasticsearch.attributes.info_module
options:
  job_id:
    description:
      - Job ids, group names or wildcard expressions, as one string (comma-separated) or a list. All jobs when
        omitted.
    type: list
    elements: str
  allow_no_match:
    description: Whether an expression that matches no job is fine (an exact id that does not exist always fails).
    type: bool
    default: true
  include_stats:
    description: Also return each job's run state, node, counts and model size statistics, and its datafeed's state.
    type: bool
    default: true
  exclude_generated:
    description: Leave out what Elasticsearch generates, so that each config can be declared again as it is.
    type: bool
    default: false
seealso:
  - module: mlops.elasticsearch.ml_anomaly_job
  - module: mlops.elasticsearch.ml_datafeed_info
"""

EXAMPLES = r"""
- name: Read the web jobs
  mlops.elasticsearch.ml_anomaly_job_info:
    job_id: ["web-*"]
  register: web

- name: Fail a CI audit when a job is not open, has hit its memory limit, or has stopped its datafeed
  ansible.builtin.assert:
    that:
      - item.stats.state == 'opened'
      - item.stats.model_size_stats.memory_status != 'hard_limit'
      - item.datafeed is not defined or item.datafeed.state == 'started'
    fail_msg: >-
      job {{ item.job_id }} is {{ item.stats.state }}, memory {{ item.stats.model_size_stats.memory_status }},
      datafeed {{ item.datafeed.state | default('none') }}
    quiet: true
  loop: "{{ web.jobs }}"
  loop_control:
    label: "{{ item.job_id }}"

- name: Fail the audit when a job drifts from its declared config (check mode changes nothing)
  mlops.elasticsearch.ml_anomaly_job:
    job_id: "{{ item.job_id }}"
    analysis_config: "{{ item.analysis_config }}"
    analysis_limits: "{{ item.analysis_limits | default(omit) }}"
  check_mode: true
  diff: true
  register: drift
  failed_when: drift is changed
  loop: "{{ declared_jobs }}"
  loop_control:
    label: "{{ item.job_id }}"

- name: Export every job as declarable config (for example to adopt jobs made in Kibana)
  mlops.elasticsearch.ml_anomaly_job_info:
    exclude_generated: true
    include_stats: false
  register: export

- name: Declare them again; nothing changes
  mlops.elasticsearch.ml_anomaly_job:
  args: "{{ item.config }}"
  loop: "{{ export.jobs }}"
  loop_control:
    label: "{{ item.job_id }}"
"""

RETURN = r"""
jobs:
  description: The jobs, sorted by id.
  returned: always
  type: list
  elements: dict
  contains:
    job_id:
      description: The job's id.
      type: str
      sample: web-latency
    config:
      description: The job as C(GET _ml/anomaly_detectors) returns it.
      type: dict
      sample: {job_id: web-latency, analysis_config: {bucket_span: 15m, detectors: [{function: count}]}}
    stats:
      description: Run state, node, C(data_counts), C(model_size_stats) and timing, as the job stats API returns them.
      returned: with O(include_stats)
      type: dict
      sample: {state: opened, model_size_stats: {memory_status: ok, model_bytes: 100000}}
    datafeed:
      description: The job's datafeed, C(datafeed_id) and C(state).
      returned: with O(include_stats), for jobs that have a datafeed
      type: dict
      sample: {datafeed_id: datafeed-web-latency, state: started}
    kibana_spaces:
      description:
        - The Kibana spaces that show the job, sorted; V(*) means every space. V(null) when Kibana has no saved
          object for the job yet (it makes one at its next sync; M(mlops.elasticsearch.ml_saved_objects_sync) runs
          that sync now).
      returned: with a Kibana connection
      type: list
      elements: str
      sample: [security]
count:
  description: How many jobs matched.
  returned: always
  type: int
  sample: 3
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import (
    elasticsearch_module, run_with_api, run_with_kibana)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import stats_info_spec
from ansible_collections.mlops.elasticsearch.plugins.module_utils._info import jobs_info, with_kibana_spaces
from ansible_collections.mlops.elasticsearch.plugins.module_utils._kibana import kibana_given


def main():
    module = elasticsearch_module(stats_info_spec("job_id"), kibana=True)
    result = run_with_api(module, lambda api: jobs_info(api, module.params))
    if not result.get("failed") and kibana_given(module.params):
        result = run_with_kibana(module, lambda kibana: with_kibana_spaces(kibana, result))
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
