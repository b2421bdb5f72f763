"""`make demo` keeps working: the demo playbook runs end to end against an emulator and tells its story."""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_demo_runs_to_the_end():
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    env.pop("ELASTICSEARCH_HOSTS", None)  # the demo's own emulator, whatever the integration tests point at
    env.pop("KIBANA_URL", None)
    result = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "tooling", "run_demo.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    for step in ("1. Where we are", "5. What the audit found", "7. Done in these steps", "10. Gone"):
        assert "TASK [%s]" % step in output
    assert '"jobs_drifted": [\n            "mlops-demo-error-bursts"' in output
    assert "records before 60, after 0" in output
    # a job lands in the right Kibana space, and the saved objects of the removed jobs are cleaned up at the end
    assert re.search(r'"after": \{[^}]*"mlops-demo-rare-processes": \[\s*"mlops-demo-security"\s*\]', output)
    assert "saved objects deleted: ['mlops-demo-error-bursts', 'mlops-demo-rare-processes', 'mlops-demo-web-latency']" \
        in output
    assert "failed=0" in output
