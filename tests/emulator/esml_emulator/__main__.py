"""Run the emulator: ``python -m esml_emulator --port 9200``."""

from __future__ import annotations

import argparse
import sys

from .app import Security
from .server import EmulatorServer

MANAGE = "manage_ml"


def _privileges(text):
    return [p for p in (text or "superuser").split("+") if p]


def parse_security(args):
    users, keys, tokens = {}, {}, {}
    for spec in args.user or []:
        name, _sep, rest = spec.partition(":")
        password, _sep, privs = rest.partition(":")
        users[name] = (password, _privileges(privs))
    for spec in args.api_key or []:
        key_id, _sep, rest = spec.partition(":")
        key, _sep, privs = rest.partition(":")
        keys[key_id] = (key, _privileges(privs))
    for spec in args.bearer_token or []:
        token, _sep, privs = spec.partition(":")
        tokens[token] = _privileges(privs)
    return Security(users, keys, tokens)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="esml_emulator", description="Elasticsearch ML anomaly-detection API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--user", action="append", help="NAME:PASSWORD[:PRIV+PRIV] (privileges default to superuser)")
    parser.add_argument("--api-key", action="append", help="ID:KEY[:PRIV+PRIV]")
    parser.add_argument("--bearer-token", action="append", help="TOKEN[:PRIV+PRIV]")
    parser.add_argument("--tls-cert", help="PEM certificate chain; serves HTTPS when given")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    parser.add_argument("--flavor", choices=["default", "serverless"], default="default",
                        help="serverless: answer as an Elasticsearch Serverless project (internal APIs 410, API keys only)")
    parser.add_argument("--read-latency-ms", type=int, default=0,
                        help="added to every read: a GET, a HEAD, a POST that changes nothing")
    parser.add_argument("--write-latency-ms", type=int, default=0, help="added to every other request")
    args = parser.parse_args(argv)
    server = EmulatorServer(args.host, args.port, parse_security(args), args.tls_cert, args.tls_key, args.verbose)
    server.app.flavor = args.flavor
    server.app.set_latency(args.read_latency_ms, args.write_latency_ms)
    print("Elasticsearch ML emulator listening on %s (Ctrl-C stops it)" % server.url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
