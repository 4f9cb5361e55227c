"""The catalog caches (memory and disk) never serve a stale plan after its file changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from coverage.catalog import PLANS_DIR, clear_cache, load_catalog
from coverage.loader import LoadError

PLAN = PLANS_DIR / "mo-ppo-gateway-employer-insured.yaml"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SECONDLOOK_CACHE_DIR", str(tmp_path / "cache"))
    plans = tmp_path / "plans"
    plans.mkdir()
    shutil.copy(PLAN, plans / PLAN.name)
    clear_cache()
    return plans


def edit(path: Path, old: str, new: str) -> None:
    stat = path.stat()
    path.write_text(path.read_text().replace(old, new, 1))
    # Same second, different size: the cache keys on both mtime_ns and size.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))


def test_memory_cache_sees_an_edit(folder):
    assert load_catalog(folder).get(PLAN.stem).plan_year == 2026
    edit(folder / PLAN.name, "plan_year: 2026", "plan_year: 2027")
    assert load_catalog(folder).get(PLAN.stem).plan_year == 2027


def test_disk_cache_serves_a_new_process_and_sees_an_edit(folder):
    load_catalog(folder)
    clear_cache()  # as a new process would start
    assert load_catalog(folder).get(PLAN.stem).plan_year == 2026
    edit(folder / PLAN.name, "plan_year: 2026", "plan_year: 2028")
    clear_cache()
    assert load_catalog(folder).get(PLAN.stem).plan_year == 2028


def test_a_broken_edit_is_reported_not_served_from_cache(folder):
    load_catalog(folder)
    edit(folder / PLAN.name, "plan_year: 2026", "plan_year: soon")
    with pytest.raises(LoadError) as info:
        load_catalog(folder)
    assert "plan_year" in str(info.value)
    clear_cache()
    with pytest.raises(LoadError):
        load_catalog(folder)


def test_removed_file_leaves_the_catalog(folder):
    load_catalog(folder)
    (folder / PLAN.name).unlink()
    assert load_catalog(folder).plans == {}


def test_lawbook_is_reused_until_a_rule_file_changes(tmp_path):
    from coverage.catalog import RULES_DIR, load_lawbook

    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    first = load_lawbook(rules)
    assert load_lawbook(rules) is first  # the engine's caches key on this object
    target = next((rules / "states").rglob("mo-rsmo-376-1253.yaml"))
    edit(target, "priority: 220", "priority: 221")
    changed = load_lawbook(rules)
    assert changed is not first
    assert {r.id: r.priority for r in changed.rules}["mo-rsmo-376-1253"] == 221


def test_a_new_process_gets_the_same_plans_from_the_disk_cache(tmp_path, monkeypatch):
    from coverage.catalog import load_plan_file

    monkeypatch.setenv("SECONDLOOK_CACHE_DIR", str(tmp_path / "cache"))
    clear_cache()
    fresh = dict(load_catalog(PLANS_DIR).plans.items())
    clear_cache()  # as a new process would start: every plan comes from the disk cache
    cold = load_catalog(PLANS_DIR)
    assert list(cold.plans) == list(fresh)
    assert all(cold.plans[pid] == fresh[pid] for pid in fresh)
    assert cold.get(PLAN.stem) == load_plan_file(PLAN)


def test_a_damaged_cache_line_is_read_from_the_file(folder):
    load_catalog(folder)
    (cache,) = Path(os.environ["SECONDLOOK_CACHE_DIR"]).glob("plans-*.jsonl")
    name, mtime, size, _body = cache.read_text().rstrip("\n").split("\t", 3)
    cache.write_text(f"{name}\t{mtime}\t{size}\t{{not json\n")
    clear_cache()
    assert load_catalog(folder).get(PLAN.stem).plan_year == 2026
