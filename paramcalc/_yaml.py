"""The one place PyYAML is imported: a safe loader that also refuses duplicate keys and
alias bombs ("billion laughs": a few lines whose aliases expand to billions of nodes)."""

from __future__ import annotations

from typing import Any

import yaml

from paramcalc.errors import LoadError

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_Base):  # type: ignore[misc]
    """Safe loading (no object construction) + an error on duplicate mapping keys."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the base class reports it
                break
            if duplicate:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (YAML keeps only the last; remove one)", mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


MAX_NODES = 100_000  # values that aliases may add; a real config has a few hundred and no aliases
_CAP = 10**15  # expanded sizes are exact up to here; anything above is far past MAX_NODES anyway


def _alias_growth(root: Any) -> int:
    """How many values aliases add to the document when expanded, counted without expanding:
    each distinct node's expanded size is computed once (aliases share node objects), and the
    growth is the expanded size minus the distinct nodes. A plain file (no aliases) grows by 0,
    however large; an alias to its own ancestor grows without end."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # started, not finished: the ancestors of what is on top
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        value = node.value if isinstance(node.value, list) else []
        children = [c for item in value for c in (item if isinstance(item, tuple) else (item,))]
        if not children_done:
            if any(id(c) in open_nodes or c is node for c in children):
                return _CAP  # an alias to its own ancestor: infinite when expanded
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        open_nodes.discard(key)
        sizes[key] = min(_CAP, 1 + sum(sizes.get(id(c), 1) for c in children))
    return sizes.get(id(root), 1) - len(sizes)


def load(text: str, label: str) -> Any:
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if _alias_growth(node) > MAX_NODES:
                raise LoadError(
                    label,
                    f"YAML aliases expand to more than {MAX_NODES:,} values, or "
                    "refer to themselves (an alias bomb?); write the values out",
                )
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise LoadError(label, f"invalid YAML{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise LoadError(label, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise LoadError(label, "invalid YAML: nested too deeply") from None
    except ValueError as exc:  # int() of a number past Python's limit on digits read from text
        if "digits" not in str(exc):
            raise
        from paramcalc.loading import too_many_digits

        raise LoadError(label, too_many_digits()) from None


def dump(data: Any) -> str:
    """Block-style YAML in the order given (safe_dump: plain types only)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
