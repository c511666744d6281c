"""Modules loaded on first use, with the standard library's `importlib.util.LazyLoader`: what only
some routes need (analytics, campaigns, exports) stays out of every other request's cold start."""
import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """The module `name` (a submodule of a package: `chalicelib.usecases.exports`), executed the first time
    one of its attributes is read."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, loaded)
    return loaded
