"""The counters table: three record kinds keyed ``{account_id, name}`` in one table.

- ``Counter`` (``name`` = a sequence, e.g. ``cluster``): the account's integer ids;
- ``MonthlySpend`` (``spend#YYYY-MM``): the account's cost and credits in one month;
- ``AISlots`` (``ai-slots``): the leases of the account's provider calls in flight.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from shared.db.base import BaseModel


class Counter(BaseModel):
    """Per-account sequence numbers: integer ids like the seed's, allocated atomically."""

    table_suffix = "counters"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    value = NumberAttribute(default=0)


class MonthlySpend(BaseModel):
    """An account's spend in one calendar month (UTC): ``{account_id, "spend#YYYY-MM"}``."""

    table_suffix = "counters"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    month = UnicodeAttribute(null=True)
    cost = NumberAttribute(default=0)  # USD, every provider answer
    credits = NumberAttribute(default=0)  # charged at SAVE
    calls = NumberAttribute(default=0)


class AISlots(BaseModel):
    """The leases of one account's provider calls in flight."""

    table_suffix = "counters"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    leases = JSONAttribute(default=dict)
    version = NumberAttribute(default=0)
