"""Ctrl-C that Python would swallow: re-sent so that it stops burrow like any other.

Importing this module installs the hook. Both ways in (``python -m burrow`` and the
``burrow`` command, see ``__main__``) import it before any other module of burrow's, so a
Ctrl-C that lands while burrow's own modules are being imported is not lost either.

It imports nothing at start-up beyond ``sys``, which Python has already loaded: every
import is a chance for a Ctrl-C to land in the import system's weakref callbacks, and
until the hook is in place such a Ctrl-C would be printed and ignored. For the same
reason this file has no ``from __future__ import`` (that is an import too).
"""

import sys


def redeliver_ctrl_c(unraisable: "sys.UnraisableHookArgs") -> None:
    """A Ctrl-C that lands in a weakref callback or ``__del__`` (the import system's module
    locks have one) cannot be raised there: Python would print it as "Exception ignored" and
    go on. Send it again, so that it stops burrow like any other.

    It is sent from a helper thread, after this hook has returned: a Ctrl-C delivered while
    the hook still runs would be raised in the hook, and lost the same way.
    """
    if not issubclass(unraisable.exc_type, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)
        return
    import _thread

    try:
        _thread.start_new_thread(_send_ctrl_c, (_thread.get_ident(),))
    except RuntimeError:  # Python is shutting down: the work is done, and stays done
        pass


def _send_ctrl_c(thread: int) -> None:
    import signal

    if hasattr(signal, "pthread_kill"):  # a real signal also wakes a wait for a child
        signal.pthread_kill(thread, signal.SIGINT)
    else:
        import _thread

        _thread.interrupt_main()


sys.unraisablehook = redeliver_ctrl_c
