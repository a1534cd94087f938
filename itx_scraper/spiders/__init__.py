"""Spiders: one per source; each only fetches and parses."""
