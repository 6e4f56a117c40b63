"""Alerts (提醒): e-mail and SMS for new notices, coming deadlines and payment results."""
