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


def nginx_directives() -> dict[str, list[str]]:
    """deploy/nginx/courseportal.conf's simple directives (name -> arguments), comments dropped."""
    text = re.sub(r"#[^\n]*", "", (REPO / "deploy" / "nginx" / "courseportal.conf").read_text())
    return {name: arguments.split() for name, arguments in re.findall(r"^\s*([a-z_]+)\s+([^;{]*);", text, re.MULTILINE)}


def test_only_the_buffering_proxy_is_reachable_from_outside(compose):
    services = compose["services"]
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert "./deploy/nginx/courseportal.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    assert proxy["ports"] == ["${WEB_PORT:-8000}:" + nginx_directives()["listen"][0]]
    web_port = services["web"]["command"][services["web"]["command"].index("--bind") + 1].rsplit(":", 1)[1]
    assert nginx_directives()["server"] == [f"web:{web_port}"] and services["web"]["expose"] == [web_port]


def test_proxy_reads_requests_whole_with_time_limits_before_gunicorn_sees_them():
    from django.conf import settings

    directives = nginx_directives()
    assert directives["proxy_request_buffering"] == ["on"] and directives["proxy_buffering"] == ["on"]
    assert int(directives["client_header_timeout"][0].rstrip("s")) <= 15
    assert int(directives["client_body_timeout"][0].rstrip("s")) <= 60
    assert int(directives["client_max_body_size"][0].rstrip("m")) * 1024 * 1024 == settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_the_portal_reads_the_client_address_the_proxy_sets_and_nothing_a_client_sent(compose):
    header_set = [arguments for name, arguments in re.findall(
        r"^\s*(proxy_set_header)\s+([^;]*);", (REPO / "deploy" / "nginx" / "courseportal.conf").read_text(),
        re.MULTILINE)]
    header = compose["x-app"]["environment"]["CLIENT_ADDRESS_HEADER"]
    assert f"{header} $remote_addr" in header_set


def test_web_runs_gunicorn_with_threads_as_runstack_does(compose):
    from courseportal.operations.processes import web_server_argv

    command = compose["services"]["web"]["command"]
    development = web_server_argv(bind="127.0.0.1:8000")
    for option in ("--worker-class", "--timeout"):
        assert command[command.index(option) + 1] == development[development.index(option) + 1], option
    assert "--threads" in command
