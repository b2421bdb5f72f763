# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters turning Kibana's job formats into the anomaly_detection role's job list (documented in
from_kibana_module.yml and from_kibana_export.yml beside this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.elasticsearch.plugins.module_utils._kibana_formats import (
    FormatError, from_export, from_module)


def from_kibana_module(module, index_pattern=None, prefix="", query=None, groups=None, job_overrides=None,
                       datafeed_overrides=None, data_view_id=None, dedicated_index=False, state=None):
    try:
        return from_module(module, index_pattern=index_pattern, prefix=prefix, query=query, groups=groups,
                           job_overrides=job_overrides, datafeed_overrides=datafeed_overrides,
                           data_view_id=data_view_id, dedicated_index=dedicated_index, state=state)
    except FormatError as exc:
        raise AnsibleFilterError("from_kibana_module: %s" % exc)


def from_kibana_export(data, prefix="", groups=None, rename=None, state=None):
    try:
        return from_export(data, prefix=prefix, groups=groups, rename=rename, state=state)
    except FormatError as exc:
        raise AnsibleFilterError("from_kibana_export: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"from_kibana_module": from_kibana_module, "from_kibana_export": from_kibana_export}
