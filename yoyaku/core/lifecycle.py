"""Explicit state machines: one table per lifecycle and one way to move along it.

Every lifecycle (registrant, reservation, lottery application, change request, reduction
grant, penalty) declares ``{verb: (source states, target state)}``. A service moves a row with
:meth:`Lifecycle.transition` (or :meth:`Lifecycle.lock`, its own checks, then
:meth:`Lifecycle.move`): the row is locked, its state checked against the verb's sources, the
target and the other fields assigned, saved with ``update_fields``, and the audit row written —
all inside the caller's transaction. Pages ask :meth:`Lifecycle.allows` for their buttons, so
a button is shown exactly when the service would accept the verb.

No code assigns a state outside this helper, except documented bulk paths (the lottery
drawing) that write an audit row for each row they change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import models

from yoyaku.core.errors import DomainError
from yoyaku.core.services import audit_record

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Lifecycle(Generic[M]):
    model: type[M]
    table: Mapping[str, tuple[frozenset[str], str | None]]
    wrong_state: str  # the DomainError code of a refused verb
    state_field: str = "status"
    select_related: tuple[str, ...] = field(default=())

    def sources(self, verb: str) -> frozenset[str]:
        return self.table[verb][0]

    def target(self, verb: str) -> str | None:
        """None: the verb keeps the state (a change of details)."""
        return self.table[verb][1]

    def allows(self, obj: M, verb: str) -> bool:
        return getattr(obj, self.state_field) in self.sources(verb)

    def lock(self, obj: M, verb: str) -> M:
        """The row, fresh and locked for this transaction; refused unless ``verb`` applies."""
        query = self.model._default_manager.select_for_update(of=("self",))
        if self.select_related:
            query = query.select_related(*self.select_related)
        fresh = query.get(pk=obj.pk)
        if not self.allows(fresh, verb):
            display = getattr(fresh, f"get_{self.state_field}_display", None)
            state = display() if display else getattr(fresh, self.state_field)
            raise DomainError(self.wrong_state, status=state)
        return fresh

    def move(
        self,
        obj: M,
        verb: str,
        *,
        audit: Mapping[str, Any] | None,
        fields: Iterable[str] = (),
        **assign: Any,
    ) -> M:
        """Assign the verb's target and ``assign``, save those fields (and ``fields``), and
        write the audit row from ``audit`` (the keywords of ``audit_record``, without the
        target). ``obj`` must come from :meth:`lock` in the same transaction."""
        if not self.allows(obj, verb):  # a caller that skipped lock()
            raise DomainError(self.wrong_state, status=getattr(obj, self.state_field))
        target = self.target(verb)
        names = [*assign, *fields]
        if target is not None:
            setattr(obj, self.state_field, target)
            names.insert(0, self.state_field)
        for name, value in assign.items():
            setattr(obj, name, value)
        if names:
            obj.save(update_fields=list(dict.fromkeys(names)))
        if audit is not None:
            audit_record(target=obj, **audit)
        return obj

    def transition(
        self,
        obj: M,
        verb: str,
        *,
        audit: Mapping[str, Any] | None,
        fields: Iterable[str] = (),
        **assign: Any,
    ) -> M:
        return self.move(self.lock(obj, verb), verb, audit=audit, fields=fields, **assign)


def table(
    **verbs: tuple[Iterable[str], str | None],
) -> dict[str, tuple[frozenset[str], str | None]]:
    """``table(approve=([A], B), …)`` with the sources frozen."""
    return {verb: (frozenset(sources), target) for verb, (sources, target) in verbs.items()}
