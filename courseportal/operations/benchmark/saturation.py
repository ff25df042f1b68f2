"""``manage.py benchmark --saturate``: uploads arrive faster, step by step, until the service cannot keep up.

Each step offers one arrival rate (``--saturate-rates``, each for ``--step-seconds``) to a class of
``--saturate-students`` who keep the portal's rules (``saturation_load``); once its uploads stop
arriving, the step waits until every result is shown, so each step starts on an empty queue. Per
step it reports what the students saw (results per second, time to result), what the database
stored (where an upload's time went: queue, grading, waiting to store, storing), and the CPU each
part of the machine spent per upload (``cpu_ledger``). The run stops after the first step that
is not sustained (``step_verdict``): something lost or refused, an HTTP error, results falling
behind arrivals, or time to result growing within the step, which means a queue that grows.

The class signs in before the first step: a few students through the login form, the rest with
sessions made by ``django.contrib.auth.login`` (``stack_tasks.sessions``), because hashing 800
passwords costs minutes of CPU that is no part of grading.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings

from courseportal.operations.benchmark.cpu_ledger import CpuTimeline, Parts
from courseportal.operations.benchmark.figures import median, percentile, rounded
from courseportal.operations.benchmark.stack import BenchmarkStack

DEFAULT_RATES = (5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0)
# Students who sign in through the real login form (password hashing and all) before the steps.
SIGNED_IN_BY_FORM = 4
# The parts of the machine CPU is counted for; the stack's own are the first six.
STACK_PARTS = ("web", "worker", "sandbox", "broker", "database", "beat")
MEASURING_PARTS = ("load_generator", "benchmark")
PART_LABELS = {
    "web": "web (gunicorn)",
    "worker": "Celery worker (tasks, without the sandboxes)",
    "sandbox": "sandboxes (bwrap, zygotes and the runs they reap)",
    "broker": "broker (valkey-server)",
    "database": "database server (PostgreSQL; SQLite runs inside web and worker)",
    "beat": "Celery beat",
    "load_generator": "load generator (the students; same cores, not the service's)",
    "benchmark": "this command (reading /proc, auditing)",
}
# Time to result "grows" within a step when its last third waits this much longer than its first
# third (and at least twice as long): a queue that grows.
GROWTH_TOLERANCE_S = 1.0
# Results per second below this share of the arrivals: the service falls behind.
KEEPING_UP_SHARE = 0.9
# The load generator kept its schedule if 95% of uploads went out within this of their due time.
LAG_TOLERANCE_S = 1.0


@dataclass(frozen=True)
class SaturationOptions:
    rates: tuple[float, ...] = DEFAULT_RATES
    step_seconds: float = 20.0
    students: int = 800
    result_timeout_s: float = 600.0
    distinct_code: bool = False  # every upload's code differs: no sandbox run is reused (load_generator.Plan)


# ``--quick``: two short steps by a small class, to prove the mode end to end in seconds.
QUICK = SaturationOptions(rates=(2.0, 4.0), step_seconds=3.0, students=12)


def saturation_run(stack: BenchmarkStack, population: dict, options: SaturationOptions,
                   say: Callable[[str], None]) -> dict:
    """Run the steps on a started stack; returns the figures (``saturation_*`` and the steps)."""
    accounts = population["groups"]["saturate"]
    say(f"saturation: signing in {len(accounts)} students ({SIGNED_IN_BY_FORM} through the login form)")
    made = stack.run_task("sessions", {"accounts": accounts[SIGNED_IN_BY_FORM:]})
    database_pid = stack.run_task("database-server", {})["pid"]
    plan = {
        "course": population["course"], "assignment": population["assignment"], "scenario": "saturate",
        "students": [{"username": account, "password": population["password"]} for account in accounts],
        "file_text": population["file_text"], "result_timeout_s": options.result_timeout_s,
        "sessions": made["sessions"], "session_cookie": made["cookie"],
        "uploads_per_minute": settings.UPLOADS_PER_MINUTE_PER_STUDENT, "distinct_code": options.distinct_code,
    }
    session = stack.start_load_session(plan)
    steps: list[dict] = []
    try:
        ready = session.receive()
        if "sign_in_error" in ready:
            raise RuntimeError(f"the load generator could not sign in: {ready['sign_in_error']}")
        parts = stack_parts(stack.process_ids(), load_generator=session.process.pid, database=database_pid)
        with CpuTimeline(parts) as timeline:
            for rate in options.rates:
                say(f"saturation: {rate:g} uploads/s for {options.step_seconds:g} s")
                session.send({"rate": rate, "seconds": options.step_seconds})
                outcome = session.receive()
                times = stack.run_task("submission-times", {
                    "submission_ids": [r["submission_id"] for r in outcome["records"] if r["submission_id"]],
                    "accounts": sorted({r["student"] for r in outcome["records"]}), "since": outcome["started_at"],
                })
                timeline.take()
                step = step_figures(outcome, times, cpu=_cpu_of(timeline, outcome), database=database_pid)
                steps.append(step)
                say(step_line(step))
                if not step["sustained"]:
                    break
    finally:
        session.close()
    return saturation_summary(steps, options=options, students=len(accounts), sign_in_s=ready.get("sign_in_s"))


def stack_parts(process_ids: Mapping[str, int], *, load_generator: int, database: int | None) -> Parts:
    """The ledger's parts: each process of the stack, the sandboxes below the worker's, the load
    generator, the database server (when there is one) and this command itself."""
    roots = {pid: name for name, pid in process_ids.items() if name in STACK_PARTS}
    roots[load_generator] = "load_generator"
    roots[os.getpid()] = "benchmark"
    if database is not None:
        roots[database] = "database"
    return Parts(roots=roots, nested={"worker": {"bwrap": "sandbox"}})


def _cpu_of(timeline: CpuTimeline, outcome: dict) -> dict:
    whole, whole_machine = timeline.between(outcome["started_at"], outcome["ended_at"])
    arriving, arriving_machine = timeline.between(outcome["started_at"], outcome["arrivals_ended_at"])
    return {"whole": whole, "whole_machine": whole_machine, "arriving": arriving,
            "arriving_machine": arriving_machine,
            "arriving_stolen": timeline.stolen_between(outcome["started_at"], outcome["arrivals_ended_at"]),
            "arriving_seconds": outcome["arrivals_ended_at"] - outcome["started_at"]}


def step_figures(outcome: dict, times: dict, *, cpu: dict, database: int | None) -> dict:
    """One step's figures from what the students saw (``outcome``), what the database stored
    (``times``) and the CPU counted while it ran (``cpu``)."""
    records, seconds = outcome["records"], outcome["seconds"]
    stored = times["submissions"]
    accepted = [r for r in records if r["outcome"] == "accepted"]
    shown = [r for r in accepted if r["visible_s"] is not None]
    graded = {pk: row for pk, row in stored.items() if row["graded"] is not None}
    answered_ids = {str(r["submission_id"]) for r in accepted}
    stored_unanswered = [pk for pk in map(str, times["stored_since"]) if pk not in answered_ids]
    server = {pk: row["graded"] - row["created"] for pk, row in graded.items()}
    first, last = _thirds(accepted, outcome, server)
    growth = median(last) - median(first) if first and last else 0.0
    results_per_s = _results_per_s(graded.values(), outcome)
    sent = len(records)
    figures = {
        "step": outcome["step"], "rate": outcome["rate"], "seconds": seconds,
        "sent": sent, "sent_per_s": rounded(sent / seconds, 2), "unserved": outcome["unserved"],
        "accepted": len(accepted), "refused": sum(1 for r in records if r["outcome"] == "refused"),
        "errors": (sum(1 for r in records if r["outcome"] == "error") + len(stored_unanswered)
                   + sum(1 for r in shown if r["result"] != "graded")),
        "lost": max(len(accepted) - len(shown), sum(1 for r in accepted if str(r["submission_id"]) not in graded)),
        "claimed_more_than_once": sum(1 for row in stored.values() if (row["attempts"] or 0) > 1),
        "results_per_s": rounded(results_per_s, 2),
        "time_to_result_p50_s": rounded(median([r["visible_s"] for r in shown])),
        "time_to_result_p95_s": rounded(percentile([r["visible_s"] for r in shown], 95)),
        "server_p50_s": rounded(median(list(server.values()))),
        "server_p95_s": rounded(percentile(list(server.values()), 95)),
        "growth_s": rounded(growth),
        "lag_p95_s": rounded(percentile([r["started_s"] - r["scheduled_s"] for r in records], 95)),
        "upload_p50_ms": _ms(median([r["upload_s"] for r in records if r["upload_s"] is not None])),
        "upload_p95_ms": _ms(percentile([r["upload_s"] for r in records if r["upload_s"] is not None], 95)),
        "page_p50_ms": _ms(median([s for r in accepted for s in r["page_seconds"]])),
        "page_p95_ms": _ms(percentile([s for r in accepted for s in r["page_seconds"]], 95)),
        "pages_per_upload": rounded(sum(len(r["page_seconds"]) for r in accepted) / len(accepted), 2)
        if accepted else None,
        **_phases(graded.values()),
        **_cpu_figures(cpu, uploads=len(accepted), database=database),
    }
    # The web's CPU per request (uploads, result pages and polls): the slower the results, the more
    # polls per upload, so this, not per upload, tells whether a request got cheaper.
    requests = sent + sum(len(r["page_seconds"]) for r in records)
    figures["cpu_ms_web_per_request"] = _ms(cpu["whole"].get("web", 0.0) / requests) if requests else None
    figures["sustained"], figures["why"] = step_verdict(figures, first_p50=median(first) if first else 0.0)
    return figures


def step_verdict(step: Mapping, *, first_p50: float) -> tuple[bool, str]:
    """Whether the service kept up with the step's arrivals, and if not, why."""
    reasons = []
    for name in ("lost", "errors", "refused"):
        if step[name]:
            reasons.append(f"{step[name]} {name}")
    if step["unserved"]:
        reasons.append(f"{step['unserved']} uploads found no student free to send them (more --saturate-students)")
    if step["lag_p95_s"] is not None and step["lag_p95_s"] > LAG_TOLERANCE_S:
        reasons.append(f"the load generator fell behind its schedule (p95 {step['lag_p95_s']:g} s late)")
    if step["growth_s"] is not None and step["growth_s"] > max(GROWTH_TOLERANCE_S, first_p50):
        reasons.append(f"time to result grew by {step['growth_s']:g} s within the step (a growing queue)")
    if step["results_per_s"] is not None and step["results_per_s"] < KEEPING_UP_SHARE * step["sent_per_s"]:
        reasons.append(f"{step['results_per_s']:g} results/s for {step['sent_per_s']:g} uploads/s")
    return not reasons, "; ".join(reasons) or "kept up"


def _thirds(accepted: Sequence[dict], outcome: dict, server: Mapping[str, float]) -> tuple[list[float], list[float]]:
    """The database's upload -> result times of the uploads due in the step's first and last third."""
    third = outcome["seconds"] / 3
    first, last = [], []
    for record in accepted:
        due = record["scheduled_s"] - outcome["started_s"]
        value = server.get(str(record["submission_id"]))
        if value is None:
            continue
        if due < third:
            first.append(value)
        elif due >= 2 * third:
            last.append(value)
    return first, last


def _results_per_s(graded: Sequence[dict] | object, outcome: dict) -> float:
    """Results stored while uploads arrived, per second, counted from the step's first result (before
    it, nothing could have finished)."""
    moments = sorted(row["graded"] for row in graded)  # type: ignore[attr-defined]
    if not moments:
        return 0.0
    in_window = [moment for moment in moments if moment <= outcome["arrivals_ended_at"]]
    span = outcome["arrivals_ended_at"] - moments[0]
    if len(in_window) < 2 or span < 1.0:  # a step too short to tell: all its results over all its time
        return len(moments) / max(outcome["ended_at"] - outcome["started_at"], 1e-9)
    return len(in_window) / span


def _phases(graded) -> dict:
    """Medians of where an upload's time went, from the stored moments: waiting in the queue
    (stored -> claimed), grading (``grade_file``), waiting to store (claimed + grading -> the
    result's transaction began: reading the file, and on SQLite the write lock), storing (-> the
    e-mail claimed the result, just after the commit)."""
    rows = [row for row in graded if row["claimed"] is not None]
    queue = [row["claimed"] - row["created"] for row in rows]
    grading = [row["grading_s"] for row in rows if row["grading_s"] is not None]
    before_store = [row["graded"] - row["claimed"] - (row["grading_s"] or 0.0) for row in rows]
    storing = [row["notified"] - row["graded"] for row in rows if row["notified"] is not None]
    return {"queue_p50_ms": _ms(median(queue)), "grading_p50_ms": _ms(median(grading)),
            "before_store_p50_ms": _ms(median(before_store)), "storing_p50_ms": _ms(median(storing)),
            "queue_p95_ms": _ms(percentile(queue, 95)), "before_store_p95_ms": _ms(percentile(before_store, 95))}


def _cpu_figures(cpu: dict, *, uploads: int, database: int | None) -> dict:
    """CPU ms per accepted upload by part over the whole step (its arrivals and the wait for the last
    results), and the cores each kind of work kept busy while uploads arrived."""
    whole, arriving, span = cpu["whole"], cpu["arriving"], max(cpu["arriving_seconds"], 1e-9)
    per_upload = {f"cpu_ms_{part}": (_ms(whole.get(part, 0.0) / uploads) if uploads else None)
                  for part in (*STACK_PARTS, *MEASURING_PARTS)}
    if database is None:
        per_upload["cpu_ms_database"] = None  # SQLite: inside web and worker
    stack_whole = sum(whole.get(part, 0.0) for part in STACK_PARTS)
    ours = sum(arriving.values())
    return {
        **per_upload,
        "cpu_ms_stack": _ms(stack_whole / uploads) if uploads else None,
        "cores_stack": rounded(sum(arriving.get(part, 0.0) for part in STACK_PARTS) / span, 2),
        "cores_measuring": rounded(sum(arriving.get(part, 0.0) for part in MEASURING_PARTS) / span, 2),
        "cores_other": rounded(max(0.0, cpu["arriving_machine"] - ours) / span, 2),
        "cores_stolen": rounded(cpu["arriving_stolen"] / span, 2),
    }


def _ms(seconds: float | None) -> float | None:
    return rounded(seconds * 1000, 1) if seconds is not None else None


def saturation_summary(steps: list[dict], *, options: SaturationOptions, students: int,
                       sign_in_s: float | None) -> dict:
    """The headline figures: the highest rate sustained (every step up to it kept up), and the steps."""
    sustained = []
    for step in steps:
        if not step["sustained"]:
            break
        sustained.append(step)
    best = sustained[-1] if sustained else None
    stopped = next((step for step in steps if not step["sustained"]), None)
    return {
        "saturation_students": students,
        "saturation_step_seconds": options.step_seconds,
        "saturation_distinct_code": options.distinct_code,
        "saturation_sign_in_s": rounded(sign_in_s, 1) if sign_in_s is not None else None,
        "saturation_sustained_uploads_per_s": best["rate"] if best else 0.0,
        "saturation_sustained_results_per_s": best["results_per_s"] if best else None,
        "saturation_sustained_cpu_ms_per_upload": best["cpu_ms_stack"] if best else None,
        "saturation_peak_results_per_s": max((step["results_per_s"] or 0.0 for step in steps), default=None),
        "saturation_stopped_at": (f"{stopped['rate']:g}/s: {stopped['why']}" if stopped
                                  else "every step kept up (add higher --saturate-rates)"),
        "saturation_lost": sum(step["lost"] for step in steps),
        "saturation_errors": sum(step["errors"] + step["refused"] for step in steps),
        "saturation_steps": steps,
    }


def step_line(step: Mapping) -> str:
    """One step as a few lines of text for a reader (the figures' meanings in words)."""
    cpu = ", ".join(f"{part.replace('_', ' ')} {_shown(step[f'cpu_ms_{part}'])}"
                    for part in (*STACK_PARTS, *MEASURING_PARTS))
    return (
        f"step {step['step']}: {step['rate']:g} uploads/s offered for {step['seconds']:g} s, {step['sent_per_s']:g}/s "
        f"sent, {_shown(step['results_per_s'])} results/s; {'KEPT UP' if step['sustained'] else 'DID NOT KEEP UP'}"
        f" ({step['why']})\n"
        f"  students saw: upload -> result p50 {_shown(step['time_to_result_p50_s'])} s, p95 "
        f"{_shown(step['time_to_result_p95_s'])} s (asking as the page does); lost {step['lost']}, "
        f"errors {step['errors']}, "
        f"refused {step['refused']}; upload POST p50 {_shown(step['upload_p50_ms'])} ms, p95 "
        f"{_shown(step['upload_p95_ms'])} ms; result page and polls p50 {_shown(step['page_p50_ms'])} ms, p95 "
        f"{_shown(step['page_p95_ms'])} ms, {_shown(step['pages_per_upload'])} per upload\n"
        f"  database saw: stored -> result p50 {_shown(step['server_p50_s'])} s, p95 {_shown(step['server_p95_s'])} s, "
        f"growth within the step {_shown(step['growth_s'])} s; medians: queue {_shown(step['queue_p50_ms'])} ms "
        f"(p95 {_shown(step['queue_p95_ms'])}), grading {_shown(step['grading_p50_ms'])} ms, waiting to store "
        f"{_shown(step['before_store_p50_ms'])} ms (p95 {_shown(step['before_store_p95_ms'])}), storing "
        f"{_shown(step['storing_p50_ms'])} ms\n"
        f"  CPU ms per upload: {cpu}; the stack {_shown(step['cpu_ms_stack'])} ms; web per request (upload, "
        f"page or poll) {_shown(step['cpu_ms_web_per_request'])} ms\n"
        f"  cores busy while uploads arrived: the stack {_shown(step['cores_stack'])}, load generator and this "
        f"command {_shown(step['cores_measuring'])}, other work on the machine {_shown(step['cores_other'])}; "
        f"taken by the host (steal) {_shown(step['cores_stolen'])}"
    )


def _shown(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)
