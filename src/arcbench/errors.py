"""Errors a user can cause. The CLI turns them into one line and exit code 2; anything else is a bug and raises."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix (bad flag, missing file, malformed task, missing key, unreachable server).

    The message is one line that says what to fix.
    """

    exit_code = 2
