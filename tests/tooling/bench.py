"""`make bench`: request counts, convergence time at 100 and 500 jobs, parallel writes at a real cluster's latency,
5,000 jobs (time and the module's peak memory), and per-task overhead, from one run; written into
docs/performance.md under "Figures".

Everything runs against an emulator on loopback started here. Times are wall-clock seconds on this
machine and noisy; compare them as ratios within one run. Request counts are exact (a unit test guards
them too).
"""

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "tests", "emulator"), os.path.join(ROOT, "tests", "kibana_emulator"),
                os.path.join(ROOT, ".collections"), os.path.join(ROOT, "tests"),
                os.path.join(ROOT, "tests", "unit", "plugins", "module_utils")]

from esml_emulator.server import EmulatorServer  # noqa: E402  pylint: disable=wrong-import-position
import test_request_counts  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.mlops.elasticsearch.plugins.module_utils import _bulk  # noqa: E402  pylint: disable=wrong-import-position

from conftest import SOURCE_INDICES, Es  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)
# The floor for each operation: one GET for the config, one more for the run state when it matters, one write per
# change; and why an operation needs more.
MINIMUM = {
    "present: create": (2, ""), "present: no change": (1, ""), "present: update": (2, ""),
    "present: memory, closed job": (3, "must know the job is closed before updating analysis_limits"),
    "present: memory, open job, started datafeed": (7, "close, update, reopen, restart, and the datafeed's state to "
                                                       "know it must be restarted"),
    "opened: open": (3, ""), "opened: no change": (2, ""), "opened: create and open": (3, ""),
    "closed: close": (2, "one stats read serves ids, groups and wildcards"), "closed: no change": (1, ""),
    "reset: reset": (3, ""), "reset: nothing to reset": (2, ""),
    "absent: delete open job with datafeed": (4, "close then delete: ES refuses to delete an open job without force"),
    "absent: delete closed job": (3, ""), "absent: already absent": (1, ""),
    "present: recreate, open job, started datafeed": (9, "stop/close, delete, create, datafeed, reopen, restart"),
}

ROLE_PLAYBOOK = """---
- name: Converge through the role
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: mlops.elasticsearch.anomaly_detection
      vars:
        anomaly_detection_jobs: "{{ lookup('ansible.builtin.file', 'jobs.json') | from_json }}"
        anomaly_detection_return_bodies: "{{ bodies | default(true) | bool }}"
"""

# Runs the module under a parent that records the largest resident set of its children (the module process) in
# the file $BENCH_RSS_LOG names, one line per module run: ansible_python_interpreter points at it.
RSS_WRAPPER = """#!%(python)s
import os, resource, subprocess, sys
code = subprocess.call([%(python)r] + sys.argv[1:])
with open(os.environ["BENCH_RSS_LOG"], "a") as log:
    log.write("%%d\\n" %% resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)
"""

DOC = os.path.join(ROOT, "docs", "performance.md")
FIGURES = re.compile(r"^## Figures.*\Z", re.S | re.M)

URI_PLAYBOOK = """---
- name: The same declaration, written with ansible.builtin.uri (GET, compare, PUT)
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    jobs: "{{ lookup('ansible.builtin.file', 'jobs.json') | from_json }}"
    es: "{{ lookup('ansible.builtin.env', 'ELASTICSEARCH_HOSTS') }}"
  tasks:
    - name: Read each job
      ansible.builtin.uri:
        url: "{{ es }}/_ml/anomaly_detectors/{{ item.job_id }}"
        status_code: [200, 404]
      loop: "{{ jobs }}"
      register: current
    - name: Create the missing ones, or update those that differ
      ansible.builtin.uri:
        url: "{{ es }}/_ml/anomaly_detectors/{{ item.item.job_id }}{{ '/_update' if item.status == 200 else '' }}"
        method: "{{ 'POST' if item.status == 200 else 'PUT' }}"
        body_format: json
        body: "{{ {'description': item.item.config.description} if item.status == 200 else item.item.config }}"
      loop: "{{ current.results }}"
      when: item.status == 404 or item.json.jobs[0].description | default('') != item.item.config.description
    - name: Read each datafeed
      ansible.builtin.uri:
        url: "{{ es }}/_ml/datafeeds/datafeed-{{ item.job_id }}"
        status_code: [200, 404]
      loop: "{{ jobs }}"
      register: feeds
    - name: Create the missing datafeeds
      ansible.builtin.uri:
        url: "{{ es }}/_ml/datafeeds/datafeed-{{ item.item.job_id }}"
        method: PUT
        body_format: json
        body: "{{ item.item.datafeed.config | combine({'job_id': item.item.job_id}) }}"
      loop: "{{ feeds.results }}"
      when: item.status == 404
"""

OVERHEAD_PLAYBOOK = """---
- name: Per-task cost
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: A no-op module run
      mlops.elasticsearch.ml_anomaly_job:
        job_id: overhead
        analysis_config: {detectors: [{function: count}]}
      loop: "{{ range(%(n)d) | list }}"
      when: "'job' in tasks"
    - name: ansible.builtin.ping
      ansible.builtin.ping:
      loop: "{{ range(%(n)d) | list }}"
      when: "'ping' in tasks"
"""


def declared_jobs(n):
    return [{"job_id": "bench-%04d" % i,
             "config": {"description": "bench job %d" % i, "groups": ["bench"],
                        "analysis_config": {"bucket_span": "15m", "detectors": [
                            {"function": "high_mean", "field_name": "bytes", "partition_field_name": "host"}]},
                        "data_description": {"time_field": "@timestamp"}},
             "datafeed": {"config": {"indices": ["logs-*"]}}} for i in range(n)]


def playbook(directory, text, *extra, env=None):
    path = os.path.join(directory, "play.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    command = [os.path.join(BIN, "ansible-playbook"), path] + list(extra)
    start = time.monotonic()
    result = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        sys.exit("bench playbook failed:\n%s" % (result.stdout[-3000:] + result.stderr[-2000:]))
    return elapsed


def reset(url):
    """A fresh emulator with the indices the jobs' datafeeds read (ES starts a datafeed only over mapped fields), and
    a recent document in logs-1, so that each new datafeed's preflight preview finds data, as on a cluster in use."""
    es = Es(url)
    es.reset()
    for name in SOURCE_INDICES:
        es.source(name)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    es.docs("logs-1", {"@timestamp": now, "bytes": 512, "host": "web-1"})
    es.clear_log()
    return es


def request_counts(server):
    es = Es(server.url)
    rows = []
    for name, setup, params, expected in test_request_counts.CASES:
        reset(server.url)
        if setup is not None:
            test_request_counts._setup(es, **setup)  # pylint: disable=protected-access
        es.clear_log()
        from ansible_collections.mlops.elasticsearch.plugins.module_utils._anomaly_job import run  # noqa  pylint: disable=import-outside-toplevel
        from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient  # noqa  pylint: disable=import-outside-toplevel
        from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi  # noqa  pylint: disable=import-outside-toplevel
        run(MlApi(EsClient(hosts=[server.url])), dict(test_request_counts.DEFAULTS, **params))
        made = len(es.log())
        floor, why = MINIMUM[name]
        rows.append("| ml_anomaly_job %s | %d | %d | %s |" % (name, made, floor, why))
    return rows


FEED_CASES = [
    # name, job state, feed exists, feed started, params, minimum, why more
    ("present: create", "closed", False, False, {"indices": ["logs"]}, 2, ""),
    ("present: no change", "closed", True, False, {"indices": ["logs"]}, 1, ""),
    ("present: update", "closed", True, False, {"indices": ["logs", "more"]}, 3,
     "its state, to know whether it must be stopped around the update"),
    ("present: update while started", "opened", True, True, {"indices": ["logs", "more"]}, 5,
     "stop, update, start again"),
    ("started: start", "opened", True, False, {"state": "started"}, 4, "the job's state, to know it is open"),
    ("started: no change", "opened", True, True, {"state": "started"}, 2, ""),
    ("stopped: stop", "opened", True, True, {"state": "stopped"}, 3, ""),
    ("stopped: no change", "opened", True, False, {"state": "stopped"}, 2, ""),
    ("absent: delete a started datafeed", "opened", True, True, {"state": "absent"}, 4,
     "stop before delete (ES refuses to delete a started datafeed without force)"),
    ("absent: already absent", "closed", False, False, {"state": "absent"}, 1, ""),
]


def datafeed_and_bulk_counts(server):
    from ansible_collections.mlops.elasticsearch.plugins.module_utils import _bulk, _datafeed  # noqa  pylint: disable=import-outside-toplevel
    from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient  # noqa  pylint: disable=import-outside-toplevel
    from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi  # noqa  pylint: disable=import-outside-toplevel
    es = Es(server.url)
    rows = []
    defaults = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "restart": False,
                "open_job": False, "job_id": "j1"}
    for name, job_state, exists, started, params, floor, why in FEED_CASES:
        reset(server.url)
        es.put_job("j1", {"analysis_config": {"detectors": [{"function": "count"}]}})
        if job_state == "opened":
            es("POST", "/_ml/anomaly_detectors/j1/_open")
        if exists:
            es("PUT", "/_ml/datafeeds/datafeed-j1", {"job_id": "j1", "indices": ["logs"]})
        if started:
            es("POST", "/_ml/datafeeds/datafeed-j1/_start")
        es.clear_log()
        _datafeed.run(MlApi(EsClient(hosts=[server.url])), dict(defaults, **params))
        rows.append("| ml_datafeed %s | %d | %d | %s |" % (name, len(es.log()), floor, why))
    for name, params, floor, why in (
            ("ml_anomaly_job present: create, with preflight", {}, 5,
             "_validate, _ml/info and _estimate_model_memory before the PUT"),
            ("ml_datafeed present: create, with preflight", {"indices": ["logs"]}, 3, "_preview before the PUT")):
        es = reset(server.url)
        api = MlApi(EsClient(hosts=[server.url]))
        if name.startswith("ml_datafeed"):
            es.put_job("j1", {"analysis_config": {"detectors": [{"function": "count"}]}})
            es.clear_log()
            _datafeed.run(api, dict(defaults, preflight=True, **params))
        else:
            from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job  # noqa  pylint: disable=import-outside-toplevel
            _anomaly_job.run(api, {"job_id": "j1", "analysis_config": {"detectors": [{"function": "count"}]}})
        rows.append("| %s | %d | %d | %s |" % (name, len(es.log()), floor, why))
    for n in (10, 100):
        reset(server.url)
        jobs = declared_jobs(n)
        api = MlApi(EsClient(hosts=[server.url]))
        _bulk.run(api, {"jobs": jobs})
        es.clear_log()
        _bulk.run(api, {"jobs": jobs})
        rows.append("| ml_anomaly_jobs (the role), %d jobs with datafeeds, no change | %d | 4 | all jobs, their stats, "
                    "all datafeeds, their stats |" % (n, len(es.log())))
    return rows


def converge_times(server, directory, env, sizes):
    lines = ["## 2. Converging N jobs with datafeeds (seconds, one run)", "",
             "| N | role: create | role: no-op | role: check-mode audit | uri: create | uri: no-op | "
             "uri no-op / role no-op |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for n in sizes:
        write_jobs(directory, n)
        reset(server.url)
        create = playbook(directory, ROLE_PLAYBOOK, env=env)
        noop = playbook(directory, ROLE_PLAYBOOK, env=env)
        audit = playbook(directory, ROLE_PLAYBOOK, "--check", "--diff", env=env)
        reset(server.url)
        uri_create = playbook(directory, URI_PLAYBOOK, env=env)
        uri_noop = playbook(directory, URI_PLAYBOOK, env=env)
        figures = (n, create, noop, audit, uri_create, uri_noop, uri_noop / noop)
        lines.append("| %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |" % figures)
    return lines + [""]


def write_jobs(directory, n):
    with open(os.path.join(directory, "jobs.json"), "w", encoding="utf-8") as handle:
        json.dump(declared_jobs(n), handle)


def parallel_writes(server, directory, env, n, write_ms, read_ms):
    """The role creating n jobs with datafeeds while each write takes write_ms and each read read_ms, as on a real
    cluster, at several parallelisms."""
    write_jobs(directory, n)
    lines = ["## 3. Parallel writes: creating %d jobs with datafeeds at %d ms per write, %d ms per read (seconds)"
             % (n, write_ms, read_ms), "",
             "| parallelism | role: create | time at parallelism 1 / this |", "| --- | --- | --- |"]
    serial = None
    for parallelism in (1, 4, 8, 16, 32):
        es = reset(server.url)
        es.settings(write_latency_ms=write_ms, read_latency_ms=read_ms)
        took = playbook(directory, ROLE_PLAYBOOK, "-e", "anomaly_detection_parallelism=%d" % parallelism, env=env)
        serial = serial or took
        default = " (the default)" if parallelism == _bulk.DEFAULT_PARALLELISM else ""
        lines.append("| %d%s | %.1f | %.1f |" % (parallelism, default, took, serial / took))
    reset(server.url)
    return lines + [""]


def fleet(server, directory, env, n):
    """n jobs with datafeeds: create, no-op and check-mode audit through the role, with the module process's peak
    resident memory for each."""
    write_jobs(directory, n)
    wrapper = os.path.join(directory, "python-rss")
    with open(wrapper, "w", encoding="utf-8") as handle:
        handle.write(RSS_WRAPPER % {"python": sys.executable})
    os.chmod(wrapper, 0o755)
    log = os.path.join(directory, "rss.log")
    env = dict(env, BENCH_RSS_LOG=log)
    # a cluster with enough ML nodes for n open jobs (one node takes 512, xpack.ml.max_open_jobs' default)
    reset(server.url).settings(max_open_jobs=n)
    lines = ["## 4. %d opened jobs with started datafeeds through the role (one run)" % n, "",
             "| run | seconds | peak RSS of the module process (MB) |", "| --- | --- | --- |"]
    lean = ("-e", "bodies=false")
    for name, extra in (("create, return_bodies: false", lean), ("no-op, return_bodies: false", lean),
                        ("no-op, with the bodies (the default)", ()),
                        ("check-mode audit (--check --diff), return_bodies: false", ("--check", "--diff") + lean)):
        open(log, "w", encoding="utf-8").close()
        took = playbook(directory, ROLE_PLAYBOOK, "-e", "ansible_python_interpreter=%s" % wrapper, *extra, env=env)
        with open(log, encoding="utf-8") as handle:
            peak_kib = max(int(line) for line in handle if line.strip())
        lines.append("| %s | %.1f | %.0f |" % (name, took, peak_kib / 1024.0))
    reset(server.url)
    return lines + [""]


def overhead(server, directory, env):
    lines = ["## 5. Per-task overhead (a no-op module run beside ansible.builtin.ping, 50 tasks each)", ""]
    reset(server.url)
    n = 50
    playbook(directory, OVERHEAD_PLAYBOOK % {"n": 1}, "-e", "tasks=job", env=env)  # create the job once
    job = playbook(directory, OVERHEAD_PLAYBOOK % {"n": n}, "-e", "tasks=job", env=env)
    ping = playbook(directory, OVERHEAD_PLAYBOOK % {"n": n}, "-e", "tasks=ping", env=env)
    empty = playbook(directory, OVERHEAD_PLAYBOOK % {"n": n}, "-e", "tasks=none", env=env)
    return lines + ["| | seconds for %d | per task, less the playbook's own start |" % n, "| --- | --- | --- |",
                    "| ml_anomaly_job, no change | %.2f | %.3f |" % (job, (job - empty) / n),
                    "| ansible.builtin.ping | %.2f | %.3f |" % (ping, (ping - empty) / n),
                    "| ratio | %.2f | %.2f |" % (job / ping, (job - empty) / max(ping - empty, 1e-9))]


def main():
    sizes = [int(n) for n in os.environ.get("BENCH_SIZES", "100,500").split(",") if n]
    parallel_jobs = int(os.environ.get("BENCH_PARALLEL_JOBS", "500"))
    fleet_jobs = int(os.environ.get("BENCH_FLEET_JOBS", "5000"))
    with EmulatorServer() as server, tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ, ELASTICSEARCH_HOSTS=server.url, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
                   ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_NOCOLOR="1")
        lines = ["## 1. HTTP requests per operation", "", "| operation | requests | minimum | why more |",
                 "| --- | --- | --- | --- |"]
        lines += request_counts(server)
        lines += datafeed_and_bulk_counts(server) + [""]
        lines += converge_times(server, directory, env, sizes)
        if parallel_jobs:
            lines += parallel_writes(server, directory, env, parallel_jobs, write_ms=50, read_ms=10)
        if fleet_jobs:
            lines += fleet(server, directory, env, fleet_jobs)
        lines += overhead(server, directory, env)
    print("\n".join(lines))
    if os.environ.get("BENCH_WRITE_DOC", "1") == "1":
        with open(DOC, encoding="utf-8") as handle:
            text = handle.read()
        figures = "## Figures (one run of `make bench`, %s)\n\n%s\n" % (
            datetime.date.today().isoformat(), "\n".join("#" + line if line.startswith("## ") else line
                                                         for line in lines))
        with open(DOC, "w", encoding="utf-8") as handle:
            handle.write(FIGURES.sub(lambda _match: figures, text))
        print("wrote %s" % os.path.relpath(DOC, ROOT))


if __name__ == "__main__":
    main()
