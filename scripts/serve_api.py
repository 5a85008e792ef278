"""`make api`: serve the HTTP API on 127.0.0.1:3000 over the local AWS stack.

Starts the local stack (moto, built from template.yaml), creates a local account with an API
key, prints the key, and serves until Ctrl-C. Jobs run through the real state machine.

    curl -H "Authorization: Bearer $KEY" http://127.0.0.1:3000/v1/planner/keywords/
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_stack.apigw import serve  # noqa: E402
from local_stack.stack import LocalStack  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    args = parser.parse_args()

    stack = LocalStack(stack_name="igny8-api").start()
    from shared.services.accounts import create_account, create_api_key

    account = create_account("Local account", credits=1_000_000)
    key = create_api_key(account.account_id, label="local")
    server = serve(args.host, args.port)
    base = f"http://{args.host}:{args.port}"
    provider = "OpenAI-compatible API" if os.environ.get("OPENAI_API_KEY") else "offline local provider"
    print(
        f"IGNY8 API on {base} (local AWS stack on {stack.endpoint}, AI: {provider})\n"
        f"Account: {account.account_id}\n"
        f"API key: {key}\n\n"
        f"Try:\n"
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
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        server.server_close()
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
