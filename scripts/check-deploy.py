#!/usr/bin/env python3
"""Checks the container files as text (CI has no Docker engine): the compose files have the services,
health checks, network and volumes they promise, the Dockerfile is multi-stage and runs as a non-root
user, every variable the service reads is documented in .env.example, and the scripts the compose
files mount exist. Exits non-zero with one line per problem."""

import os
import re
import subprocess
import sys

try:
    import yaml
except ImportError:  # PyYAML comes from PyPI when the machine lacks it.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "pyyaml"], check=True)
    import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
problems = []


def load(name):
    with open(os.path.join(ROOT, name)) as f:
        return yaml.safe_load(f)


def check_compose(name, required, one_network=True):
    doc = load(name)
    services = doc.get("services") or {}
    for svc in required:
        if svc not in services:
            problems.append(f"{name}: service '{svc}' is missing")
    networks = set((doc.get("networks") or {}).keys())
    volumes = set((doc.get("volumes") or {}).keys())
    for svc_name, svc in services.items():
        if one_network and networks and not set(svc.get("networks") or []) & networks:
            problems.append(f"{name}: service '{svc_name}' is not on the shared network")
        for vol in svc.get("volumes") or []:
            source = vol.split(":")[0] if isinstance(vol, str) else vol.get("source", "")
            if source.startswith((".", "/")):
                if not os.path.exists(os.path.join(ROOT, source)):
                    problems.append(f"{name}: '{svc_name}' mounts {source}, which does not exist")
            elif source and source not in volumes:
                problems.append(f"{name}: '{svc_name}' uses volume '{source}', not declared as a named volume")
        for dep, cond in (svc.get("depends_on") or {}).items() if isinstance(svc.get("depends_on"), dict) else []:
            if dep not in services:
                problems.append(f"{name}: '{svc_name}' depends on unknown service '{dep}'")
            if cond.get("condition") == "service_healthy" and "healthcheck" not in services.get(dep, {}):
                problems.append(f"{name}: '{svc_name}' waits for '{dep}' to be healthy, but it has no healthcheck")
    return doc


compose = load("docker-compose.yml")
check_compose("docker-compose.yml", ["db", "pgadmin", "web", "migrator", "mailhog", "minio", "minio_mc"])
services = compose.get("services", {})
if "healthcheck" not in services.get("db", {}):
    problems.append("docker-compose.yml: db needs a health check")
if services.get("migrator", {}).get("command") not in (["migrate"], "migrate"):
    problems.append("docker-compose.yml: migrator must run `theater migrate`")
if not (compose.get("volumes") or {}):
    problems.append("docker-compose.yml: named volumes are missing")
if os.path.exists(os.path.join(ROOT, "docker-compose-tests.yml")):
    check_compose("docker-compose-tests.yml", ["db", "tests"])
else:
    problems.append("docker-compose-tests.yml is missing")

# Dockerfile: multi-stage, non-root runtime, serves by default.
with open(os.path.join(ROOT, "Dockerfile")) as f:
    dockerfile = f.read()
stages = re.findall(r"^FROM\s+\S+(?:\s+AS\s+(\S+))?", dockerfile, re.M | re.I)
if len(stages) < 2:
    problems.append("Dockerfile: expected a multi-stage build")
runtime = re.split(r"^FROM\s", dockerfile, flags=re.M | re.I)
runtime_stage = next((s for s in runtime if re.match(r"\S+\s+AS\s+runtime", s, re.I)), runtime[-1])
users = re.findall(r"^USER\s+(\S+)", runtime_stage, re.M)
if not users or users[-1].split(":")[0] in ("root", "0"):
    problems.append("Dockerfile: the runtime stage must switch to a non-root USER")
if '"serve"' not in runtime_stage:
    problems.append("Dockerfile: the runtime stage should run `theater serve` by default")

# Every file the Rust sources embed (include_str!/include_bytes!) is in the build context of the stage
# that compiles it: the release build compiles src/ (the tests stage also compiles the unit tests).
copied = {}
for stage in runtime:
    name = re.match(r"\S+(?:\s+AS\s+(\S+))?", stage, re.I)
    copied[(name.group(1) or "").lower() if name else ""] = re.findall(r"^COPY\s+(?!--from)(.+)\s+\S+$", stage, re.M)
def in_context(path, stage_names):
    sources = [src for st in stage_names for line in copied.get(st, []) for src in line.split()]
    return any(path == src or path.startswith(src.rstrip("/") + "/") for src in sources)
for dirpath, _, files in os.walk(os.path.join(ROOT, "src")):
    for file in files:
        if not file.endswith(".rs"):
            continue
        full = os.path.join(dirpath, file)
        with open(full) as f:
            text = f.read()
        test_part = text.find("#[cfg(test)]")
        for m in re.finditer(r'include_(?:str|bytes)!\("([^"]+)"\)', text):
            target = os.path.relpath(os.path.normpath(os.path.join(dirpath, m.group(1))), ROOT)
            stages_needed = ["build"] if test_part < 0 or m.start() < test_part else ["build", "tests"]
            if not in_context(target, stages_needed):
                problems.append(f"Dockerfile: {os.path.relpath(full, ROOT)} embeds {target}, which no COPY of the {'/'.join(stages_needed)} stage brings in")

# .env.example documents every variable the service reads.
with open(os.path.join(ROOT, ".env.example")) as f:
    env_example = f.read()
documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", env_example, re.M))
read_vars = set()
for dirpath, _, files in os.walk(os.path.join(ROOT, "src")):
    for file in files:
        if file.endswith(".rs"):
            with open(os.path.join(dirpath, file)) as f:
                text = f.read()
            read_vars |= set(re.findall(r'env\.(?:get|get_nonempty|require|parse_num|parse_bool)\("([A-Z][A-Z0-9_]+)"', text))
for var in sorted(read_vars - documented):
    problems.append(f".env.example: {var} is read by the service but not documented")
for name in ("docker-compose.yml", "docker-compose-tests.yml"):
    path = os.path.join(ROOT, name)
    if os.path.exists(path):
        with open(path) as f:
            for var in sorted(set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", f.read())) - documented):
                problems.append(f"{name}: uses ${{{var}}}, which .env.example does not document")

# Shell scripts parse.
for folder in ("commands", "scripts", "bench", ".ci"):
    base = os.path.join(ROOT, folder)
    if not os.path.isdir(base):
        continue
    for file in sorted(os.listdir(base)):
        path = os.path.join(base, file)
        if file.endswith(".sh") or folder == ".ci":
            with open(path) as f:
                first = f.readline()
            shell = "bash" if "bash" in first else "sh"
            result = subprocess.run([shell, "-n", path], capture_output=True, text=True)
            if result.returncode != 0:
                problems.append(f"{folder}/{file}: {result.stderr.strip()}")
            # lib.sh is sourced by the others, never run.
            if file != "lib.sh" and not os.access(path, os.X_OK):
                problems.append(f"{folder}/{file}: not executable")

# Every image is pinned to a version: `latest` or no tag changes under the project without a commit.
for name in ("docker-compose.yml", "docker-compose-tests.yml"):
    path = os.path.join(ROOT, name)
    if not os.path.exists(path):
        continue
    for svc_name, svc in (load(name).get("services") or {}).items():
        image = svc.get("image")
        if image is None:
            continue
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
        if tag in ("", "latest"):
            problems.append(f"{name}: service '{svc_name}' uses {image!r}; pin a version tag")
for image in re.findall(r"^FROM\s+(\S+)", dockerfile, re.M | re.I):
    if image in [s for s in stages if s]:
        continue  # a previous stage
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
    if tag in ("", "latest"):
        problems.append(f"Dockerfile: FROM {image} is not pinned to a version tag")
# A numeric USER lets orchestrators check runAsNonRoot without reading the image's /etc/passwd.
if users and not re.fullmatch(r"\d+(:\d+)?", users[-1]):
    problems.append(f"Dockerfile: the runtime USER should be numeric (uid:gid), not {users[-1]!r}")
# The build context must not carry target/ (gigabytes) or local data and secrets.
dockerignore = os.path.join(ROOT, ".dockerignore")
if not os.path.exists(dockerignore):
    problems.append(".dockerignore is missing (the whole target/ would be the build context)")
else:
    with open(dockerignore) as f:
        ignored = {line.strip().strip("/") for line in f if line.strip() and not line.startswith("#")}
    for entry in ("target", "data", ".env", ".git"):
        if entry not in ignored:
            problems.append(f".dockerignore: {entry} is not excluded")

# hadolint and the compose specification's JSON schema (scripts/tools.sh deploy-lint installs both).
venv = os.path.join(os.environ.get("THEATER_TOOLS_DIR", os.path.expanduser("~/.cache/theater-tools")), "pyvenv", "bin")
subprocess.run([os.path.join(ROOT, "scripts", "tools.sh"), "deploy-lint"], check=True)
lint = subprocess.run([os.path.join(venv, "hadolint"), "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
if lint.returncode != 0:
    problems.extend(f"hadolint: {line}" for line in lint.stdout.splitlines() if line.strip())
spec = subprocess.run(
    [os.path.join(venv, "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "docker-compose.yml", "docker-compose-tests.yml"],
    cwd=ROOT, capture_output=True, text=True,
)
if spec.returncode != 0:
    problems.extend(f"compose spec: {line}" for line in (spec.stdout + spec.stderr).splitlines() if line.strip())

if problems:
    print("\n".join(problems))
    sys.exit(1)
print("deployment files: ok")
