"""The batch helpers of the data layer on the local stack: nothing is lost to unprocessed items."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import repo
from shared.db.models import Counter, Keyword, Site
from shared.errors import BatchIncomplete

pytestmark = pytest.mark.integration


def _sites(account_id: str, count: int) -> list[Site]:
    return [Site(account_id, i, name=f"site {i}") for i in range(1, count + 1)]


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    pauses: list[float] = []
    monkeypatch.setattr(repo, "_sleep", pauses.append)
    return pauses


class _Flaky:
    """Wraps a TableConnection method: the first ``times`` answers leave ``leave`` requests unprocessed."""

    def __init__(self, real: Any, kind: str, times: int, leave: int) -> None:
        self.real, self.kind, self.times, self.leave, self.calls = real, kind, times, leave, 0

    def write(self, put_items: list[Any], delete_items: list[Any]) -> dict[str, Any]:
        self.calls += 1
        if self.calls > self.times:
            return self.real(put_items=put_items, delete_items=delete_items)
        done, left = put_items[self.leave :], put_items[: self.leave]
        self.real(put_items=done, delete_items=delete_items)
        return {"UnprocessedItems": {self.kind: [{"PutRequest": {"Item": item}} for item in left]}}

    def get(self, keys: list[Any], consistent_read: bool | None = None) -> dict[str, Any]:
        self.calls += 1
        if self.calls > self.times:
            return self.real(keys, consistent_read=consistent_read)
        answer = self.real(keys[self.leave :], consistent_read=consistent_read)
        answer["UnprocessedKeys"] = {self.kind: {"Keys": keys[: self.leave]}}
        return answer


def test_batch_save_resends_unprocessed_items_until_every_record_is_written(
    account: Any, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
) -> None:
    # Given DynamoDB leaves 10 items of each of the first two BatchWriteItem answers unprocessed
    table = Site._get_connection()
    flaky = _Flaky(table.batch_write_item, Site.Meta.table_name, times=2, leave=10)
    monkeypatch.setattr(table, "batch_write_item", flaky.write)

    # When 60 sites are saved (three requests of at most 25)
    written = repo.batch_save(_sites(account.account_id, 60))

    # Then every site is stored, after resends with a backoff
    assert written == 60
    assert sorted(int(s.id) for s in repo.query_account(Site, account.account_id)) == list(range(1, 61))
    assert flaky.calls == 3 + 2 and len(no_sleep) == 2


def test_batch_save_raises_when_dynamodb_never_processes_the_leftovers(
    account: Any, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
) -> None:
    # Given DynamoDB never processes the first item of any request
    table = Site._get_connection()
    flaky = _Flaky(table.batch_write_item, Site.Meta.table_name, times=10_000, leave=1)
    monkeypatch.setattr(table, "batch_write_item", flaky.write)

    # When / Then: the write fails loudly instead of dropping the item
    with pytest.raises(BatchIncomplete, match="1 of 5 writes still unprocessed"):
        repo.batch_save(_sites(account.account_id, 5))
    assert flaky.calls == repo.BATCH_ATTEMPTS


def test_batch_get_resends_unprocessed_keys_and_keeps_the_order_of_the_ids(
    account: Any, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
) -> None:
    # Given 150 stored sites and a BatchGetItem that first leaves 30 keys unprocessed
    repo.batch_save(_sites(account.account_id, 150))
    table = Site._get_connection()
    flaky = _Flaky(table.batch_get_item, Site.Meta.table_name, times=1, leave=30)
    monkeypatch.setattr(table, "batch_get_item", flaky.get)

    # When they are read back in a shuffled order, with a duplicate and a missing id
    ids = [*range(150, 0, -2), *range(1, 150, 2), 7, 999]
    found = repo.batch_get(Site, account.account_id, ids)

    # Then all 150 come back once, in the order asked, in two chunks plus one resend
    assert [int(s.id) for s in found] == [i for i in dict.fromkeys(ids) if i != 999]
    assert flaky.calls == 3 and len(no_sleep) == 1


def test_batch_delete_and_mixed_models(account: Any) -> None:
    # Given sites and counters written in one call
    counters = [Counter(account.account_id, f"bench-{i}", value=i) for i in range(30)]
    assert repo.batch_save([*_sites(account.account_id, 30), *counters]) == 60

    # When 27 sites are deleted by key
    assert repo.batch_delete(Site, [(account.account_id, i) for i in range(1, 28)]) == 27

    # Then 3 sites remain and the counters are untouched
    assert [int(s.id) for s in repo.query_account(Site, account.account_id)] == [28, 29, 30]
    assert repo.get_one(Counter, account.account_id, "bench-29").value == 29  # type: ignore[union-attr]


def test_batch_save_writes_the_last_of_two_records_with_one_key(account: Any) -> None:
    first, second = Site(account.account_id, 1, name="first"), Site(account.account_id, 1, name="second")
    assert repo.save_all([first, second]) == 1
    assert repo.get_one(Site, account.account_id, 1).name == "second"  # type: ignore[union-attr]
    assert repo.batch_get(Keyword, account.account_id, []) == []
