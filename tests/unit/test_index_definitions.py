"""The models' GSIs and template.yaml agree key by key, and derived index keys are well formed."""

from __future__ import annotations

from typing import Any

import pytest

from local_stack.template import table_definitions
from shared.db.base import all_models
from shared.db.derived import DerivedKeysModel, index_key, ref
from shared.db.models import Cluster, Content, ContentIdea, Job, Keyword, WriterTask


def _tables() -> dict[str, dict[str, Any]]:
    return {t["create"]["TableName"].removeprefix("x-"): t["create"] for t in table_definitions("x")}


def _index_cases() -> list[tuple[str, Any]]:
    return [(m.table_suffix, index) for m in all_models() for index in m._indexes.values()]


@pytest.mark.parametrize(("suffix", "index"), _index_cases(), ids=lambda v: getattr(v, "__name__", str(v)))
def test_every_model_index_is_declared_alike_in_the_template(suffix, index):
    table = _tables()[suffix]
    declared = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes", [])}
    name = index.Meta.index_name
    assert name in declared, f"{suffix}: {name} is not in template.yaml"
    keys = {k["KeyType"]: k["AttributeName"] for k in declared[name]["KeySchema"]}
    model_keys = {
        ("RANGE" if a.is_range_key else "HASH"): a.attr_name
        for a in index.Meta.attributes.values()
        if a.is_hash_key or a.is_range_key
    }
    assert keys == model_keys, f"{suffix}.{name}"
    types = {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]}
    for attribute in index.Meta.attributes.values():
        assert types[attribute.attr_name] == attribute.attr_type, f"{suffix}.{name}.{attribute.attr_name}"
    projection = declared[name]["Projection"]
    assert projection["ProjectionType"] == index.Meta.projection.projection_type, f"{suffix}.{name}"
    if projection["ProjectionType"] == "INCLUDE":
        assert set(projection["NonKeyAttributes"]) == set(index.Meta.projection.non_key_attributes)


@pytest.mark.parametrize(
    "model", [Keyword, Cluster, ContentIdea, WriterTask, Content, Job], ids=lambda m: m.__name__
)
def test_derived_keys_name_real_attributes_and_every_ref_keyed_index_is_derived(model):
    assert issubclass(model, DerivedKeysModel)
    attributes = model.get_attributes()
    for name, sources in model.derived_keys.items():
        assert name in attributes and set(sources) <= set(attributes), name
    for index in model._indexes.values():
        hash_name = next(a.attr_name for a in index.Meta.attributes.values() if a.is_hash_key)
        if hash_name.endswith("_ref") and hash_name != "name_ref":
            assert hash_name in model.derived_keys, f"{index.Meta.index_name}: {hash_name} is not derived"


def test_derived_values_of_a_record():
    task = WriterTask("acct", 4, title="t", cluster_id=7.0, status="queued")
    task.sync_refs()
    assert (task.status_ref, task.cluster_ref, task.cluster_status_ref) == (
        "acct#queued",
        "acct#7",
        "acct#7#queued",
    )
    task.cluster_id = None
    task.sync_refs()
    assert (task.cluster_ref, task.cluster_status_ref) == (None, None)
    cluster = Cluster("acct", 1, name="x", name_ref="r", site_id=2, sector_id=3, status="active")
    assert cluster.derive_keys() == {
        "scope_ref": "acct#2#3",
        "status_ref": "acct#active",
        "scope_status_ref": "acct#2#3#active",
        "needs_ideas_ref": "acct",
    }
    cluster.has_ideas = True
    assert cluster.derive_keys()["needs_ideas_ref"] is None
    assert ref("acct", 5, None) is None and index_key("acct", 5, "mapped") == "acct#5#mapped"
    with pytest.raises(ValueError):
        index_key("acct", None)
