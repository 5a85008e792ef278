"""`make api`: serve the HTTP API on 127.0.0.1:3000 over the local AWS stack.

Starts the local stack (moto, built from template.yaml), creates a local account with an API
key, prints the key, and serves until Ctrl-C. Jobs run through the real state machine.

It records its address, key and account in .igny8/local.json (IGNY8_LOCAL_FILE names another
file; removed again on exit), where the igny8 command finds it: while it runs, `igny8 import`,
`igny8 ideas`, `igny8 jobs` ... all work on its data without --api or --key.

    curl -H "Authorization: Bearer $KEY" http://127.0.0.1:3000/v1/planner/keywords/
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igny8_cli.local import LocalServer, ai_provider, remove_local_file, write_local_file  # noqa: E402
from local_stack.apigw import call_api, proxy_event, serve  # noqa: E402
from local_stack.stack import LocalStack  # noqa: E402


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)  # SIGTERM: stop as Ctrl-C does, so the record in .igny8/ is removed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    args = parser.parse_args()

    try:
        server = serve(args.host, args.port)
    except OSError as exc:
        print(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); is another `make api` "
            f"running? Choose another port: PORT={args.port + 1} make api",
            file=sys.stderr,
        )
        return 1
    stack = LocalStack(stack_name="igny8-api").start()
    from shared.services.accounts import create_account, create_api_key

    account = create_account("Local account", credits=1_000_000)
    key = create_api_key(account.account_id, label="local")
    host = "127.0.0.1" if args.host in ("", "0.0.0.0") else args.host  # noqa: S104 - only compared
    base = f"http://{host}:{server.server_address[1]}"
    provider = ai_provider()
    call_api(proxy_event("GET", "/health"))  # import the API handler now, not on the first request
    record = write_local_file(LocalServer(base, key, account.account_id, provider, os.getpid()))
    print(
        f"IGNY8 API on {base} (local AWS stack on {stack.endpoint}, AI: {provider})\n"
        f"Account: {account.account_id}\n"
        f"API key: {key}\n"
        f"Recorded in {record}: the igny8 command uses this server while it runs.\n\n"
        f"Try:\n"
        f"  .venv/bin/igny8 import data/sample_keywords.csv --site 'Home Barista' --sector Coffee\n"
        f"  .venv/bin/igny8 jobs\n"
        f"  export KEY={key}\n"
        f'  curl -s -H "Authorization: Bearer $KEY" -X POST {base}/v1/planner/keywords/ \\\n'
        f'       -d \'{{"keywords": [{{"keyword": "cold brew ratio", "volume": 1900}},'
        f' {{"keyword": "how to make cold brew", "volume": 5400}}]}}\'\n'
        f'  curl -s -H "Authorization: Bearer $KEY" -X POST {base}/v1/planner/keywords/auto_cluster/ '
        f"-d '{{\"ids\": [1, 2]}}'\n"
        f'  curl -s -H "Authorization: Bearer $KEY" {base}/v1/jobs/<task_id>\n\n'
        "Ctrl-C stops the server; the local stack and its data live only as long as it runs.",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        remove_local_file(os.getpid())
        server.server_close()
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
