# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Machine learning's upgrade mode (ml_upgrade_mode): read from ``_ml/info``, set with ``_ml/set_upgrade_mode``.

In upgrade mode every job and datafeed task loses its node (they stay opened and started, awaiting the upgrade)
and Elasticsearch refuses the actions that change ML state (ES MlUpgradeModeActionFilter), so that a rolling
restart or a snapshot restore finds the ML indices quiet.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import Change
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import (
    check_duration, upgrade_mode_spec, with_defaults)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Facts, Plan, Planner, converge)


def declare(params, warn):
    declared = Facts(**with_defaults(upgrade_mode_spec(), params))
    check_duration("timeout", declared.timeout)
    return declared


def read(api, declared, check_mode):
    return Facts(enabled=bool(api.info().get("upgrade_mode")))


def plan(current, declared):
    out = Plan("machine learning", start_state="as it was")
    out.before = {"upgrade_mode": current.enabled}
    out.after = {"upgrade_mode": declared.enabled}
    if current.enabled != declared.enabled:
        out.changes = [Change("upgrade_mode", current.enabled, declared.enabled, True)]
        out.add(Action("set_upgrade_mode", {"enabled": declared.enabled, "timeout": declared.timeout},
                       leaves="with upgrade mode %s" % ("on" if declared.enabled else "off"),
                       note="jobs and datafeeds wait without a node until it is turned off" if declared.enabled
                       else "jobs and datafeeds that were running get their nodes back"))
    return out


def report(done, current, declared, check_mode):
    return {"upgrade_mode": declared.enabled if done and not check_mode else current.enabled}


PLANNER = Planner(declare, read, plan, report)


def run(api, params, check_mode=False, diff_mode=False, warn=None):
    """What ml_upgrade_mode does; returns the module result."""
    return converge(api, PLANNER, params, check_mode, diff_mode, warn)
