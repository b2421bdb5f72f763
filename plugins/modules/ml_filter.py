#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_filter
short_description: Manage an Elasticsearch machine learning filter, the list a detector rule's scope points at
version_added: 0.1.0
description:
  - Creates, updates and deletes a filter. Its O(items) are a set; only the difference is sent, with the update
    API's C(add_items) and C(remove_items), so open jobs whose rules use the filter get only that change.
  - O(description) changes through the update API. The API cannot remove a description (it treats no value as
    "unchanged"); set it to an empty string instead.
  - Deleting a filter that a job's custom rule uses fails with Elasticsearch's message naming those jobs. Removing
    the rules is a change of the jobs' configuration, made with M(mlops.elasticsearch.ml_anomaly_job) (update the
    detectors' C(custom_rules)), not by this module; do that first.
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.attributes
attributes:
  check_mode:
    support: full
    details: Reads the filter and returns the plan in RV(actions) without sending any write request.
  diff_mode:
    support: full
    details: The filter's description and sorted items, before and after.
options:
  filter_id:
    description: The filter's id (lowercase letters, digits, hyphens, underscores, dots).
    type: str
    required: true
  state:
    description: V(present) creates or updates the filter; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: A description of the filter. Left as it is when not given.
    type: str
  items:
    description:
      - The items, compared as a set (Elasticsearch sorts them and drops duplicates); at most 10,000.
      - A C(*) at the start or end of an item is a wildcard. Left as they are when not given.
    type: list
    elements: str
seealso:
  - module: mlops.elasticsearch.ml_anomaly_job
"""

EXAMPLES = r"""
- name: Domains whose anomalies do not matter
  mlops.elasticsearch.ml_filter:
    filter_id: safe_domains
    description: Internal and well-known domains
    items: ["*.example.com", "wikipedia.org"]

- name: A job whose rule skips results for those domains
  mlops.elasticsearch.ml_anomaly_job:
    job_id: dns-exfiltration
    analysis_config:
      bucket_span: 15m
      detectors:
        - function: high_info_content
          field_name: subdomain
          over_field_name: highest_registered_domain
          custom_rules:
            - actions: [skip_result]
              scope:
                highest_registered_domain: {filter_id: safe_domains}

- name: Delete the filter once no job uses it
  mlops.elasticsearch.ml_filter:
    filter_id: safe_domains
    state: absent
"""

RETURN = r"""
filter:
  description: The filter as Elasticsearch has it after the run (in check mode, as it is now).
  returned: when it exists
  type: dict
  sample: {filter_id: safe_domains, description: Internal and well-known domains, items: ["*.example.com", wikipedia.org]}
actions:
  description: The API calls made, in order, or in check mode the ones that would be made.
  returned: always
  type: list
  elements: dict
  sample: [{action: update_filter, method: POST, path: _ml/filters/safe_domains/_update,
            body: {add_items: [github.com], remove_items: [wikipedia.org]}}]
changes:
  description: What differed (C(description), C(items)), with the C(current) and C(desired) values.
  returned: always
  type: list
  elements: dict
  sample: [{path: items, current: ["*.example.com", wikipedia.org], desired: ["*.example.com", github.com]}]
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._filter import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import elasticsearch_module, run_planner
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import filter_spec


def main():
    module = elasticsearch_module(filter_spec())
    result = run_planner(module, run)
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
