"""Alerts and escalation: the evaluator (one per deployment), its store and the delivery of messages."""
