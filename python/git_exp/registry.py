"""Build objects from configs by class name (pyexp's registry; the Go package registry's rules).

::

    from git_exp import register, build

    @register
    class MLP:
        def __init__(self, size: int = 256):
            self.size = size

    model = build(MLP, {"type": "MLP", "size": 512})       # MLP(size=512)
    model = build(MLP, cfg["model"], size=1024)            # keyword arguments override the config
    model = build(MLP, model)                              # an instance passes through (after a type check)

Rules: ``@register`` uses the class name as the key; registering a name twice raises RuntimeError naming both
classes; ``build`` needs a ``type`` key in a dict config; keyword arguments override config values (dotted keys
update nested values); the built object must be an instance of the requested type.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Mapping, Optional, Type, TypeVar, Union

T = TypeVar("T")
C = TypeVar("C", bound=Callable[..., Any])

TYPE_KEY = "type"


class Registry:
    """A name → class (or factory) map. The module-level functions use :data:`default`."""

    def __init__(self) -> None:
        self._entries: Dict[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()

    def register(self, cls: Optional[C] = None, *, name: Optional[str] = None) -> Any:
        """Register ``cls`` under its ``__name__`` (or ``name``); usable as ``@register`` and ``@register(name=..)``."""
        if cls is None:
            return lambda c: self.register(c, name=name)
        key = name or getattr(cls, "__name__", None)
        if not key:
            raise ValueError(f"git_exp: register: {cls!r} has no __name__; pass name=")
        with self._lock:
            prev = self._entries.get(key)
            if prev is not None and prev is not cls:
                raise RuntimeError(
                    f"git_exp: {key!r} registered twice: {_where(prev)} and {_where(cls)}"
                )
            self._entries[key] = cls
        return cls

    def names(self) -> list:
        """The registered names, sorted."""
        with self._lock:
            return sorted(self._entries)

    def get(self, name: str) -> Optional[Callable[..., Any]]:
        """The class (or factory) registered under name, or None."""
        with self._lock:
            return self._entries.get(name)

    def unregister(self, name: str) -> None:
        """Forget name (for tests and notebooks that redefine a class)."""
        with self._lock:
            self._entries.pop(name, None)

    def build(self, tp: Any, cfg: Any, **kwargs: Any) -> Any:
        """Build a ``tp`` from ``cfg``; see the module documentation for the rules."""
        want = getattr(tp, "__name__", repr(tp))
        if isinstance(tp, type) and isinstance(cfg, tp):
            return cfg
        if cfg is None:
            raise TypeError(f"git_exp: cannot build a {want} from nothing (None); give a config with a {TYPE_KEY!r} key")
        if not isinstance(cfg, Mapping):
            raise TypeError(
                f"git_exp: cannot build a {want} from a {type(cfg).__name__}; give a {want} or a config with a "
                f"{TYPE_KEY!r} key"
            )
        from ._client import _copy

        args = _copy(dict(cfg))
        for k, v in kwargs.items():
            _set_dotted(args, k, v)
        if TYPE_KEY not in args:
            raise KeyError(
                f"git_exp: cannot build a {want}: the config has no {TYPE_KEY!r} key; registered types: {self._names_text()}"
            )
        name = args.pop(TYPE_KEY)
        if not isinstance(name, str):
            raise TypeError(
                f"git_exp: cannot build a {want}: {TYPE_KEY!r} must be a string, not {type(name).__name__} ({name!r}); "
                f"registered types: {self._names_text()}"
            )
        ctor = self.get(name)
        if ctor is None:
            raise KeyError(f"git_exp: cannot build a {want}: unknown type {name!r}; registered types: {self._names_text()}")
        if isinstance(tp, type) and isinstance(ctor, type) and not issubclass(ctor, tp):
            raise TypeError(f"git_exp: {name!r} ({_where(ctor)}) is not a {want}")
        out = ctor(**args)
        if isinstance(tp, type) and not isinstance(out, tp):
            raise TypeError(f"git_exp: {name!r} ({_where(ctor)}) built a {type(out).__name__}, which is not a {want}")
        return out

    def _names_text(self) -> str:
        names = self.names()
        return ", ".join(names) if names else "(none)"


def _where(obj: Any) -> str:
    mod = getattr(obj, "__module__", "?")
    qual = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    return f"{mod}.{qual}"


def _set_dotted(tree: dict, key: str, value: Any) -> None:
    if key in tree or "." not in key:
        tree[key] = value
        return
    parts = key.split(".")
    cur = tree
    for p in parts[:-1]:
        nxt = cur.get(p)
        if not isinstance(nxt, dict):
            nxt = cur[p] = {}
        cur = nxt
    cur[parts[-1]] = value


default = Registry()
"""The registry used by :func:`register` and :func:`build`."""


def register(cls: Any = None, *, name: Optional[str] = None) -> Any:
    """Register a class under its name: ``@register`` (or ``@register(name="Alias")``)."""
    return default.register(cls, name=name)


def build(tp: Union[Type[T], Any], cfg: Any, **kwargs: Any) -> T:
    """Build a ``tp`` from ``cfg`` (a dict with a ``type`` key, or already a ``tp``), kwargs overriding the config."""
    return default.build(tp, cfg, **kwargs)


__all__ = ["Registry", "register", "build", "default", "TYPE_KEY"]
