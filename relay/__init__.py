"""The alert webhook relay: Alertmanager notifications in, chat messages out, nothing lost."""
