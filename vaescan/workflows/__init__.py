"""Workflows: jobs that write a run folder end to end (training from configs, a run's figures, the quickstart)."""
