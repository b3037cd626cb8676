"""Scheduled work, driven by APScheduler through PTB's JobQueue. The database holds every due
instant; the scheduler only decides when to look."""
