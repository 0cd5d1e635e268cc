#!/usr/bin/env python3
"""Regenerates crates/domain/src/rsit/table.rs from data/rsit-machinetag.json (the MISP RSIT taxonomy)."""
import json, pathlib
here = pathlib.Path(__file__).resolve().parent
d = json.loads((here / "rsit-machinetag.json").read_text())
preds = {p["value"]: p for p in d["predicates"]}
q = lambda s: json.dumps(s, ensure_ascii=False)
out = [f"// Generated from data/rsit-machinetag.json (MISP taxonomies, RSIT namespace, version {d['version']}); CC0-1.0.",
       "// Regenerate with `python3 crates/domain/data/gen-rsit.py`; a unit test checks it against the JSON.",
       "", "use super::{RsitClassDef, RsitTypeDef};", "", "pub(super) static CLASSES: &[RsitClassDef] = &["]
for v in d["values"]:
    p = preds[v["predicate"]]
    out += ["    RsitClassDef {", f"        value: {q(p['value'])},", f"        name: {q(p['expanded'])},", "        types: &["]
    for e in v["entry"]:
        out.append(f"            RsitTypeDef {{ value: {q(e['value'])}, name: {q(e['expanded'])}, description: {q(e.get('description', ''))} }},")
    out += ["        ],", "    },"]
out.append("];")
(here.parent / "src" / "rsit" / "table.rs").write_text("\n".join(out) + "\n")
