"""Webhooks: tell other systems (or a group chat) when a disk request moves.

- `events`: which lifecycle moves are events; `webhook_events_queue_on_commit` is the one
  call the request lifecycle makes. It records one delivery per subscribed endpoint and
  queues the worker's task, once the move commits.
- `delivery`: the worker's side: sign, send, record the attempt, retry with back-off for
  24 hours, pause an endpoint that has failed for 24 hours and tell its owner.
- `formats`: generic JSON, WeCom, DingTalk and Feishu group robots.
- `signing`: the per-endpoint secret (derived, never stored) and the signature header.
- `transport`: the only code here that speaks HTTP: http/https only, timeouts, no
  redirect to another host, and no private, loopback or link-local address unless its
  host is in WEBHOOK_ALLOWED_HOSTS.
- `tasks`: the worker's task, thin.
"""
