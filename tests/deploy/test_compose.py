"""deploy/compose.yaml, deploy/Dockerfile and deploy/nginx/meydan.conf, checked without
a Docker daemon: the layout of docs/scaling.md, wired as it must be."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_tool

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
MEYDAN_SERVICES = ("migrate", "meydan", "worker")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def test_the_services_of_the_production_layout(services):
    assert set(services) == {"postgres", "redis", "migrate", "meydan", "worker", "live", "nginx"}
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name
    for name in MEYDAN_SERVICES:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY / services[name]["build"]["context"] / "deploy/Dockerfile").is_file()


def test_the_commands(services):
    serve = services["meydan"]["command"]
    assert serve[:2] == ["meydan", "serve"]
    assert serve[serve.index("--workers") + 1] == "2"
    assert serve[serve.index("--host") + 1] == "0.0.0.0"  # noqa: S104 - inside its container
    assert services["worker"]["command"] == ["meydan", "worker"]
    assert "meydan migrate --noinput" in " ".join(services["migrate"]["command"])
    assert services["migrate"]["restart"] == "no"


@pytest.mark.parametrize("name", ["meydan", "worker"])
def test_web_and_worker_wait_for_migrations_and_healthy_backends(services, name):
    depends = services[name]["depends_on"]
    assert depends["migrate"] == {"condition": "service_completed_successfully"}
    assert depends["postgres"] == {"condition": "service_healthy"}
    assert depends["redis"] == {"condition": "service_healthy"}
    migrate = services["migrate"]["depends_on"]
    assert migrate["postgres"]["condition"] == migrate["redis"]["condition"] == "service_healthy"


def test_nginx_waits_for_a_ready_meydan(services):
    assert services["nginx"]["depends_on"]["meydan"] == {"condition": "service_healthy"}


@pytest.mark.parametrize("name", MEYDAN_SERVICES)
def test_the_urls_point_at_the_compose_services(services, name):
    env = services[name]["environment"]
    assert re.fullmatch(
        r"postgres://meydan:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432/meydan", env["DATABASE_URL"]
    )
    assert env["MEYDAN_CACHE_URL"].startswith("redis://redis:6379/")
    assert env["MEYDAN_TASKS_URL"].startswith("redis://redis:6379/")
    # The cache and the queue in different Redis databases.
    assert env["MEYDAN_CACHE_URL"] != env["MEYDAN_TASKS_URL"]
    assert env["MEYDAN_TRUSTED_PROXIES"] == "1"


def test_healthchecks(services):
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    web = services["meydan"]["healthcheck"]["test"]
    assert web == ["CMD", "meydan-healthcheck", "/readyz"]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "deploy/healthcheck.py /usr/local/bin/meydan-healthcheck" in dockerfile
    for name in ("postgres", "redis", "meydan", "nginx"):
        assert services[name]["healthcheck"]["interval"], name


def test_volumes_are_declared_and_used(compose, services):
    declared = set(compose["volumes"])
    assert {"postgres-data", "redis-data", "meydan-var"} <= declared
    used = set()
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == declared
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for name in MEYDAN_SERVICES:
        assert "meydan-var:/var/lib/meydan" in services[name]["volumes"]
        assert services[name]["environment"]["MEYDAN_VAR_DIR"] == "/var/lib/meydan"


def test_the_nginx_config_is_there_and_as_docs_scaling_describes(services):
    mounts = [v for v in services["nginx"]["volumes"] if v.startswith("./")]
    [config] = [m for m in mounts if m.endswith(":/etc/nginx/conf.d/default.conf:ro")]
    path = DEPLOY / config.split(":", 1)[0]
    assert path == DEPLOY / "nginx" / "meydan.conf" and path.is_file()
    text = path.read_text()
    assert "server meydan:8000;" in text
    assert "location = /api/v1/threads" in text and "proxy_cache meydan_api;" in text
    assert 'proxy_cache_key "$request_uri|$http_origin|$meydan_accept";' in text
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in text
    assert "location /static/" in text
    assert "$remote_addr" not in text  # its access log keeps no reader's address


SECRET_NAMES = re.compile(r"(PASSWORD|SECRET|_KEY)$")


def test_no_secret_is_committed(compose, services):
    for name, service in services.items():
        env = service.get("environment", {})
        for key, value in env.items():
            if SECRET_NAMES.search(key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", str(value)), (name, key)
            assert "CHANGE-ME" not in str(value)
        if name in MEYDAN_SERVICES:
            assert "MEYDAN_SECRET_KEY" not in env  # from env_file
            assert service["env_file"] == ".env"
    gitignore = (DEPLOY.parent / ".gitignore").read_text().split()
    assert "deploy/.env" in gitignore
    example = (DEPLOY / ".env.example").read_text()
    assert re.search(r"^MEYDAN_SECRET_KEY=CHANGE-ME$", example, re.M)
    assert re.search(r"^POSTGRES_PASSWORD=CHANGE-ME$", example, re.M)


def test_the_dockerfile(services):
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.startswith("#") and "\nFROM python:3.11-slim\n" in text
    assert "pip install ." in text
    assert re.search(r"^USER meydan$", text, re.M)
    assert "meydan collectstatic --noinput" in text
    # No key is generated into the image at build time.
    assert "MEYDAN_SECRET_KEY=collectstatic-only" in text
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert "*" in ignore and "!meydan/" in ignore


def test_nginx_accepts_the_config(tmp_path):
    """`nginx -t` on the config (and the onion's server block) inside a minimal
    nginx.conf (upstream and cache paths pointed at loopback and the temporary
    directory)."""
    sbin = Path("/usr/sbin/nginx")
    nginx = shutil.which("nginx") or (str(sbin) if sbin.exists() else None)
    require_tool(nginx is not None, "nginx is not installed: its syntax check is skipped")
    config = (DEPLOY / "nginx" / "meydan.conf").read_text()
    config = config.replace("server meydan:8000;", "server 127.0.0.1:8000;")
    config = config.replace("server live:8001;", "server 127.0.0.1:8001;")
    config = config.replace("/var/cache/nginx/", f"{tmp_path}/cache/")
    config = config.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "meydan.conf").write_text(config)
    # The onion's door (docs/onion.md) beside it, as the docs tell to install it.
    (tmp_path / "meydan-onion.conf").write_text(
        (DEPLOY / "nginx" / "meydan-onion.conf").read_text()
    )
    (tmp_path / "cache").mkdir()
    temp_paths = "".join(
        f"  {kind}_temp_path {tmp_path}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log {tmp_path}/access.log;\n{temp_paths}"
        f"  include {tmp_path}/meydan.conf;\n  include {tmp_path}/meydan-onion.conf;\n}}\n"
    )
    result = subprocess.run(  # noqa: S603 - the system's nginx, our files
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def test_nginx_passes_the_live_stream_on_unbuffered(services):
    config = (DEPLOY / "nginx" / "meydan.conf").read_text()
    block = config.split("location = /api/v1/live/stream {", 1)[1].split("}", 1)[0]
    assert "proxy_pass http://meydan_live;" in block
    assert "proxy_buffering off;" in block and "proxy_read_timeout 1h;" in block
    assert "proxy_http_version 1.1;" in config  # for the whole server, the stream too
    assert services["live"]["command"][:2] == ["meydan", "live"]
