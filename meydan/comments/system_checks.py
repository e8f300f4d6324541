"""Start-up checks of the moderation port's configuration (Django's system checks:
they run before `meydan serve`, `migrate` and the tests, and stop a bad
configuration with a message saying what to change)."""

import inspect

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string

from meydan.comments.moderation import Check


def _takes_a_draft(method) -> bool:
    try:
        inspect.signature(method).bind(None)
    except (TypeError, ValueError):
        return False
    return True


@register("meydan")
def moderation_checks_resolve(app_configs=None, **kwargs):
    """Every entry of MEYDAN_MODERATION_CHECKS imports, builds and is a Check."""
    problems = []
    paths = settings.MEYDAN_MODERATION_CHECKS
    if not isinstance(paths, list | tuple) or not all(isinstance(p, str) for p in paths):
        return [
            Error(
                "MEYDAN_MODERATION_CHECKS must be a list of dotted paths to check classes.",
                hint="For example: meydan.moderation.checks.bans.BanCheck",
                id="meydan.E001",
            )
        ]
    for path in paths:
        try:
            found = import_string(path)
        except ImportError as error:
            problems.append(
                Error(
                    f"MEYDAN_MODERATION_CHECKS: {path!r} cannot be imported ({error}).",
                    hint="Check the spelling; the default list is in meydan/settings.py "
                    "(DEFAULT_MODERATION_CHECKS).",
                    id="meydan.E002",
                )
            )
            continue
        try:
            check = found()
        except Exception as error:  # noqa: BLE001 - any failure to build is reported
            problems.append(
                Error(
                    f"MEYDAN_MODERATION_CHECKS: {path!r} cannot be built without "
                    f"arguments ({type(error).__name__}: {error}).",
                    id="meydan.E003",
                )
            )
            continue
        if not isinstance(check, Check) or not _takes_a_draft(check.check):
            problems.append(
                Error(
                    f"MEYDAN_MODERATION_CHECKS: {path!r} is not a moderation check: it has "
                    "no check(draft) method.",
                    hint="See the Check protocol in meydan/comments/moderation.py.",
                    id="meydan.E004",
                )
            )
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        problems.append(
            Warning(
                f"MEYDAN_MODERATION_CHECKS lists {', '.join(repeated)} more than once; "
                "each runs once per listing.",
                id="meydan.W001",
            )
        )
    return problems
