"""Stand-in for ansible-test's downloaded get-pip bootstrap script, for machines without internet access.

ansible-test creates each sanity virtualenv without pip, then runs a cached
``~/.ansible/test/cache/get_pip_<version>.py`` with pip's install arguments (for example
``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``). The real script is fetched
from a host this project cannot reach; this one bootstraps pip with ``ensurepip`` and lets that
pip install the requested version from the package index. ``tests/tooling/seed_ansible_test.py``
puts it in place.
"""

import ensurepip
import os
import subprocess
import sys


def main():
    environment = dict(os.environ)  # ensurepip drops PIP_* settings (index, certificates) in this process
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    ensurepip.bootstrap(upgrade=True)
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args, env=environment)


if __name__ == "__main__":
    main()
