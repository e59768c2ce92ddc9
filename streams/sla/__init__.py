"""The SLA stage: per-conversation state → response and conversation facts, live breaches, windows.

Pure logic lives in :mod:`streams.sla.config`, :mod:`streams.sla.facts`, :mod:`streams.sla.state` and
:mod:`streams.sla.live`; :mod:`streams.sla.agent` is the thin Faust wiring around them.
"""
