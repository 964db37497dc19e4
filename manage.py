#!/usr/bin/env python
"""Django's command-line utility for yoyaku."""

import os
import sys

# Commands that sign nothing and serve nothing may run without SECRET_KEY (e.g. a migrations
# check in a hook); every other command needs it unless DEBUG=1.
KEYLESS_COMMANDS = {"makemigrations", "makemessages", "compilemessages", "showmigrations"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoyaku.settings")
    if len(sys.argv) > 1 and sys.argv[1] in KEYLESS_COMMANDS:
        os.environ.setdefault("YOYAKU_ALLOW_INSECURE_KEY", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
