"""Contents: values that hold other values at a position, a constant key or a field.

In the sense of CodeQL's content-sensitive data flow, a tuple, list, dict or record (a namedtuple, a
dataclass, a ``ModelOutput``) is one abstract value, ``Contents``, whose elements are values in turn.
Reading ``out[1]``, ``out["seg"]``, ``out.probs`` or unpacking ``v, p = D(x)`` takes the element back
out; writing ``out["seg"] = p``, ``outs.append(p)`` or ``out.update(...)`` makes a new ``Contents``.
An element at an unknown position, or a read with an index that is not a constant, gives the join of
all elements that may be there: for a may-analysis that is the only sound answer.

Every function here is pure: values in, values out. Tensors read by index keep their kind
(``probs[0]`` is still probabilities), and a value from another module (``Pending``) is read lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from seglint.analysis.values import UNKNOWN, Param, Pending, TensorOf, Value

# Longer literals, and lists grown past this, keep only the join of their elements.
MAX_ELEMENTS = 64
# Contents nested deeper than this collapse to the join of their elements: a loop that wraps a value
# in a new tuple on every pass must still settle.
MAX_DEPTH = 6


@dataclass(frozen=True)
class Contents:
    """Elements known by position (``head`` from the start, ``tail`` from the end), by constant key
    (dict keys and record fields), and ``rest``: elements whose position or key is not known.

    ``exact``: ``head`` is the whole sequence (nothing in ``tail`` or ``rest``), so ``out[-1]`` is
    ``head[-1]``. ``record``: the keys are fields read as attributes (``out.probs``).
    """

    head: tuple[Value, ...] = ()
    tail: tuple[Value, ...] = ()
    rest: Value = UNKNOWN
    keys: tuple[tuple[object, Value], ...] = ()
    exact: bool = True
    record: bool = False

    def everything(self) -> Value:
        """The join of every element: what an unknown index or an iteration may give."""
        joined: set = set(self.rest)
        for value in (*self.head, *self.tail, *(value for _, value in self.keys)):
            joined |= value
        return frozenset(joined)

    def key(self, key: object) -> Value:
        for known, value in self.keys:
            if known == key:
                return value | self.rest
        return self.rest

    def element(self, index: int) -> Value:
        if self.exact:
            return self.head[index] if -len(self.head) <= index < len(self.head) else UNKNOWN
        if 0 <= index < len(self.head):
            return self.head[index]
        if index < 0 and -index <= len(self.tail):
            return self.tail[index]
        # Past what is known: any element of unknown position, or a known one it may be shifted to.
        return self.everything()


EMPTY = Contents()


def sequence(elements: Sequence[Value], starred: Sequence[bool] = ()) -> Value:
    """A tuple or list literal; a ``*spread`` element splices its own elements in, when known."""
    head: list[Value] = []
    tail: list[Value] = []
    rest: set = set()
    exact = True
    for position, value in enumerate(elements):
        if position < len(starred) and starred[position]:
            spliced = exact_elements(value)
            if spliced is not None and exact:
                head.extend(spliced)
                continue
            if spliced is not None:
                tail.extend(spliced)
                continue
            for known in tail:  # elements after an earlier unknown spread: positions now unknown
                rest |= known
            tail = []
            exact = False
            rest |= elements_of(value)
            continue
        (head if exact else tail).append(value)
    return _bounded(Contents(tuple(head), tuple(tail), frozenset(rest), exact=exact))


def mapping(entries: Iterable[tuple[object, Value]], spread: Iterable[Value] = ()) -> Value:
    """A dict literal: entries under constant keys (``NOT_CONSTANT`` for any other key), ``**d`` merged.

    A spread of a value not known yet makes the whole dict wait for it: which keys it brings decides
    what the literal's own keys shadow."""
    entries, spread = tuple(entries), tuple(spread)
    waiting = next((p for value in spread for p in value if isinstance(p, Pending)), None)
    if waiting is not None:
        return frozenset(
            {
                waiting.derived(
                    ("mapping", entries, spread),
                    lambda _: mapping(entries, tuple(_settled(value) for value in spread)),
                )
            }
        )
    result = Contents()
    for other in spread:
        result = _merge_one(result, other)
    keys = dict(result.keys)
    rest: set = set(result.rest)
    for key, value in entries:
        if key is NOT_CONSTANT:
            rest |= value
        else:
            keys[key] = value
    return _bounded(replace(result, keys=tuple(keys.items()), rest=frozenset(rest)))


def record(fields: Iterable[tuple[str, Value]]) -> Value:
    """A namedtuple / dataclass / ``ModelOutput``-like result: fields by name, also by position."""
    pairs = tuple(fields)
    return _bounded(Contents(head=tuple(value for _, value in pairs), keys=pairs, record=True))


class _NotConstant:
    def __repr__(self) -> str:
        return "NOT_CONSTANT"


NOT_CONSTANT = _NotConstant()


# ----------------------------------------------------------------------------- reads
def _read(
    value: Value, key: tuple, read: Callable[[Contents], Value], step: str, keep_tensors: bool
) -> Value:
    """``read`` applied to every ``Contents`` possibility; tensors indexed keep their kind (when
    ``keep_tensors``); a pending value is read once it resolves. Tensors taken out of a model's or
    helper's result say where they were in it (``step``)."""
    result: set = set()
    for p in value:
        if isinstance(p, Contents):
            result |= _with_step(read(p), step)
        elif isinstance(p, (TensorOf, Param)) and keep_tensors:
            result.add(p)
        elif isinstance(p, Pending):
            result.add(
                p.derived(key, lambda resolved: _read(_settled(resolved), key, read, step, keep_tensors))
            )
    return frozenset(result)


def element(value: Value, index: int) -> Value:
    """``value[index]`` for a constant integer index (also what unpacking gives the target there)."""
    return _read(value, ("element", index), lambda c: c.element(index), f"element {index}", True)


def item(value: Value, key: object) -> Value:
    """``value[key]`` for a constant key: an integer indexes a sequence, anything else a dict."""
    if isinstance(key, int) and not isinstance(key, bool):
        return _read(
            value,
            ("item", key),
            lambda c: c.key(key) if c.keys and not c.head else c.element(key),
            f"element {key}",
            True,
        )
    return _read(value, ("item", key), lambda c: c.key(key), f"the {key!r} entry", True)


def field(value: Value, name: str) -> Value:
    """``value.name`` of a record (``out.probs``); other contents have no such attribute."""
    return _read(
        value, ("field", name), lambda c: c.key(name) if c.record else UNKNOWN, f"the `{name}` field", False
    )


def elements_of(value: Value) -> Value:
    """What iterating ``value`` (or indexing it with an unknown index) may give: every element."""
    return _read(value, ("elements",), Contents.everything, "an element", True)


def sliced(value: Value) -> Value:
    """``value[a:b]``: a sequence holding some of the elements, in unknown positions."""
    result: set = set()
    for p in value:
        if isinstance(p, Contents):
            result.add(Contents(rest=p.everything(), exact=False))
        elif isinstance(p, (TensorOf, Param)):
            result.add(p)
        elif isinstance(p, Pending):
            result.add(p.derived(("sliced",), lambda resolved: sliced(_settled(resolved))))
    return frozenset(result)


def unpacked(value: Value, before: int, starred: bool, after: int) -> list[Value]:
    """The values ``a, *b, c = value`` binds, in target order (``before`` targets, then the starred
    one if any, then ``after``)."""
    targets = [element(value, index) for index in range(before)]
    if starred:
        middle: set = set()
        for p in value:
            if isinstance(p, Contents):
                middle.add(_middle(p, before, after))
            elif isinstance(p, Pending):
                middle.add(
                    p.derived(
                        ("middle", before, after),
                        lambda r: unpacked(_settled(r), before, True, after)[before],
                    )
                )
        targets.append(frozenset(middle))
    targets.extend(element(value, index - after) for index in range(after))
    return targets


def _middle(contents: Contents, before: int, after: int) -> Contents:
    if contents.exact:
        end = len(contents.head) - after
        taken = contents.head[before:end] if end >= before else ()
        return Contents(tuple(_with_step(v, f"element {before + i}") for i, v in enumerate(taken)))
    return Contents(rest=contents.everything(), exact=False)


def exact_elements(value: Value) -> tuple[Value, ...] | None:
    """The elements of ``value`` when it is one exactly known sequence."""
    if len(value) == 1:
        (only,) = value
        if isinstance(only, Contents) and only.exact and not only.keys:
            return only.head
    return None


# ----------------------------------------------------------------------------- writes
def with_item(value: Value, key: object, new: Value) -> Value:
    """``value[key] = new``: the same contents with that element replaced (or added, for a dict)."""
    result: set = set()
    for p in value:
        if not isinstance(p, Contents):
            result.add(p)
        elif key is NOT_CONSTANT:
            result.add(replace(p, rest=p.rest | new))
        elif isinstance(key, int) and not isinstance(key, bool) and p.head and not p.keys:
            result.add(_with_position(p, key, new))
        else:
            keys = dict(p.keys)
            keys[key] = new
            result.add(replace(p, keys=tuple(keys.items())))
    return _bounded_value(frozenset(result))


def _with_position(contents: Contents, index: int, new: Value) -> Contents:
    if contents.exact and -len(contents.head) <= index < len(contents.head):
        head = list(contents.head)
        head[index] = new
        return replace(contents, head=tuple(head))
    return replace(contents, rest=contents.rest | new)


def appended(value: Value, new: Value) -> Value:
    """``value.append(new)``: ``new`` is now the last element."""
    result: set = set()
    for p in value:
        if not isinstance(p, Contents):
            result.add(p)
        elif p.exact:
            result.add(replace(p, head=(*p.head, new)))
        else:
            result.add(replace(p, tail=(*p.tail, new)))
    return _bounded_value(frozenset(result))


def extended(value: Value, other: Value) -> Value:
    """``value.extend(other)`` / ``value + other``: the elements of ``other`` follow."""
    spliced = exact_elements(other)
    result: set = set()
    for p in value:
        if not isinstance(p, Contents):
            result.add(p)
        elif spliced is not None and p.exact:
            result.add(replace(p, head=(*p.head, *spliced)))
        elif spliced is not None:
            result.add(replace(p, tail=(*p.tail, *spliced)))
        else:
            unplaced = frozenset().union(p.rest, *p.tail, elements_of(other))
            result.add(Contents(head=p.head, rest=unplaced, exact=False))
    return _bounded_value(frozenset(result))


def merged(value: Value, other: Value) -> Value:
    """``value.update(other)``: ``other``'s keys replace or join ``value``'s."""
    result: set = set()
    for p in value:
        result.add(_merge_one(p, other) if isinstance(p, Contents) else p)
    return _bounded_value(frozenset(result))


def _merge_one(contents: Contents, other: Value) -> Contents:
    keys = dict(contents.keys)
    rest: set = set(contents.rest)
    for p in other:
        if isinstance(p, Contents):
            keys.update(p.keys)
            rest |= p.rest
        elif isinstance(p, Pending):
            rest.add(p.derived(("merged-values",), lambda r: elements_of(_settled(r))))
    return replace(contents, keys=tuple(keys.items()), rest=frozenset(rest))


# ----------------------------------------------------------------------------- element-wise maps
def mapped(value: Value, change: Callable[[TensorOf], TensorOf], key: object) -> Value:
    """``value`` with ``change`` applied to every tensor, also inside contents (to label what a model
    returns with the model's name); ``key`` names the change for pending values."""
    result: set = set()
    for p in value:
        if isinstance(p, TensorOf):
            result.add(change(p))
        elif isinstance(p, Contents):
            result.add(
                Contents(
                    tuple(mapped(v, change, key) for v in p.head),
                    tuple(mapped(v, change, key) for v in p.tail),
                    mapped(p.rest, change, key),
                    tuple((k, mapped(v, change, key)) for k, v in p.keys),
                    p.exact,
                    p.record,
                )
            )
        elif isinstance(p, Pending):
            result.add(p.derived(("mapped", key), lambda r: mapped(r, change, key)))
        else:
            result.add(p)
    return frozenset(result)


def _with_step(value: Value, step: str) -> Value:
    """Tensors a model or helper returned, taken out of its result, say which element they were."""
    if not any(isinstance(p, TensorOf) and p.via and not p.step for p in value):
        return value
    return frozenset(
        replace(p, step=step) if isinstance(p, TensorOf) and p.via and not p.step else p for p in value
    )


def _settled(value: Value) -> Value:
    """A pending value's resolution, itself free of pending values at the top."""
    from seglint.analysis.values import resolved

    return resolved(value)


# ----------------------------------------------------------------------------- bounds
def depth(value: Value, limit: int = MAX_DEPTH + 1) -> int:
    deepest = 0
    for p in value:
        if isinstance(p, Contents):
            inner = 1 + max(
                (depth(v, limit - 1) for v in (*p.head, *p.tail, p.rest, *(v for _, v in p.keys))), default=0
            )
            deepest = max(deepest, inner)
            if deepest >= limit:
                return deepest
    return deepest


def _bounded(contents: Contents) -> Value:
    return _bounded_value(frozenset({contents}))


def _bounded_value(value: Value) -> Value:
    """Contents past ``MAX_ELEMENTS`` or nested past ``MAX_DEPTH`` keep only the join of their
    elements, at an unknown position."""
    result: set = set()
    for p in value:
        if isinstance(p, Contents) and (
            len(p.head) + len(p.tail) + len(p.keys) > MAX_ELEMENTS or depth(frozenset({p})) > MAX_DEPTH
        ):
            result.add(Contents(rest=_flattened(p.everything()), exact=False))
        else:
            result.add(p)
    return frozenset(result)


def _flattened(value: Value) -> Value:
    """``value`` with every nested contents replaced by its elements (an over-deep value)."""
    result: set = set()
    for p in value:
        if isinstance(p, Contents):
            result |= _flattened(p.everything())
        else:
            result.add(p)
    return frozenset(result)
