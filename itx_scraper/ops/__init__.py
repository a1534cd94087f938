"""Operations: one run, the daemon, source health, the release calendar, status and the demo."""
