"""Option specs are defined once (_options.py); the role's argument spec, which Ansible reads as YAML, must say
the same: each option's type, elements, choices, default and whether it is required."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _options

ROLE_SPEC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "anomaly_detection", "meta",
                         "argument_specs.yml")
FACETS = ("type", "elements", "choices", "default", "required")


def _role_options():
    with open(ROLE_SPEC) as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def _facets(option):
    out = dict((k, option.get(k)) for k in FACETS)
    out["type"] = out["type"] or "str"
    out["required"] = bool(out["required"])
    out["choices"] = sorted(out["choices"]) if out["choices"] is not None else None
    return out


def _compare(role, spec, path, differences):
    for name, option in role.items():
        where = "%s.%s" % (path, name)
        if name not in spec:
            differences.append("%s: not an option of the module" % where)
            continue
        if _facets(option) != _facets(spec[name]):
            differences.append("%s: role %s, module %s" % (where, _facets(option), _facets(spec[name])))
        if option.get("options") and spec[name].get("options"):
            _compare(option["options"], spec[name]["options"], where, differences)


@pytest.mark.parametrize("role_option,spec", [
    ("anomaly_detection_jobs", _options.bulk_job_spec),
    ("anomaly_detection_filters", _options.filter_spec),
    ("anomaly_detection_calendars", _options.calendar_spec),
])
def test_the_role_takes_what_the_modules_take(role_option, spec):
    differences = []
    _compare(_role_options()[role_option]["options"], spec(), role_option, differences)
    assert differences == []


def test_a_difference_is_found():
    """The comparison itself: a default written differently is reported."""
    differences = []
    _compare({"state": {"type": "str", "default": "closed", "choices": ["present", "absent"]}}, _options.filter_spec(),
             "x", differences)
    assert len(differences) == 1 and differences[0].startswith("x.state: role")
