"""Distributions: what pyffin knows about wheels and source distributions, wherever they
come from (registry, URL, git, path), and the database that fetches and builds them."""
