"""Run the Kibana emulator: ``python -m kbn_emulator --port 5601 --elasticsearch http://127.0.0.1:9200``."""

from __future__ import annotations

import argparse
import base64
import sys

from .app import Credentials
from .server import KibanaServer


def parse_credentials(args):
    """The same --user, --api-key and --bearer-token forms as the Elasticsearch emulator (privileges ignored)."""
    users, keys, tokens = {}, {}, []
    for spec in args.user or []:
        name, _sep, rest = spec.partition(":")
        users[name] = rest.partition(":")[0]
    for spec in args.api_key or []:
        key_id, _sep, rest = spec.partition(":")
        keys[key_id] = rest.partition(":")[0]
    for spec in args.bearer_token or []:
        tokens.append(spec.partition(":")[0])
    return Credentials(users, keys, tokens)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="kbn_emulator", description="Kibana spaces and ML saved-objects emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5601)
    parser.add_argument("--elasticsearch", default="http://127.0.0.1:9200", help="the Elasticsearch (emulator) URL")
    parser.add_argument("--elasticsearch-user", help="NAME:PASSWORD of Kibana's own user in Elasticsearch")
    parser.add_argument("--user", action="append", help="NAME:PASSWORD[:...] as given to the Elasticsearch emulator")
    parser.add_argument("--api-key", action="append", help="ID:KEY[:...]")
    parser.add_argument("--bearer-token", action="append", help="TOKEN[:...]")
    parser.add_argument("--version", default="9.3.0",
                        help="the Kibana version to answer as (before 9.3.0, update_jobs_spaces is internal only)")
    parser.add_argument("--base-path", default="", help="server.basePath, such as /kibana")
    parser.add_argument("--restrict-internal-apis", action="store_true",
                        help="server.restrictInternalApis: internal routes need x-elastic-internal-origin")
    args = parser.parse_args(argv)
    es_auth = None
    if args.elasticsearch_user:
        es_auth = "Basic " + base64.b64encode(args.elasticsearch_user.encode("utf-8")).decode("ascii")
    server = KibanaServer(args.elasticsearch, args.host, args.port, es_auth=es_auth,
                          credentials=parse_credentials(args), version=args.version, base_path=args.base_path,
                          restrict_internal_apis=args.restrict_internal_apis)
    print("Kibana emulator listening on %s, reading %s (Ctrl-C stops it)" % (server.url, args.elasticsearch), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
