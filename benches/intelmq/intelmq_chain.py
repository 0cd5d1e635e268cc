#!/usr/bin/env python3
"""Times IntelMQ 3.5's chain on a Shadowserver CSV, in process, for comparison with cirtkit.

The chain the issue names: Shadowserver parser -> taxonomy expert -> deduplicator expert (Redis)
-> file output, each bot run in IntelMQ's library mode (no services, no intelmqctl), messages
handed from one bot to the next in batches of about 1,000, the CSV split into reports of 1,000
rows as IntelMQ's collectors do. See README.md beside this file for how to run it.

Written for cirtkit; it uses IntelMQ (AGPL-3.0) as an installed tool and copies nothing from it.
"""

import argparse
import base64
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", help="a Shadowserver CSV; its name must name the report (2026-11-20-scan_rdp-xx-geo.csv)")
    ap.add_argument("--schema", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/feeds/reference/shadowserver-report-schema-intelmq.json"),
                    help="Shadowserver's IntelMQ schema (read at run time, never committed)")
    ap.add_argument("--report-rows", type=int, default=1000)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="intelmq-bench-")
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                              "--bind", "127.0.0.1", "--dir", work],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        result = run(args, work, port)
    finally:
        redis.terminate()
        redis.wait()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")


def run(args, work, port):
    # The schema must be set before the parser class is imported.
    from intelmq.bots.parsers.shadowserver import _config
    config = getattr(_config, "__config")
    config.schema_file = os.path.abspath(args.schema)
    config.schema_active = config.schema_file
    config.schema_check = os.path.join(work, "schema.check")
    config.auto_update = False

    from intelmq.lib.bot import BotLibSettings
    from intelmq.lib.message import Report
    from intelmq.bots.parsers.shadowserver.parser import ShadowserverParserBot
    from intelmq.bots.experts.taxonomy.expert import TaxonomyExpertBot
    from intelmq.bots.experts.deduplicator.expert import DeduplicatorExpertBot
    from intelmq.bots.outputs.file.output import FileOutputBot

    out_file = os.path.join(work, "events.jsonl")
    parser = ShadowserverParserBot("shadowserver-parser", settings=BotLibSettings | {"auto_update": False, "logging_level": "ERROR"})
    taxonomy = TaxonomyExpertBot("taxonomy-expert", settings=BotLibSettings | {"logging_level": "ERROR"})
    dedup = DeduplicatorExpertBot("deduplicator-expert", settings=BotLibSettings | {
        "redis_cache_host": "127.0.0.1", "redis_cache_port": port, "redis_cache_db": 0,
        "redis_cache_ttl": 86400, "filter_type": "blacklist", "filter_keys": "raw,time.observation",
        "logging_level": "ERROR"})
    output = FileOutputBot("file-output", settings=BotLibSettings | {
        "file": out_file, "hierarchical_output": False, "logging_level": "ERROR"})

    with open(args.csv, encoding="utf-8") as f:
        header = f.readline()
        rows = f.readlines()
    name = os.path.basename(args.csv)

    start = time.perf_counter()
    parsed = stored = errors = 0
    for i in range(0, len(rows), args.report_rows):
        report = Report()
        report.add("raw", header + "".join(rows[i:i + args.report_rows]))
        report.add("feed.name", "Shadowserver")
        report.add("feed.provider", "Shadowserver")
        report.add("feed.accuracy", 100.0)
        report.add("extra.file_name", name)
        state = parser.process_message(report)
        events = state.get("output", [])
        errors += len(state.get("error", []))
        parsed += len(events)
        for stage in (taxonomy, dedup):
            batch = []
            for j in range(0, len(events), 1000):
                batch.extend(stage.process_message(*events[j:j + 1000]).get("output", []))
            events = batch
        for j in range(0, len(events), 1000):
            output.process_message(*events[j:j + 1000])
        stored += len(events)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rows": len(rows), "parsed": parsed, "stored": stored, "duplicates": parsed - stored,
            "errors": errors, "seconds": round(seconds, 3),
            "events_per_second": round(len(rows) / seconds, 1) if seconds else None,
            "peak_rss_mib": round(peak_kib / 1024, 1)}


if __name__ == "__main__":
    sys.exit(main())
