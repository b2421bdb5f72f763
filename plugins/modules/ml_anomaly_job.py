#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_anomaly_job
short_description: Manage the whole lifecycle of an Elasticsearch anomaly-detection job
version_added: 0.1.0
description:
  - Creates an anomaly-detection job, updates in place what Elasticsearch can update, and refuses (or with
    O(recreate=true) re-creates) what it cannot; opens, closes, resets and deletes the job, waiting where
    Elasticsearch works asynchronously.
  - Idempotent. The job's options are named as the Elasticsearch API names them, so a job body from the
    documentation, a Kibana export or C(GET _ml/anomaly_detectors/<id>?exclude_generated=true) can be pasted as it
    is. Only what you set is compared, after normalising both sides (durations by value, memory limits in whole
    MiB, function shortcuts, generated descriptions and indexes, the C(custom-) prefix of O(results_index_name),
    groups as a set).
  - A model memory change on an open job closes it (stopping its datafeed), updates it, reopens it and restarts the
    datafeed; the result reports each step.
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.preflight
  - mlops.elasticsearch.attributes
attributes:
  check_mode:
    support: full
    details: Reads the job and returns the plan in RV(actions) without sending any write request.
  diff_mode:
    support: full
    details: The normalised job, with its run state when it was read, before and after.
options:
  job_id:
    description:
      - The job's id.
      - With O(state=closed) also a group name, a wildcard expression, a comma-separated list or V(_all).
    type: str
    required: true
  state:
    description:
      - V(present) creates the job when it is missing and converges its configuration; its run state is left alone.
      - V(opened) also opens it and waits until it is open (a job with O(allow_lazy_open) waiting for a node counts
        as open).
      - V(closed) closes it, which also stops its datafeed.
      - V(reset) closes it if needed and deletes its model state and results; a job that holds none is left alone.
      - V(absent) closes and deletes the job, and with it its datafeed. A missing job is left alone. Configuration
        options given with it are not used (so a task can flip its state).
      - With V(opened), V(closed) and V(reset) the configuration options, when given, are converged first.
    type: str
    choices: [present, absent, opened, closed, reset]
    default: present
  description:
    description: A description of the job.
    type: str
  groups:
    description: The job's groups, compared as a set.
    type: list
    elements: str
  analysis_config:
    description:
      - How the data is analysed (C(bucket_span), C(detectors), C(influencers), C(categorization_field_name), ...),
        as in the create anomaly detection job API.
      - Required to create the job. Only detector descriptions and custom rules, and C(model_prune_window) and
        C(per_partition_categorization.stop_on_warn), can change on an existing job; other changes need
        O(recreate=true).
    type: dict
  analysis_limits:
    description:
      - C(model_memory_limit) (a size such as V(512mb), or a number of MiB) and C(categorization_examples_limit).
      - Changing them on an open job closes, updates and reopens it.
    type: dict
  data_description:
    description: C(time_field) and C(time_format) of the input. Cannot change on an existing job.
    type: dict
  model_plot_config:
    description: C(enabled) (required), C(terms) and C(annotations_enabled).
    type: dict
  custom_settings:
    description: Arbitrary settings stored with the job, replaced as a whole. Kibana's C(created_by) marker is kept.
    type: dict
  results_index_name:
    description: The results index suffix (Elasticsearch prefixes it with C(custom-)). Cannot change later.
    type: str
  results_retention_days:
    description: Days to keep results.
    type: int
  allow_lazy_open:
    description: Whether the job may open while no machine learning node has room for it, waiting for one.
    type: bool
  model_snapshot_retention_days:
    description: Days to keep model snapshots.
    type: int
  daily_model_snapshot_retention_after_days:
    description: Days after which only one model snapshot a day is kept.
    type: int
  renormalization_window_days:
    description: The renormalization window, in days.
    type: int
  background_persist_interval:
    description: How often the model is persisted in the background (a time value of at least V(1h)).
    type: str
  system_annotations_retention_days:
    description: Days to keep system annotations.
    type: int
  recreate:
    description:
      - When a setting that Elasticsearch cannot update differs, delete the job and create it again with the declared
        settings, restoring its datafeed and its open and started state.
      - B(The job's model state and results are lost.) Without it such a difference fails the task, naming every
        differing setting, before any change.
    type: bool
    default: false
  force:
    description:
      - Close or delete a job that has failed, as the API's C(force) parameter.
    type: bool
    default: false
  timeout:
    description:
      - How long Elasticsearch may take to open or close the job, and how long the module waits for a job that is busy
        (being deleted, reset or reverted) or for a state, as an Elasticsearch time value such as V(30m).
      - Elasticsearch's default for open and close is 30 minutes.
    type: str
  wait_for_completion:
    description:
      - Whether deleting or resetting waits until done. With V(false) the result carries the task id in RV(task).
    type: bool
    default: true
  delete_user_annotations:
    description: Whether deleting or resetting also deletes the annotations users added to the job.
    type: bool
    default: false
  allow_no_match:
    description: With O(state=closed) and an expression in O(job_id), whether matching no job is fine.
    type: bool
    default: true
  preflight_cardinality:
    description:
      - Field cardinalities for the preflight's C(_estimate_model_memory), as Elasticsearch takes them, for a closer
        estimate. Without them fields count as one value each.
    type: dict
    suboptions:
      overall_cardinality:
        description: Distinct values of each by, over and partition field over all the data.
        type: dict
      max_bucket_cardinality:
        description: The most distinct values of each influencer in one bucket.
        type: dict
  job_type:
    description: Ignored. Accepted, with the other fields Elasticsearch generates, so that an exported job can be pasted.
    type: raw
  job_version:
    description: Ignored (generated by Elasticsearch).
    type: raw
  create_time:
    description: Ignored (generated by Elasticsearch).
    type: raw
  finished_time:
    description: Ignored (generated by Elasticsearch).
    type: raw
  model_snapshot_id:
    description: Ignored (generated by Elasticsearch).
    type: raw
  model_snapshot_min_version:
    description: Ignored (generated by Elasticsearch).
    type: raw
  deleting:
    description: Ignored (generated by Elasticsearch).
    type: raw
  blocked:
    description: Ignored (generated by Elasticsearch).
    type: raw
  datafeed_config:
    description:
      - The job's datafeed, as the create API and C(GET _ml/anomaly_detectors) carry it (C(indices) or C(indexes),
        C(query), C(aggregations) or C(aggs), ...; the options of M(mlops.elasticsearch.ml_datafeed)).
      - A new job is created with it in one request. On an existing job it is converged as
        M(mlops.elasticsearch.ml_datafeed) with O(state=present) converges it (its run state is left alone).
      - Its id is C(datafeed_id) when given, else that of the datafeed the job has, else the job's id (as Elasticsearch
        defaults it).
      - With O(recreate=true) the datafeed is re-created in the same request as the job, with or without this option.
    type: dict
    version_added: 0.2.0
notes:
  - Requires the C(manage_ml) cluster privilege (the C(machine_learning_admin) role has it).
seealso:
  - name: Create anomaly detection jobs API
    description: The job body the configuration options follow.
    link: https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-ml-put-job
  - name: Update anomaly detection jobs API
    description: What can change on an existing job.
    link: https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-ml-update-job
"""

EXAMPLES = r"""
- name: Declare a job (created when missing, updated in place when it differs)
  mlops.elasticsearch.ml_anomaly_job:
    job_id: web-latency
    description: Response times per service
    groups: [web, latency]
    analysis_config:
      bucket_span: 15m
      detectors:
        - function: high_mean
          field_name: response_ms
          partition_field_name: service
      influencers: [service, host]
    analysis_limits:
      model_memory_limit: 64mb
    data_description:
      time_field: "@timestamp"

- name: The same job, open (created and opened in one task if needed)
  mlops.elasticsearch.ml_anomaly_job:
    job_id: web-latency
    state: opened
    analysis_config:
      bucket_span: 15m
      detectors:
        - function: high_mean
          field_name: response_ms
          partition_field_name: service
      influencers: [service, host]
    data_description:
      time_field: "@timestamp"

- name: Raise the model memory of an open job (closes, updates, reopens and restarts its datafeed)
  mlops.elasticsearch.ml_anomaly_job:
    job_id: web-latency
    analysis_config: "{{ web_latency.analysis_config }}"
    analysis_limits:
      model_memory_limit: 128mb

- name: Close every job of a group for a maintenance window
  mlops.elasticsearch.ml_anomaly_job:
    job_id: web
    state: closed

- name: Start over without history
  mlops.elasticsearch.ml_anomaly_job:
    job_id: web-latency
    state: reset

- name: Change the bucket span, which needs a new job (its results are lost)
  mlops.elasticsearch.ml_anomaly_job:
    job_id: web-latency
    recreate: true
    analysis_config:
      bucket_span: 30m
      detectors:
        - function: high_mean
          field_name: response_ms
          partition_field_name: service

- name: Delete a job, and with it its datafeed, without waiting
  mlops.elasticsearch.ml_anomaly_job:
    job_id: web-latency
    state: absent
    wait_for_completion: false
  register: deletion

- name: Adopt a job made in Kibana as it is (no change on the first run)
  mlops.elasticsearch.ml_anomaly_job: "{{ exported_job | combine({'state': 'opened'}) }}"

- name: Audit in check mode with diff, against a cluster given once for the whole collection
  module_defaults:
    group/mlops.elasticsearch.elasticsearch:
      hosts: ["https://es.example.com:9200"]
      api_key: "{{ vault_es_api_key }}"
  check_mode: true
  diff: true
  mlops.elasticsearch.ml_anomaly_job:
    job_id: web-latency
    state: opened
    analysis_config: "{{ web_latency.analysis_config }}"
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
job:
  description:
    - The job as Elasticsearch has it after the run (in check mode, as it is now). Absent when the job is.
  returned: when the job exists and was read, except with O(state=closed) and no configuration options
  type: dict
  sample:
    job_id: web-latency
    job_type: anomaly_detector
    groups: [latency, web]
    analysis_config:
      bucket_span: 15m
      detectors:
        - detector_description: high_mean(response_ms) partitionfield=service
          function: high_mean
          field_name: response_ms
          partition_field_name: service
          detector_index: 0
      influencers: [service, host]
      model_prune_window: 30d
    analysis_limits:
      model_memory_limit: 64mb
      categorization_examples_limit: 4
    data_description:
      time_field: "@timestamp"
      time_format: epoch_ms
    results_index_name: shared
    allow_lazy_open: false
state:
  description:
    - The job's run state after the run (in check mode, the predicted one), V(opening) for a lazy job waiting
      for a node.
    - Not returned by O(state=present) when nothing required reading the run state.
  returned: when known
  type: str
  sample: opened
actions:
  description:
    - The API calls made, in order, or in check mode the ones that would be made. Each names the action, its HTTP
      method, path, query parameters and body, and in C(note) what Elasticsearch does along with it.
  returned: always
  type: list
  elements: dict
  sample:
    - action: close_job
      method: POST
      path: _ml/anomaly_detectors/web-latency/_close
      note: also stops datafeed [datafeed-web-latency]
    - action: update_job
      method: POST
      path: _ml/anomaly_detectors/web-latency/_update
      body: {analysis_limits: {model_memory_limit: 128mb}}
    - action: open_job
      method: POST
      path: _ml/anomaly_detectors/web-latency/_open
    - action: start_datafeed
      method: POST
      path: _ml/datafeeds/datafeed-web-latency/_start
      note: resumes from where it stopped
changes:
  description: The settings that differed, each with its C(path), C(current) and C(desired) normalised value.
  returned: always
  type: list
  elements: dict
  sample:
    - path: analysis_limits.model_memory_limit
      current: 64mb
      desired: 128mb
task:
  description: The id of the delete or reset task, with O(wait_for_completion=false).
  returned: when a task runs asynchronously
  type: str
  sample: oTUltX4IQMOUUVeiohTt8A:39
jobs:
  description:
    - With O(state=closed) and no configuration options, the ids of the jobs O(job_id) matched (one job, a group,
      a wildcard or a list); RV(job) is then not returned, and the diff shows each job's run state.
  returned: with O(state=closed) and no configuration options
  type: list
  elements: str
  sample: [web-errors, web-latency]
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import elasticsearch_module, run_planner
from ansible_collections.mlops.elasticsearch.plugins.module_utils._anomaly_job import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import anomaly_job_spec


def argument_spec():
    return anomaly_job_spec()


def main():
    module = elasticsearch_module(argument_spec())
    result = run_planner(module, run)
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
