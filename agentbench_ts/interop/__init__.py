"""Runs in other tools' formats: ATIF trajectories in Harbor's job layout."""
