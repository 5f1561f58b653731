"""The `middlepath` command: Django's manage.py under our name.

`middlepath migrate`, `middlepath createsuperuser`, `middlepath demo …`, `middlepath audit verify` …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "middlepath.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["middlepath", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
