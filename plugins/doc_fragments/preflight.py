# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The preflight options of the modules that write jobs and datafeeds, documented once."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  preflight:
    description:
      - Before the first write, and in check mode, ask Elasticsearch (read-only) whether the change will work, for
        what is about to be created or changed only (a no-op asks nothing).
      - A job's config goes to C(_validate); its C(model_memory_limit) is held to C(_ml/info) limits (above the
        cluster's maximum, or above what any ML node can give a job that is to open, is refused) and to
        C(_estimate_model_memory) (below the estimate is a warning); lowering it below what the model already uses
        is refused before the job is closed.
      - A datafeed about to be created or changed is previewed over the last O(preflight_window); an error (a missing
        index, an unmapped field, a query Elasticsearch refuses) fails the task before any write, no rows is a warning.
      - An API the cluster does not offer (serverless, older versions) is skipped with one warning.
    type: bool
    default: true
  preflight_window:
    description: How far back the preflight preview of a datafeed looks (a time value); V(0) skips the preview.
    type: str
    default: 1d
"""
