"""How the demo stops on SIGTERM, SIGHUP or Ctrl-C: from wherever its main thread is, also while it starts."""

from __future__ import annotations

import signal
import threading

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Stop(KeyboardInterrupt):
    """A stop signal arrived: unwinds the main thread to its cleanup."""


class StopSignals:
    """Raises Stop in the main thread when a stop signal arrives, until its cleanup begins.

    Python runs a signal handler between any two bytecodes of the main thread, so the Stop may be raised
    inside a destructor (`__del__`, run by the garbage collector at any allocation), where Python only
    prints an exception and goes on: the demo then kept running with its signals ignored (CI saw it: a
    Stop printed from redis-py's `on_disconnect` and a demo that never stopped). So the stop is
    delivered again every `redeliver_after_s` until the main thread reports that its cleanup began."""

    def __init__(self, redeliver_after_s: float = 1.0) -> None:
        self.redeliver_after_s = redeliver_after_s
        self.requested: int | None = None
        self._cleanup_began = threading.Event()
        self._watchdog: threading.Thread | None = None

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle)

    def cleanup_begins(self) -> None:
        """Called first thing in the cleanup: from here on, stop signals are ignored (a second Ctrl-C must
        not cut the cleanup short) and nothing is delivered again."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        self._cleanup_began.set()

    def _handle(self, signum, _frame) -> None:
        if self._cleanup_began.is_set():
            return
        if self.requested is None:
            self.requested = signum
            self._watchdog = threading.Thread(target=self._redeliver, name="stop-redeliver", daemon=True)
            self._watchdog.start()
        raise Stop(signal.Signals(signum).name)

    def _redeliver(self) -> None:
        main = threading.main_thread().ident
        while not self._cleanup_began.wait(self.redeliver_after_s):
            signal.pthread_kill(main, self.requested)
