"""The registry: pyexp's rules (register by class name, duplicates an error, build with a type key)."""

from __future__ import annotations

import pytest

import git_exp
from git_exp.registry import Registry


class Model:
    pass


@pytest.fixture
def reg() -> Registry:
    return Registry()


def test_register_and_build(reg):
    @reg.register
    class MLP(Model):
        def __init__(self, size: int = 256, depth: int = 2):
            self.size, self.depth = size, depth

    cfg = {"type": "MLP", "size": 512}
    m = reg.build(Model, cfg)
    assert isinstance(m, MLP) and (m.size, m.depth) == (512, 2)
    assert cfg == {"type": "MLP", "size": 512}  # the config is not modified
    assert reg.build(Model, cfg, size=1024, depth=3).size == 1024  # kwargs override
    assert reg.build(MLP, m) is m  # an instance passes through
    assert reg.names() == ["MLP"] and reg.get("MLP") is MLP


def test_register_with_name_and_same_class_twice(reg):
    class A:
        pass

    reg.register(A, name="Alias")
    reg.register(A, name="Alias")  # the same class again is not a collision
    assert reg.get("Alias") is A
    reg.unregister("Alias")
    assert reg.get("Alias") is None


def test_duplicate_names_both(reg):
    def first():
        class Net:
            pass

        return Net

    def second():
        class Net:
            pass

        return Net

    reg.register(first())
    with pytest.raises(RuntimeError, match=r"'Net' registered twice: .*first\.<locals>\.Net and .*second\.<locals>\.Net"):
        reg.register(second())


def test_build_errors(reg):
    @reg.register
    class Good(Model):
        def __init__(self, x=1):
            self.x = x

    @reg.register
    class Other:
        def __init__(self):
            pass

    with pytest.raises(KeyError, match="no 'type' key; registered types: Good, Other"):
        reg.build(Model, {"x": 1})
    with pytest.raises(KeyError, match="unknown type 'Nope'; registered types: Good, Other"):
        reg.build(Model, {"type": "Nope"})
    with pytest.raises(TypeError, match="'type' must be a string"):
        reg.build(Model, {"type": 3})
    with pytest.raises(TypeError, match="'Other' .* is not a Model"):
        reg.build(Model, {"type": "Other"})
    with pytest.raises(TypeError, match="from nothing"):
        reg.build(Model, None)
    with pytest.raises(TypeError, match="cannot build a Model from a int"):
        reg.build(Model, 3)
    with pytest.raises(TypeError, match="cannot build a Model from a Other"):
        reg.build(Model, Other())  # an instance of the wrong type


def test_build_type_from_kwargs_and_dotted_override(reg):
    @reg.register
    class Net(Model):
        def __init__(self, opt=None):
            self.opt = opt

    n = reg.build(Model, {"type": "Other", "opt": {"lr": 1, "m": 2}}, type="Net", **{"opt.lr": 5})
    assert n.opt == {"lr": 5, "m": 2}


def test_factory_functions(reg):
    def make_model(size=1):
        m = Model()
        m.size = size
        return m

    reg.register(make_model, name="small")
    assert reg.build(Model, {"type": "small", "size": 3}).size == 3


def test_module_level_register_build():
    @git_exp.register
    class RegistryTestThing:
        def __init__(self, n=0):
            self.n = n

    try:
        assert git_exp.build(RegistryTestThing, {"type": "RegistryTestThing", "n": 4}).n == 4
    finally:
        git_exp.registry.default.unregister("RegistryTestThing")
