"""Decoding params into dataclasses, with the Go library's exp.Decode rules."""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Any, Mapping


_UnionType = getattr(__import__("types"), "UnionType", None)  # `int | None` (Python >= 3.10)


class ParamsError(ValueError):
    """Params that do not fit the defaults' dataclass: every mismatch, one per line."""


def _norm(s: str) -> str:
    return s.lower().replace("_", "").replace("-", "")


def _lookup(fields: list[dataclasses.Field], key: str) -> dataclasses.Field | None:
    # An exact name first, then ignoring case, then ignoring case, '_' and '-' (batch_size ~ batchSize).
    for f in fields:
        if f.name == key:
            return f
    for f in fields:
        if f.name.lower() == key.lower():
            return f
    n = _norm(key)
    for f in fields:
        if _norm(f.name) == n:
            return f
    return None


def _describe(v: Any) -> str:
    if isinstance(v, str):
        return f"string {v[:37] + '...' if len(v) > 40 else v!r}"
    if isinstance(v, bool):
        return f"bool {v}"
    if isinstance(v, int):
        return f"int {v}"
    if isinstance(v, float):
        return f"float {v!r}"
    if isinstance(v, dict):
        return "a map"
    if isinstance(v, list):
        return "a list"
    return f"{type(v).__name__} {v!r}"


def decode(defaults: Any, params: Mapping[str, Any], allow_unknown: bool = False) -> Any:
    """Return a new dataclass instance: ``defaults`` (an instance, or a class whose fields all have defaults)
    with ``params`` decoded onto it.

    A key matches a field by name, else ignoring case and '_' or '-'. Nested dicts decode into nested
    dataclass fields (their absent keys keep their defaults) and merge into dict fields; lists replace. An int
    fits a float field; a float fits an int field only when integral; bool, int, float and str fields take only
    their own kind. A key matching no field is an error naming it and the fields, unless ``allow_unknown``.
    Every mismatch is reported at once (ParamsError).
    """
    errors: list[str] = []
    obj = defaults() if isinstance(defaults, type) else defaults
    if not dataclasses.is_dataclass(obj):
        raise TypeError(f"git_exp: params: defaults must be a dict or a dataclass, not {type(defaults).__name__}")
    out = _decode_dc("", obj, params, errors, allow_unknown)
    if errors:
        raise ParamsError("\n".join(errors))
    return out


def _decode_dc(path: str, obj: Any, params: Mapping[str, Any], errors: list[str], allow_unknown: bool) -> Any:
    cls = type(obj)
    fields = [f for f in dataclasses.fields(obj) if f.init]
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        hints = {f.name: f.type for f in fields}
    changes: dict[str, Any] = {}
    set_by: dict[str, str] = {}
    for key in sorted(params):
        src = params[key]
        f = _lookup(fields, key)
        if f is None and "." in key:
            head, rest = key.split(".", 1)
            f = _lookup(fields, head) if head and rest else None
            if f is not None:
                src, key = {rest: src}, head
        full = f"{path}.{key}" if path else key
        if f is None:
            if not allow_unknown:
                errors.append(
                    f"git_exp: unknown param {full!r} ({cls.__name__} has: {', '.join(x.name for x in fields)}); "
                    "pass allow_unknown=True to ignore unknown params"
                )
            continue
        if f.name in set_by and set_by[f.name] != key:
            errors.append(f"git_exp: param {full!r}: sets the same field {f.name} as {set_by[f.name]!r}")
            continue
        set_by[f.name] = key
        cur = changes.get(f.name, getattr(obj, f.name))
        changes[f.name] = _value(full, cur, hints.get(f.name, Any), src, errors, allow_unknown)
    return dataclasses.replace(obj, **changes) if changes else dataclasses.replace(obj)


def _value(path: str, cur: Any, tp: Any, src: Any, errors: list[str], allow_unknown: bool) -> Any:
    def mismatch(what: str, hint: str = "") -> Any:
        errors.append(f"git_exp: param {path!r}: cannot use {_describe(src)} as {what}{hint}")
        return cur

    origin = typing.get_origin(tp)
    if origin is typing.Union or (_UnionType is not None and origin is _UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if src is None:
            return None
        if len(args) == 1:
            tp, origin = args[0], typing.get_origin(args[0])
        else:
            return src
    if src is None:
        return None
    if dataclasses.is_dataclass(cur) and not isinstance(cur, type):
        if not isinstance(src, Mapping):
            return mismatch(type(cur).__name__)
        return _decode_dc(path, cur, src, errors, allow_unknown)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(src, Mapping):
            return mismatch(tp.__name__)
        try:
            base = tp()
        except TypeError:
            return mismatch(tp.__name__, " (its fields need defaults)")
        return _decode_dc(path, base, src, errors, allow_unknown)
    if tp is bool:
        return src if isinstance(src, bool) else mismatch("bool")
    if tp is int:
        if isinstance(src, bool):
            return mismatch("int")
        if isinstance(src, int):
            return src
        if isinstance(src, float):
            if math.isfinite(src) and src == int(src):
                return int(src)
            return mismatch("int", " (not an integer)")
        return mismatch("int")
    if tp is float:
        if isinstance(src, bool):
            return mismatch("float")
        if isinstance(src, (int, float)):
            return float(src)
        if src in ("NaN", "Infinity", "-Infinity", "+Inf", "-Inf", "Inf"):
            return float(src)
        return mismatch("float")
    if tp is str:
        if isinstance(src, str):
            return src
        return mismatch("str", " (quote it to make it a string, e.g. --param key='\"3\"')")
    if tp is dict or origin is dict or (tp is Any and isinstance(cur, dict)):
        if not isinstance(src, Mapping):
            return mismatch("dict")
        from ._client import _copy, _merge

        return _merge(_copy(dict(cur)) if isinstance(cur, dict) else {}, src)
    if tp in (list, tuple) or origin in (list, tuple):
        if not isinstance(src, list):
            return mismatch("list")
        return list(src) if (tp is list or origin is list) else tuple(src)
    return src
