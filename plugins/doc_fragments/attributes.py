# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The attributes every module of the collection documents; each module fills in its own support."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the changed status it predicts without modifying the cluster.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when in diff mode.
  action_group:
    description: Use C(group/mlops.elasticsearch.elasticsearch) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - mlops.elasticsearch.elasticsearch
"""

    # For the _info modules: read-only, so check mode changes nothing about what they do.
    INFO_MODULE = r"""
attributes:
  check_mode:
    support: full
    details: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: N/A
    details: The module changes nothing, so it has no diff.
"""
