"""Exit codes, named once: cron, systemd and monitoring read them."""

from __future__ import annotations

import os

OK = 0
FAILED = 1  # a source or a delivery failed; everything else was still done
USAGE = 2  # usage or configuration error
LOCKED = os.EX_TEMPFAIL  # 75: another run holds the lock
