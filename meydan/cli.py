"""`meydan`: the operator's one entry point. It is Django's manage.py for this
project: `meydan migrate`, `meydan serve`, `meydan createsuperuser`, …"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meydan.settings")
    from meydan.core import metricsdir

    if sys.argv[1:2] and sys.argv[1] in metricsdir.COMMANDS:
        _share_metrics()
    if sys.argv[1:2] == ["serve"]:
        # Without loading Django's apps (a second or two): granian's workers load them,
        # and the checks run only when something changed (meydan/core/startup.py).
        from meydan.core.management.commands.serve import Command

        Command().run_from_argv(sys.argv)
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def _share_metrics() -> None:
    """The server's worker processes and `meydan worker` add up their metrics in one
    directory (meydan/core/metricsdir.py); it must be chosen before they are counted."""
    from django.conf import settings  # the settings module only: no app is loaded yet

    from meydan.core.metricsdir import use_shared_dir

    use_shared_dir(settings.VAR_DIR)


if __name__ == "__main__":
    main()
