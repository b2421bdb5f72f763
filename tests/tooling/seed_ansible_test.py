"""Put the pip bootstrap stand-in where ansible-test looks for its cached get-pip script.

ansible-test names the cache file after the pip version it pins (``get_pip_24_2.py`` for pip 24.2),
so the version is read from the installed ansible-test rather than written here.
"""

import os
import re
import shutil
import sys

import ansible_test


def main():
    source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
    with open(source, encoding="utf-8") as handle:
        match = re.search(r"pip='([0-9.]+)'", handle.read())
    if not match:
        sys.exit("cannot find the pip version ansible-test pins in %s" % source)
    target = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % match.group(1).replace(".", "_"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    standin = os.path.join(os.path.dirname(os.path.abspath(__file__)), "get_pip_standin.py")
    shutil.copyfile(standin, target)
    print("ansible-test pip bootstrap: %s" % target)


if __name__ == "__main__":
    main()
