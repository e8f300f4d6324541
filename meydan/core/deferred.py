"""Modules run only when first used, not when first imported.

A serving worker's memory is mostly what it imports (docs/scaling.md, "worker RSS").
Some of it is imported by libraries at start-up only to be used on a rare request:
django-allauth's WebAuthn helpers (allauth.mfa.webauthn.internal.auth) import fido2
and cryptography's X.509, EC and RSA code, about 12 MB per worker, because allauth's
login stages, forms and URLconf import them at their top; they are used only when a
passkey is registered or signs in.

`defer(name)` makes the import of `name` hand back a module object whose code has not
run yet; the first attribute read on it (`auth.begin_registration`, …) runs it, once,
under a lock (importlib.util.LazyLoader does the same, without a lock before Python
3.12). Only modules whose importers read nothing from them at import time may be
deferred: allauth's do `from allauth.mfa.webauthn.internal import auth` and call
`auth.…` in functions. tests/core/test_worker_imports.py checks that a worker does not
load them and that a passkey ceremony does.
"""

import importlib.abc
import importlib.machinery
import sys
import threading
import types

_lock = threading.RLock()


class _DeferredModule(types.ModuleType):
    """A module whose code runs on the first attribute read (then it is a plain module)."""

    def __getattribute__(self, attr):
        get = types.ModuleType.__getattribute__
        with _lock:
            if type(self) is _DeferredModule:
                state = get(self, "__dict__")["__spec__"].loader_state
                if state["running"]:  # its own code, running now in this thread
                    return get(self, attr)
                state["running"] = True
                try:
                    state["loader"].exec_module(self)
                    self.__class__ = types.ModuleType
                finally:
                    state["running"] = False
        return getattr(self, attr)


class _DeferredLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = module.__loader__ = self.loader
        module.__spec__.loader_state = {"loader": self.loader, "running": False}
        module.__class__ = _DeferredModule


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self):
        self.names: set[str] = set()

    def find_spec(self, name, path=None, target=None):
        if name not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _DeferredLoader(spec.loader)
        return spec


_finder = _Finder()


def defer(*names: str) -> None:
    """Run these modules' code on first use (call before anything imports them)."""
    _finder.names.update(names)
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def loaded(name: str) -> bool:
    """Whether `name`'s code has run (imported and not still deferred)."""
    module = sys.modules.get(name)
    return module is not None and type(module) is not _DeferredModule
