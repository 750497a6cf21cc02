"""Under `make run` every process gets a probe (and /metrics) port of its own: one
CLEP_PROBE_ADDRESS for every process would make them share, or fight over, one port."""
import subprocess

from scripts import system as launcher
from scripts.system import System, probe_addresses


def test_each_process_gets_the_next_port_and_only_its_own():
    system = System(voucher_workers=2, gateway_workers=2)
    assert probe_addresses(system.names, 9100) == {
        "access": "127.0.0.1:9100", "orders": "127.0.0.1:9101",
        "vouchers-1": "127.0.0.1:9102", "vouchers-2": "127.0.0.1:9103",
        "scores": "127.0.0.1:9104", "billing": "127.0.0.1:9105",
        "gateway": "127.0.0.1:9106", "gateway-2": "127.0.0.1:9107"}


def test_a_process_is_started_with_its_own_address(monkeypatch, tmp_path):
    started = {}

    class Started:
        def __init__(self, command, env, **options):
            started[command[-1]] = env.get("CLEP_PROBE_ADDRESS")

    monkeypatch.setattr(subprocess, "Popen", Started)
    monkeypatch.setattr(launcher, "nameko_command", lambda python: ["nameko"])
    system = System(env={"CLEP_PROBE_ADDRESS": None}, log_dir=tmp_path,
                    probe_addresses={"orders": "127.0.0.1:9101"})
    system.start_process("orders")
    system.start_process("scores")
    assert started == {"services.orders.service": "127.0.0.1:9101",
                       "services.scores.service": None}


def test_make_run_refuses_one_probe_address_for_every_process(monkeypatch, capsys):
    monkeypatch.setenv("CLEP_PROBE_ADDRESS", "127.0.0.1:8081")
    assert launcher.run(None) == 2
    assert "CLEP_PROBE_BASE_PORT" in capsys.readouterr().err
