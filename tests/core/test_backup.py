"""deploy/backup.sh and deploy/restore.sh: what an operator gets back after losing the server.

The demo data is loaded into a PostgreSQL database of its own (committed, so pg_dump sees it),
private files are written beside it, the backup is restored into a fresh database and a fresh
directory, and every table's row count and every file are compared. Skipped only when
PostgreSQL or its client programs are not reachable (CI has both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.core.test_deploy import ROOT, run_manage

psycopg = pytest.importorskip("psycopg")

DEPLOY = ROOT / "deploy"


def _server_url() -> tuple[str, str]:
    """The PostgreSQL server to use (the suite's, or the local default) and a name prefix."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        base, _, name = url.split("?")[0].rpartition("/")
        return base, f"{name}_bk"
    return "postgres://postgres@127.0.0.1:5432", "yoyaku_bk"


BASE, PREFIX = _server_url()


def _reachable() -> bool:
    if not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql")):
        return False
    try:
        psycopg.connect(f"{BASE}/postgres", connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


pytestmark = pytest.mark.skipif(not _reachable(), reason="PostgreSQL or pg_dump not reachable")


def _admin(sql: str) -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _drop(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _counts(name: str) -> dict[str, int]:
    with psycopg.connect(f"{BASE}/{name}") as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(DEPLOY / name), *args],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A database with the demo data, its private files, and a backup of both."""
    name = f"{PREFIX}_src_{os.getpid()}"
    data = tmp_path_factory.mktemp("source")
    _drop(name)
    _admin(f'CREATE DATABASE "{name}"')
    env = {"DEBUG": "1", "DATABASE_URL": f"{BASE}/{name}", "YOYAKU_DATA_DIR": str(data)}
    for args in (("migrate", "--noinput"), ("load_demo",)):
        result = run_manage(*args, env=env)
        assert result.returncode == 0, result.stderr
    proofs = data / "private" / "proofs" / "2026"
    proofs.mkdir(parents=True, exist_ok=True)
    (proofs / "在勤証明書.pdf").write_bytes(b"%PDF-1.4 proof\n" + bytes(range(256)))
    (data / "private" / "seal.png").write_bytes(b"\x89PNG\r\n\x1a\n seal")

    backups = tmp_path_factory.mktemp("backups")
    result = _script("backup.sh", env={**env, "BACKUP_DIR": str(backups)})
    assert result.returncode == 0, result.stderr
    archive = Path(result.stdout.strip().splitlines()[-1])
    yield {"name": name, "data": data, "archive": archive}
    _drop(name)


@pytest.fixture
def target(tmp_path):
    name = f"{PREFIX}_dst_{os.getpid()}"
    _drop(name)
    yield {"name": name, "data": tmp_path / "restored"}
    _drop(name)


def _restore(archive: Path, target: dict) -> subprocess.CompletedProcess:
    return _script(
        "restore.sh",
        str(archive),
        env={"DATABASE_URL": f"{BASE}/{target['name']}", "YOYAKU_DATA_DIR": str(target["data"])},
    )


def test_a_backup_is_one_timestamped_archive_with_its_checksum(source):
    archive = source["archive"]
    assert archive.name.startswith("yoyaku-") and archive.suffix == ".tar"
    assert sorted(p.name for p in archive.parent.iterdir()) == [
        archive.name,
        archive.name + ".sha256",
    ]


def test_a_restore_into_a_fresh_database_gives_back_every_row_and_every_private_file(
    source, target
):
    result = _restore(source["archive"], target)

    assert result.returncode == 0, result.stderr
    before, after = _counts(source["name"]), _counts(target["name"])
    assert after == before
    assert before["core_municipality"] == 2 and before["registrants_registrant"] > 0
    assert _files(target["data"] / "private") == _files(source["data"] / "private")
    assert "proofs/2026/在勤証明書.pdf" in _files(target["data"] / "private")


def test_a_damaged_archive_is_refused_before_anything_is_created(source, target, tmp_path):
    damaged = tmp_path / source["archive"].name
    shutil.copy(source["archive"], damaged)
    shutil.copy(f"{source['archive']}.sha256", f"{damaged}.sha256")
    with damaged.open("r+b") as file:
        file.seek(2000)
        byte = file.read(1)
        file.seek(2000)
        file.write(bytes([byte[0] ^ 0xFF]))

    result = _restore(damaged, target)

    assert result.returncode != 0
    assert "checksum mismatch" in result.stderr
    with psycopg.connect(f"{BASE}/postgres") as conn:
        assert not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [target["name"]]
        ).fetchone()


def test_a_restore_refuses_a_database_that_already_has_tables(source, tmp_path):
    result = _restore(source["archive"], {"name": source["name"], "data": tmp_path / "empty"})

    assert result.returncode != 0
    assert "is not empty" in result.stderr
