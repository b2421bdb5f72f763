#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_filter_info
short_description: Read Elasticsearch machine learning filters
version_added: 0.1.0
description:
  - Returns the filters O(filter_id) names (ids, wildcards or a list; all when omitted), in one request.
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.connection
  - mlops.elasticsearch.attributes
  - mlops.elasticsearch.attributes.info_module
options:
  filter_id:
    description: Ids or wildcard expressions, as one string (comma-separated) or a list. All when omitted.
    type: list
    elements: str
seealso:
  - module: mlops.elasticsearch.ml_filter
"""

EXAMPLES = r"""
- name: Read every filter
  mlops.elasticsearch.ml_filter_info:
  register: found
"""

RETURN = r"""
filters:
  description: The filters as Elasticsearch returns them, sorted by id.
  returned: always
  type: list
  elements: dict
  sample: []
count:
  description: How many matched.
  returned: always
  type: int
  sample: 1
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._info import filters_info
from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import elasticsearch_module, run_with_api
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import info_spec


def main():
    module = elasticsearch_module(info_spec("filter_id"))
    result = run_with_api(module, lambda api: filters_info(api, module.params))
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
