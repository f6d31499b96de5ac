"""The shipped production files (deploy/): the environment template names every setting
and passes Django's deployment checks once its secrets are filled in; gunicorn accepts
the service's command line; the timer and the cron line call run_scheduled."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

from vault.keys import new_field_key, new_raw_key

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TEMPLATE = DEPLOY / "shopguard.env.example"
READS = re.compile(
    r'(?:envbool|envint|envsecret|env\.(?:str|list|int|db_url|email_url))\(\s*"([A-Z0-9_]+)"'
)


def settings_read():
    names = set(READS.findall((ROOT / "shopguard" / "settings.py").read_text()))
    return names - {"SHOPGUARD_ENV_FILE"}  # the services set it to the file itself


def filled_template(tmp_path):
    secrets = {
        "SECRET_KEY": new_raw_key() + new_raw_key(),
        "FIELD_ENCRYPTION_KEYS": new_field_key(),
        "BLIND_INDEX_KEY": new_raw_key(),
        "AUDIT_CHAIN_KEY": new_raw_key(),
        "AUDIT_SIGNING_KEY": new_raw_key(),
        "BACKUP_RECIPIENT": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    }
    lines = []
    for line in TEMPLATE.read_text().splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={secrets[name]}" if name in secrets else line)
    path = tmp_path / "shopguard.env"
    path.write_text("\n".join(lines) + "\n")
    return path


def clean_env(env_file):
    """Only what a service has: the env file, no test variables."""
    return {"PATH": "/usr/bin:/bin", "SHOPGUARD_ENV_FILE": str(env_file), "HOME": "/tmp"}


def test_the_template_names_every_setting():
    template = TEMPLATE.read_text()
    named = set(re.findall(r"^#? ?([A-Z0-9_]+)=", template, re.M))
    assert settings_read() - named == set()


def test_the_filled_template_passes_the_deployment_checks(tmp_path):
    env_file = filled_template(tmp_path)
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean_env(env_file),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def exec_start(unit):
    text = (DEPLOY / "systemd" / unit).read_text().replace("\\\n", " ")
    return shlex.split(re.search(r"^ExecStart=(.*)$", text, re.M).group(1))


def test_gunicorn_accepts_the_services_command_line(tmp_path):
    command = exec_start("shopguard.service")
    assert command[0] == "/srv/shopguard/.venv/bin/gunicorn"
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    done = subprocess.run(
        [gunicorn, "--check-config", *command[1:]],
        cwd=ROOT,
        env=clean_env(filled_template(tmp_path)),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr + done.stdout


def test_the_timer_and_the_cron_line_run_the_scheduled_jobs():
    assert exec_start("shopguard-scheduled.service")[-2:] == ["manage.py", "run_scheduled"]
    timer = (DEPLOY / "systemd" / "shopguard-scheduled.timer").read_text()
    assert "OnCalendar=*:0/15" in timer and "Persistent=true" in timer
    cron = [
        line
        for line in (DEPLOY / "cron" / "shopguard").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(cron) == 1 and cron[0].startswith("*/15 * * * * shopguard ")
    assert "manage.py run_scheduled" in cron[0]
    for unit in ("shopguard.service", "shopguard-scheduled.service"):
        text = (DEPLOY / "systemd" / unit).read_text()
        assert "Environment=SHOPGUARD_ENV_FILE=/etc/shopguard/shopguard.env" in text
