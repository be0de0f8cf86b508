"""Recurring runs: cron read in UTC (shared with Kubeflow's schedules) and
the local foreground scheduler, `tollgate schedule`."""
