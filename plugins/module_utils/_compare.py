# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Comparing normalised configs: differing paths as Change objects, and a prediction built from them.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import copy
import re


class Change(object):
    """One differing path: ``before`` is the server's value, ``after`` the declared one."""

    def __init__(self, path, before, after, updatable):
        self.path = path
        self.before = before
        self.after = after
        self.updatable = updatable

    def as_dict(self):
        return {"path": self.path, "current": self.before, "desired": self.after}

    def __repr__(self):
        return "Change(%s: %r -> %r%s)" % (self.path, self.before, self.after, "" if self.updatable else ", immutable")


def walk(path, before, after, updatable, out):
    """Append a Change for every leaf under ``path`` where ``before`` and ``after`` differ."""
    if isinstance(after, dict) and isinstance(before, dict):
        for key in sorted(set(after) | set(before)):
            walk("%s.%s" % (path, key), before.get(key), after.get(key), updatable, out)
    elif before != after:
        out.append(Change(path, before, after, updatable))


def apply_changes(before, changes):
    """``before`` (a comparable job) with the declared values of ``changes``: the predicted job."""
    after = copy.deepcopy(before)
    for change in changes:
        _set_path(after, change.path, change.after)
    return after


def _set_path(tree, path, value):
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    node = tree
    for part, following in zip(parts, parts[1:] + [None]):
        key = int(part[1:-1]) if part.startswith("[") else part
        if following is None:
            if value is None and isinstance(node, dict):
                node.pop(key, None)
            else:
                node[key] = value
            return
        if isinstance(node, dict) and key not in node:
            node[key] = [] if following.startswith("[") else {}
        node = node[key]
