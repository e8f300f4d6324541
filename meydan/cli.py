"""`meydan`: the operator's one entry point. It is Django's manage.py for this
project: `meydan migrate`, `meydan serve`, `meydan createsuperuser`, …"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meydan.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
