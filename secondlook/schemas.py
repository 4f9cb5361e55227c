"""JSON Schemas of the data-file formats, committed in data/schema/ for editors."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from coverage.case import Case
from coverage.catalog import DATA_DIR
from coverage.determination import Determination
from coverage.law import CoverageRule, Parameter, StatementFile
from coverage.markets import MarketProfile
from coverage.plan import Plan

SCHEMA_DIR = DATA_DIR / "schema"

SCHEMAS: dict[str, type[BaseModel]] = {
    "plan": Plan,
    "case": Case,
    "rule": CoverageRule,
    "parameter": Parameter,
    "market": MarketProfile,
    "statements": StatementFile,
    "determination": Determination,
}


def schema_json(kind: str) -> str:
    model = SCHEMAS[kind]
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", model.__name__)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def schema_path(kind: str) -> Path:
    return SCHEMA_DIR / f"{kind}.schema.json"


def write_all() -> list[Path]:
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in SCHEMAS:
        path = schema_path(kind)
        path.write_text(schema_json(kind), encoding="utf-8")
        written.append(path)
    return written
