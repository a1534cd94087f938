"""Getting data out: stable exports, charts and terminal tables."""
