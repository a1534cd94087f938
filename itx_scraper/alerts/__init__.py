"""Deciding and telling: event rules, reconciliation, message templates, the outbox and Apprise delivery."""
