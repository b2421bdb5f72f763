"""The emulated node (one ML node holds every job) and the id expressions every store expands."""

from __future__ import annotations

import fnmatch
import time

NODE_ID = "7bmMXyWCRs-TuPfGJJ_yMw"
NODE = {
    "id": NODE_ID,
    "name": "emulator-ml-0",
    "ephemeral_id": "gXzhmWxvTMaNW8JUdHWVvg",
    "transport_address": "127.0.0.1:9300",
    "attributes": {"ml.machine_memory": "25769803776", "ml.max_jvm_size": "8589934592",
                   "ml.allocated_processors": "2", "ml.allocated_processors_double": "2.0",
                   "ml.config_version": "12.0.0", "xpack.installed": "true"},
}
ML_CONFIG_VERSION = "12.0.0"
# ES MlTasks.AWAITING_UPGRADE: the assignment explanation of every ML task while upgrade mode is on
AWAITING_UPGRADE = "persistent task cannot be assigned while upgrade mode is enabled."


def now_ms():
    return int(time.time() * 1000)


def expand(expression, allow_no_match, names, missing):
    """ES's id expressions (ES rest-api-spec ml.*.json): comma lists of ids, names or wildcards, ``_all`` or nothing for all.

    ``names`` maps each object id to the names it answers to. A wildcard (or ``_all``) that matches
    nothing is an error only with ``allow_no_match=false``; an exact id that matches nothing always is.
    """
    tokens = [t for t in (expression or "").split(",") if t] or ["_all"]
    found, unmatched = set(), []
    for token in tokens:
        pattern = "*" if token == "_all" else token
        matched = {obj for obj, aliases in names.items() if any(fnmatch.fnmatchcase(a, pattern) for a in aliases)}
        if not matched and ("*" not in pattern or not allow_no_match):
            unmatched.append(token)
        found |= matched
    if unmatched:
        raise missing(",".join(unmatched))
    return sorted(found)
