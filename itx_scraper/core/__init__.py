"""Foundation shared by every stage: the clock, errors, exit codes, periods, the source catalogue and the config."""
