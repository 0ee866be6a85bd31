"""Shared code of the Python suites (Tests/contract, Tests/resilience, Tests/deploy), imported as `support`.

processes: the binary, free ports, `http()`, readiness and polling, the simulator and gateway processes, the
simulator's admin views, the CLI; checks: the soft `check()` every test reports through; events (imported as
`support.events`): the loopback webhook subscriber and the CloudEvent / Standard Webhooks delivery checks.
"""
from .checks import check, note
from .processes import (BINARY, DEMO_A, DEMO_B, DEMO_C, DEMO_E, JSON, ROOT, Gateway, ProcessExited, Simulator,
                        audit_records, free_port, gateway_config, gateway_spec, http, requests_since, run_binary,
                        simulator_instances, simulator_requests, start_simulator, stop, wait_for, wait_ready)

__all__ = ["BINARY", "DEMO_A", "DEMO_B", "DEMO_C", "DEMO_E", "JSON", "ROOT", "Gateway", "ProcessExited", "Simulator",
           "audit_records", "check", "free_port", "gateway_config", "gateway_spec", "http", "note",
           "requests_since", "run_binary", "simulator_instances", "simulator_requests", "start_simulator", "stop",
           "wait_for", "wait_ready"]
