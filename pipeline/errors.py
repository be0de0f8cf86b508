"""The one exception type that the CLI turns into a single readable line."""


class TollgateError(Exception):
    """A problem the user can fix: bad input, bad config, unknown ids.

    The message names the problem and the fix, on one line. The CLI prints it
    without a traceback and exits non-zero.
    """
