"""Notifications through apprise: messages, background delivery, and attaching to controllers."""
