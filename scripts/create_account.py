"""Create an account and an API key on a deployed stack (or any stack TABLE_PREFIX names).

    python scripts/create_account.py --stack-name igny8-dev --name "My agency" --credits 5000

Uses your AWS credentials (AWS_PROFILE / AWS_REGION) to write to the stack's DynamoDB tables.
The key is printed once; only its SHA-256 hash is stored.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack-name", required=True, help="the stack (table prefix), e.g. igny8-dev")
    parser.add_argument("--name", required=True, help="the account's display name")
    parser.add_argument("--credits", type=int, default=1000, help="starting credits (default 1000)")
    parser.add_argument("--account-id", help="add a key to this existing account instead")
    args = parser.parse_args()

    os.environ["TABLE_PREFIX"] = args.stack_name
    from shared.db.repo import get_account
    from shared.services.accounts import create_account, create_api_key

    if args.account_id:
        if get_account(args.account_id) is None:
            print(f"account {args.account_id} not found in {args.stack_name}", file=sys.stderr)
            return 1
        account_id = args.account_id
    else:
        account_id = create_account(args.name, credits=args.credits).account_id
    key = create_api_key(account_id, label=args.name)
    print(f"account_id={account_id}\napi_key={key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
