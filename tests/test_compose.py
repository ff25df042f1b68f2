"""docker-compose.yml, Dockerfile and .env.example agree with each other and with the code.

Where the Docker Compose plugin is installed, ``docker compose config`` validates the file too;
this machine has only the docker client, so the structural tests below are what runs here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "gpu-worker", "beat", "migrate")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def queues_consumed(service: dict) -> set[str]:
    command = service.get("command", [])
    if "worker" not in command:
        return set()
    return set(command[command.index("--queues") + 1].split(","))


def documented_variables() -> set[str]:
    text = (REPO / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_compose_defines_the_whole_deployment(compose):
    assert {"web", "worker", "gpu-worker", "beat", "redis", "postgres"} <= set(compose["services"])


def test_every_app_service_is_configured_by_environment(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        environment = service["environment"]
        assert environment["DJANGO_ENV"].endswith(":-production}"), name
        assert "DATABASE_URL" in environment and "REDIS_URL" in environment, name
        assert service["env_file"][0]["path"] == ".env", name
        assert service["build"]["context"] == ".", name


def test_every_celery_queue_has_a_consumer_and_gpu_work_only_reaches_the_gpu_worker(compose):
    from courseportal.celery import app

    services = compose["services"]
    consumed = set().union(*(queues_consumed(service) for service in services.values()))
    assert {queue.name for queue in app.conf.task_queues} <= consumed
    sweep_queue = app.conf.beat_schedule["sweep-forgotten-submissions"]["options"]["queue"]
    assert sweep_queue in queues_consumed(services["worker"])
    assert queues_consumed(services["gpu-worker"]) == {"gpu"}
    assert "gpu" not in queues_consumed(services["worker"])


def test_gpu_worker_reserves_an_nvidia_device(compose):
    devices = compose["services"]["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]


def test_only_grading_workers_relax_the_container_confinement_bubblewrap_needs(compose):
    for name, service in compose["services"].items():
        relaxed = service.get("privileged") or {"seccomp=unconfined", "apparmor=unconfined"} <= set(
            service.get("security_opt", [])
        )
        assert bool(relaxed) == (name in ("worker", "gpu-worker")), name


def test_there_is_exactly_one_beat(compose):
    beats = [name for name, service in compose["services"].items() if "beat" in service.get("command", [])]
    assert beats == ["beat"]
    assert "deploy" not in compose["services"]["beat"]  # no replicas: two beats would double the sweep


def test_every_variable_compose_reads_is_documented_in_env_example(compose):
    text = (REPO / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    assert used - documented_variables() == set()


def test_production_settings_that_have_no_safe_default_are_documented(compose):
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ENV", "DATABASE_URL", "REDIS_URL", "EMAIL_HOST",
            "SANDBOX"} <= documented_variables()


def test_image_installs_the_torch_version_the_project_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pinned = next(dep for dep in project["dependencies"] if dep.replace(" ", "").startswith("torch=="))
    dockerfile = (REPO / "Dockerfile").read_text()
    assert f'"{pinned.replace(" ", "")}"' in dockerfile
    assert "bubblewrap" in dockerfile


def test_compose_file_passes_docker_compose_config(tmp_path):
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("the Docker Compose plugin is not installed here; the structural tests above stand in")
    completed = subprocess.run(
        [docker, "compose", "--env-file", str(REPO / ".env.example"), "--file", str(REPO / "docker-compose.yml"),
         "--profile", "gpu", "config", "--quiet"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
