"""Index keys derived from the record on every write, so they never disagree with it.

A model whose GSIs are keyed by values computed from the record (``"{account}#{status}"``,
``"{account}#{cluster}#{status}"``, a sparse marker) subclasses ``DerivedKeysModel``:
``derived_keys`` names each key attribute and the attributes it is computed from, and
``derive_keys()`` computes them all from the record. Then:

- every put (``save``, ``repo.batch_save``, a transaction's ``save``) writes keys derived from the
  record: ``serialize`` derives them first;
- every ``update(actions)`` that sets or removes a source attribute sets the keys in the same
  UpdateItem, computed from the record as this instance holds it with the actions applied, and
  guarded by a condition that the sources the actions leave alone still hold the values the keys
  were computed from. When the guard fails (a stale instance, or a partial one: a bare
  ``Model(hash, range)``, an index projection), the record is read again (consistent) and the
  update retried once with a new guard (unless the re-read shows the guard held: then the
  caller's own condition failed, and its UpdateError is raised). When it fails again, or a source
  is set by an expression that cannot be evaluated here (``add``, ``if_not_exists``...), the
  caller's update runs as given and a second UpdateItem, conditional on the sources it saw,
  settles the keys from the record the first one returned (a concurrent writer that changed a
  source settles its own).

A ``TransactWrite.update`` of such a model carries the keys too (``get_update_kwargs_from_instance``),
computed from the instance with the actions applied but without a guard: a cancelled transaction
cannot tell a failed guard from the caller's own condition, so update a freshly read instance.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from pynamodb.attributes import Attribute
from pynamodb.constants import NULL
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path, Value
from pynamodb.expressions.update import Action, RemoveAction, SetAction

from shared.db.base import BaseModel

#: A source attribute set by an expression whose result is only known to DynamoDB.
_UNKNOWN = object()


def index_key(account_id: str, *parts: Any) -> str:
    """``{account}#{part}#...``: the hash key of one partition of a derived-key index."""
    if any(part is None for part in parts):
        raise ValueError("an index key has no empty part")
    texts = [str(int(p)) if isinstance(p, int | float) and not isinstance(p, bool) else str(p) for p in parts]
    return "#".join([account_id, *texts])


def ref(account_id: str, *parts: Any) -> str | None:
    """``index_key``, or None (the record is not in that index) when a part is None."""
    return None if any(part is None for part in parts) else index_key(account_id, *parts)


def _and(condition: Condition | None, other: Condition | None) -> Condition | None:
    if condition is None:
        return other
    return condition if other is None else condition & other


def _condition_failed(exc: UpdateError) -> bool:
    return getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException"


class DerivedKeysModel(BaseModel):
    """Base of the models with derived index keys (see the module docstring)."""

    #: key attribute -> the (python) attribute names it is computed from
    derived_keys: ClassVar[dict[str, tuple[str, ...]]] = {}

    class Meta:
        table_name = "unbound"

    def derive_keys(self) -> dict[str, Any]:
        """Every derived key attribute and its value for the record as it is (None: not indexed)."""
        return {}

    def sync_refs(self) -> None:
        """Set the derived key attributes from the record."""
        for name, value in self.derive_keys().items():
            setattr(self, name, value)

    def serialize(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.sync_refs()
        return super().serialize(*args, **kwargs)  # type: ignore[no-any-return]

    # ------------------------------------------------------------ updates
    @classmethod
    def key_sources(cls) -> set[str]:
        return {source for sources in cls.derived_keys.values() for source in sources}

    def update(
        self, actions: list[Action], condition: Condition | None = None, *, add_version_condition: bool = True
    ) -> Any:
        touched = self._touched(actions)
        sources = self.key_sources()
        if not touched.keys() & sources:
            return super().update(actions, condition, add_version_condition=add_version_condition)
        if all(touched[name] is not _UNKNOWN for name in touched.keys() & sources):
            base: DerivedKeysModel | None = self
            untouched = sorted(sources - touched.keys())
            for attempt in (1, 2):
                assert base is not None
                extra, guard = base._key_plan(touched, actions)
                try:
                    return super().update(
                        [*actions, *extra],
                        _and(condition, guard),
                        add_version_condition=add_version_condition,
                    )
                except UpdateError as exc:
                    if not _condition_failed(exc):
                        raise
                    fresh = self._fresh() if attempt == 1 else None
                    held = fresh is not None and all(getattr(fresh, n) == getattr(base, n) for n in untouched)
                    if held and condition is not None:
                        raise  # the guard held: the caller's own condition failed
                base = fresh
                if base is None:
                    break
        data = super().update(actions, condition, add_version_condition=add_version_condition)
        self._settle_keys()
        return data

    def get_update_kwargs_from_instance(
        self,
        actions: list[Action],
        condition: Condition | None = None,
        return_values_on_condition_failure: str | None = None,
        *,
        add_version_condition: bool = True,
    ) -> dict[str, Any]:
        """A transaction's update (``TransactWrite.update``), with the derived keys it changes."""
        touched = self._touched(actions)
        if touched.keys() & self.key_sources():
            if any(touched[name] is _UNKNOWN for name in touched.keys() & self.key_sources()):
                raise ValueError(
                    f"{type(self).__name__}: a transaction sets an index key source by an expression"
                )
            extra, _guard = self._key_plan(touched, actions)
            actions = [*actions, *extra]
        return super().get_update_kwargs_from_instance(  # type: ignore[no-any-return]
            actions,
            condition,
            return_values_on_condition_failure,
            add_version_condition=add_version_condition,
        )

    def _touched(self, actions: list[Action]) -> dict[str, Any]:
        """Top-level attributes the actions set or remove, with their new values where known."""
        attributes = self.get_attributes()
        python_names = {attribute.attr_name: name for name, attribute in attributes.items()}
        touched: dict[str, Any] = {}
        for action in actions:
            path = action.values[0]
            if not isinstance(path, Path):
                continue
            segments = path.path
            name = python_names.get(segments[0], segments[0])
            operand = action.values[1] if len(action.values) > 1 else None
            if len(segments) == 1 and isinstance(action, RemoveAction):
                touched[name] = None
            elif len(segments) == 1 and isinstance(action, SetAction) and isinstance(operand, Value):
                attribute = attributes.get(name)
                raw = operand.value
                if attribute is None or NULL in raw:
                    touched[name] = None
                else:
                    touched[name] = attribute.deserialize(attribute.get_value(raw))
            else:
                touched[name] = _UNKNOWN
        return touched

    def _key_plan(
        self, touched: dict[str, Any], actions: list[Action]
    ) -> tuple[list[Action], Condition | None]:
        """The SET/REMOVE actions of the keys for this record with ``touched`` applied, and the
        guard that the untouched sources still hold the values used."""
        planned = copy.copy(self)
        planned.attribute_values = dict(self.attribute_values)
        for name, value in touched.items():
            if value is not _UNKNOWN:
                setattr(planned, name, value)
        attributes = self.get_attributes()
        already = {str(action.values[0].path[0]) for action in actions if isinstance(action.values[0], Path)}
        extra: list[Action] = []
        for name, value in planned.derive_keys().items():
            attribute = attributes[name]
            if attribute.attr_name in already:
                continue
            extra.append(attribute.remove() if value is None else attribute.set(value))
        guard: Condition | None = None
        for name in sorted(self.key_sources() - touched.keys()):
            guard = _and(guard, _holds(attributes[name], getattr(self, name)))
        return extra, guard

    def _fresh(self) -> DerivedKeysModel | None:
        """The stored record (consistent read), or None."""
        range_attr = self._range_key_attribute()
        try:
            return type(self).get(
                getattr(self, self._hash_key_attribute().attr_name),
                getattr(self, range_attr.attr_name) if range_attr is not None else None,
                consistent_read=True,
            )
        except DoesNotExist:
            return None

    def _settle_keys(self) -> None:
        """After an update the keys could not go with: set them from the record it returned."""
        wanted = self.derive_keys()
        wrong = {name: value for name, value in wanted.items() if getattr(self, name) != value}
        if not wrong:
            return
        attributes = self.get_attributes()
        actions: list[Action] = [
            attributes[name].remove() if value is None else attributes[name].set(value)
            for name, value in wrong.items()
        ]
        guard: Condition | None = None
        for name in sorted(self.key_sources()):
            guard = _and(guard, _holds(attributes[name], getattr(self, name)))
        try:
            super().update(actions, guard)
        except UpdateError as exc:
            if not _condition_failed(exc):
                raise
            # A source changed since: that write derived (or settles) the keys of its own record.


def _holds(attribute: Attribute[Any], value: Any) -> Condition:
    """The stored attribute has ``value`` (absent counts as None, and as the attribute's default)."""
    if value is None:
        return attribute.does_not_exist()
    condition = attribute == value
    default = attribute.default() if callable(attribute.default) else attribute.default
    if default is not None and default == value:
        condition = condition | attribute.does_not_exist()
    return condition
