"""The batch report as one self-contained HTML page (inline CSS, no scripts, no network)."""

from __future__ import annotations

from html import escape
from typing import Any

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
main{max-width:1180px;margin:0 auto;padding:24px}
header{display:flex;align-items:center;gap:16px;flex-wrap:wrap}
h1{font-size:22px;margin:0} h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5b6475;font-size:13px}
.badge{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600;color:#fff;font-size:13px}
.badge.accepted,.badge.valid,.badge.passed{background:#1f8a4c} .badge.partial{background:#c77700}
.badge.rejected,.badge.invalid,.badge.failed,.badge.unreadable{background:#c62828} .badge.not-checked{background:#8a93a6}
.cards{display:flex;gap:12px;margin:16px 0}
.card{background:#fff;border-radius:8px;padding:12px 18px;box-shadow:0 1px 2px #0001;min-width:130px}
.card b{display:block;font-size:24px}
.bar{height:10px;border-radius:5px;background:#e3e6ec;overflow:hidden;display:flex;min-width:80px}
.bar i{display:block;height:100%} .ok{background:#1f8a4c} .bad{background:#c62828} .null{background:#7a5cc4}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0001;border-radius:8px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eceef2;vertical-align:top}
th{background:#fafbfc;font-weight:600;font-size:12px;text-transform:uppercase;color:#5b6475}
tr.v-failed td:first-child{border-left:4px solid #c62828} tr.v-passed td:first-child{border-left:4px solid #1f8a4c}
tr.v-failed{background:#fff7f7} tr.sample>td{border-left:4px solid #c62828;background:#fff7f7;padding-top:0}
tr.sample>td+td{border-left:none}
.scroll{overflow-x:auto;max-width:100%}
code{font:12px ui-monospace,Menlo,monospace;background:#f0f2f5;padding:1px 4px;border-radius:3px}
table.rows{box-shadow:none;margin-top:6px;font-size:12px} table.rows td,table.rows th{padding:2px 6px}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.bad-value{background:#fde2e2;font-weight:600}
details summary{cursor:pointer;color:#3552a3}
footer{margin-top:28px;color:#5b6475;font-size:12px}
"""


def _e(value: Any) -> str:
    return "" if value is None else escape(str(value))


def _pct(part: float, whole: float) -> float:
    return 0.0 if not whole else max(0.0, min(100.0, 100.0 * part / whole))


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status.replace(" ", "-"))}">{escape(status)}</span>'


def _sample_table(entry: dict[str, Any]) -> str:
    rows = entry.get("sample_rows") or []
    if not rows:
        examples = entry.get("examples") or []
        return "<br>".join(f"row {_e(x.get('row'))}: <code>{_e(x.get('value'))}</code>" for x in examples)
    flagged = set(entry.get("failing_columns") or []) | {c.strip() for c in str(entry.get("column") or "").split(",")}
    columns = list(rows[0])
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"bad-value" if c in flagged else ""}">{_e(r.get(c))}</td>' for c in columns)
        + "</tr>" for r in rows)
    return (f'<details open><summary>first {len(rows)} failing row(s)</summary>'
            f'<table class="rows"><tr>{head}</tr>{body}</table></details>')


def _checks(report: dict[str, Any]) -> str:
    """Failed checks first (each followed by its failing rows), then the ones that passed."""
    received = report.get("received") or 0
    checks = report.get("checks", [])
    ordered = [c for c in checks if c["status"] == "failed"] + [c for c in checks if c["status"] != "failed"]
    out = []
    for c in ordered:
        width = _pct(c.get("failed") or 0, received)
        out.append(
            f'<tr class="v-{escape(c["status"].replace(" ", "-"))}"><td>{_badge(c["status"])}</td>'
            f'<td>{_e(c.get("column") or "(rows)")}</td><td><code>{_e(c["check"])}</code></td>'
            f'<td>{_e(c.get("expected"))}</td>'
            f'<td class="num">{c.get("failed") or 0:,} ({100 * (c.get("failure_rate") or 0):.2f}%)'
            f'<div class="bar"><i class="bad" style="width:{width:.1f}%"></i></div></td>'
            f'<td>{_e(c.get("message"))}</td></tr>')
        if c["status"] == "failed":
            out.append(f'<tr class="sample"><td></td><td colspan="5"><div class="scroll">{_sample_table(c)}'
                       f'</div></td></tr>')
    return ("<table><tr><th>verdict</th><th>column</th><th>check</th><th>expected</th><th>failed rows</th>"
            "<th>detail</th></tr>" + "".join(out) + "</table>")


def _columns(report: dict[str, Any]) -> str:
    out = []
    for c in report.get("columns", []):
        rate = c.get("null_rate")
        bar = ("-" if rate is None else
               f'{rate:.1%}<div class="bar"><i class="null" style="width:{100 * rate:.1f}%"></i></div>')
        allowed = "" if c.get("nullable") is None else ("nullable" if c["nullable"] else "required")
        out.append(
            f'<tr><td><b>{_e(c["name"])}</b></td><td>{_e(c["dtype"])}</td><td>{_e(c["role"])}</td>'
            f'<td>{allowed}</td><td class="num">{bar}</td><td class="num">{_e(c.get("min"))}</td>'
            f'<td class="num">{_e(c.get("max"))}</td><td class="num">{_e(c.get("distinct"))}</td>'
            f'<td>{"missing from batch" if c.get("present") is False else ""}'
            f'{_e(c.get("infinite")) + " infinite" if c.get("infinite") else ""}</td></tr>')
    return ("<table><tr><th>column</th><th>type</th><th>role</th><th>contract</th><th>null rate</th><th>min</th>"
            "<th>max</th><th>distinct</th><th>notes</th></tr>" + "".join(out) + "</table>")


def render_html(report: dict[str, Any]) -> str:
    received = report.get("received") or 0
    good = report.get("accepted", report.get("valid", 0)) or 0
    bad = report.get("quarantined", report.get("invalid", 0)) or 0
    failed_checks = sum(1 for c in report.get("checks", []) if c["status"] == "failed")
    title = f"{report.get('source')} batch {report.get('batch_id') or report.get('file_name') or ''}".strip()
    paths = "".join(f"<div>{_e(k)}: <code>{_e(report.get(k))}</code></div>"
                    for k in ("receipt_path", "offline_path", "quarantine_path") if report.get(k))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)} — featureguard report</title>
<style>{_CSS}</style></head><body><main>
<header><h1 id="title">{_e(title)}</h1>{_badge(str(report.get("status")))}</header>
<div class="meta">{_e(report.get("kind"))} · contract <b>{_e(report.get("source"))} {_e(report.get("contract_version"))}</b>
 · file {_e(report.get("file_name"))} · {_e(report.get("created_at"))}
 · policy {_e(report.get("policy") or "-")}</div>
<div class="meta">{_e(report.get("contract_description"))}</div>
<section class="cards">
<div class="card" id="received">received<b>{received:,}</b></div>
<div class="card" id="good">{"accepted" if report.get("kind") == "ingest" else "valid"}<b>{good:,}</b></div>
<div class="card" id="bad">{"quarantined" if report.get("kind") == "ingest" else "invalid"}<b>{bad:,}</b></div>
<div class="card" id="failing-checks">failing checks<b>{failed_checks}</b></div>
<div class="card" style="flex:1">rows<div class="bar" style="margin-top:14px">
<i class="ok" style="width:{_pct(good, received):.1f}%"></i><i class="bad" style="width:{_pct(bad, received):.1f}%"></i>
</div></div></section>
<h2>Checks</h2>
<section id="checks">{_checks(report)}</section>
<h2>Columns</h2>
<section id="columns">{_columns(report)}</section>
<footer>{paths}<div>report format {report.get("report_version")}</div></footer>
</main></body></html>
"""
