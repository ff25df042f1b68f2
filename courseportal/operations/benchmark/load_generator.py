"""The students: a separate process that signs in and uploads through the portal's real forms.

Standard library only (``http.client``, cookies kept by name), no Django: it must load the web server the way
browsers do, not share its process or shortcuts. Run as::

    python -m courseportal.operations.benchmark.load_generator < plan.json > outcome.json

The plan names the server, the students and a scenario (``idle``, ``burst``, ``flood``, and for
training homework ``training_idle`` and ``training_burst``); the outcome has one record per upload.
``saturate`` runs step after step as told on stdin (``saturation_load``). Students sign in (login form, CSRF token) and open the
assignment page before the scenario's clock starts, as they would with the page open before a
deadline; signing in is deliberately slow (password hashing) and is not what is measured.
"""

from __future__ import annotations

import http.client
import http.cookies
import json
import random
import re
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_PATH = re.compile(r"/submissions/(\d+)/$")
SCORE = re.compile(r'<span class="score big">([^<]*)</span>')
POLL_AFTER = re.compile(rb'data-poll-after-ms="(\d+)"')
REQUEST_TIMEOUT_S = 120.0
SIGN_IN_CONCURRENCY = 4  # password hashing is CPU-bound on the server: more would only queue
# The result page's poller (portal.js) asks again when the last answer says (data-poll-after-ms:
# at once after a request the server held until the result, else every 2 s); the students here
# poll as the page does.
PAGE_POLL_INTERVAL_S = 2.0


class SignInFailed(RuntimeError):
    pass


@dataclass
class UploadRecord:
    """One upload as the student saw it; times are seconds from the scenario's start."""

    student: str
    scenario: str
    started_s: float
    http_status: int | None = None
    outcome: str = "error"  # accepted | refused | error
    submission_id: int | None = None
    upload_s: float | None = None  # the POST alone
    visible_s: float | None = None  # from the POST's start until the result page showed the result
    # Training homework: until the page first said what became of the file (its pre-check passed and
    # it waits for a GPU, or it was refused or graded).
    feedback_s: float | None = None
    result: str | None = None  # graded | rejected | error, as the page shows it
    score: str | None = None
    error: str = ""
    # Saturation: when the upload was due (it went out at ``started_s``), and how long each look at
    # the result page took (the page after the redirect, then each status poll).
    scheduled_s: float | None = None
    page_seconds: list[float] = field(default_factory=list)
    # When the page's last answer said to ask again (portal.js reads it from data-poll-after-ms).
    poll_after_s: float | None = None

    def next_poll_after(self, default_s: float) -> float:
        """How long the page waits before asking its status block again: what the last answer said,
        else ``default_s`` (portal.js's interval)."""
        return default_s if self.poll_after_s is None else self.poll_after_s


@dataclass
class Student:
    """One signed-in browser: its cookies and the upload form's CSRF token.

    Plain ``http.client``, one connection per request, cookies kept by name: the load generator
    shares the machine's cores with the stack it measures, so each request must cost it little.
    """

    username: str
    password: str
    base_url: str
    csrf_token: str = ""
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, path: str, *, data: bytes | None = None, headers: dict[str, str] | None = None):
        """(status, headers, body) of one request; redirects are not followed (the caller reads
        Location); raises OSError or ``http.client.HTTPException`` when no answer came."""
        address = urllib.parse.urlsplit(self.base_url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=REQUEST_TIMEOUT_S)
        sent = {**(headers or {}), "Connection": "close"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request("GET" if data is None else "POST", path, body=data, headers=sent)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            self._keep_cookies(header)
        return response.status, response.headers, body

    def _keep_cookies(self, header: str) -> None:
        for name, morsel in http.cookies.SimpleCookie(header).items():
            if morsel["max-age"] == "0":  # Django deletes a cookie this way (and by a past expiry)
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def sign_in(self, *, assignment_path: str) -> None:
        """Log in through the login form, then open the assignment page for its upload form's token."""
        status, _, body = self.request("/accounts/login/")
        token = _csrf_token(body)
        if status != 200 or not token:
            raise SignInFailed(f"{self.username}: login page answered {status}")
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": self.username,
                                       "password": self.password, "next": ""}).encode()
        status, headers, _ = self.request("/accounts/login/", data=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Referer": self.base_url + "/accounts/login/"})
        if status != 302:
            raise SignInFailed(f"{self.username}: signing in answered {status}, not a redirect")
        self.open_assignment(assignment_path=assignment_path)

    def open_assignment(self, *, assignment_path: str) -> None:
        """Open the assignment page (signed in already) for its upload form's CSRF token."""
        status, _, body = self.request(assignment_path)
        self.csrf_token = _csrf_token(body) or ""
        if status != 200 or not self.csrf_token:
            raise SignInFailed(f"{self.username}: the assignment page answered {status} without an upload form")

    def upload(self, *, upload_path: str, filename: str, content: bytes, record: UploadRecord, clock) -> None:
        """Post the upload form; fills ``record`` with the answer (a redirect to the result page)."""
        boundary = uuid.uuid4().hex
        body = _multipart(boundary, fields={"csrfmiddlewaretoken": self.csrf_token},
                          filename=filename, content=content)
        posted = clock()
        try:
            status, headers, page = self.request(upload_path, data=body, headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": self.base_url + upload_path})
        except (OSError, http.client.HTTPException) as error:
            record.error = f"upload: {type(error).__name__}: {error}"
            return
        record.upload_s = clock() - posted
        record.http_status = status
        location = SUBMISSION_PATH.search(urllib.parse.urlsplit(headers.get("Location") or "").path or "")
        if status == 302 and location:
            record.outcome, record.submission_id = "accepted", int(location.group(1))
        elif status == 400:
            record.outcome = "refused"  # the form's answer to a rule (rate limit), shown to the student
        else:
            record.error = f"upload answered {status}: {page[:300].decode('utf-8', 'replace')}"

    def wait_for_result(self, *, record: UploadRecord, posted_at: float, clock, interval_s: float,
                        give_up_at: float, page: str, feedback_marker: str = "") -> None:
        """Open the result page the upload's redirect names, then poll it (or its status block) until
        it shows a result, or ``give_up_at``: every ``interval_s`` for the page, as the last answer
        says for the status block (as portal.js does)."""
        look = "detail"
        while clock() < give_up_at:
            if self.look_for_result(record=record, posted_at=posted_at, clock=clock, page=look,
                                    feedback_marker=feedback_marker):
                return
            look = page
            time.sleep(record.next_poll_after(interval_s) if page == "status" else interval_s)

    def look_for_result(self, *, record: UploadRecord, posted_at: float, clock, page: str,
                        feedback_marker: str = "") -> bool:
        """Ask the result page (or its status block) once; True when it answered for good: it
        shows the result (``record`` filled) or an error status."""
        path = f"/submissions/{record.submission_id}/" + ("status/?wait=1" if page == "status" else "")
        try:
            status, _, body = self.request(path)
        except (OSError, http.client.HTTPException) as error:
            record.error = f"poll: {type(error).__name__}: {error}"
            return False
        if status != 200:
            record.error = f"the result page answered {status}"
            record.outcome = "error"
            return True
        finished = b'data-pending="false"' in body
        poll_after = POLL_AFTER.search(body)
        record.poll_after_s = int(poll_after.group(1)) / 1000 if poll_after else None
        if record.feedback_s is None and (finished or (feedback_marker and feedback_marker.encode() in body)):
            record.feedback_s = clock() - posted_at
        if finished:
            record.visible_s = clock() - posted_at
            record.result = _shown_result(body)
            score = SCORE.search(body.decode("utf-8", "replace"))
            record.score = score.group(1).strip() if score else None
        return finished


def _csrf_token(body: bytes) -> str | None:
    match = CSRF_FIELD.search(body.decode("utf-8", "replace"))
    return match.group(1) if match else None


def _shown_result(body: bytes) -> str:
    if b'class="score-line"' in body:
        return "graded"
    if b"No result is stored" in body:
        return "missing"
    return "rejected" if b"was not graded" in body else "error"


def _multipart(boundary: str, *, fields: dict[str, str], filename: str, content: bytes) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: text/x-python\r\n\r\n".encode() + content + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


# --- Scenarios ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    base_url: str
    course: str
    assignment: str
    scenario: str  # idle | burst | flood | training_idle | training_burst | saturate
    students: list[dict[str, str]]  # username, password
    file_text: str
    seconds: float = 60.0  # burst: the window uploads are spread over
    result_timeout_s: float = 600.0  # how long after its upload a result may take before it counts as lost
    poll_interval_s: float = PAGE_POLL_INTERVAL_S
    flood_interval_s: float = 0.5  # flood: the flooding student uploads this often
    flood_min_seconds: float = 4.0  # flood: at least this long, so it runs into the rate limit
    idle_poll_interval_s: float = 0.02  # idle: how often the result page is asked
    feedback_marker: str = ""  # training: page text that says the pre-check passed (the first feedback)
    seed: int = 2024
    # burst: these students upload ``poison_file_text`` instead of ``file_text``
    poisoners: list[str] = field(default_factory=list)
    poison_file_text: str = ""
    # Students already signed in (username -> session key, in the cookie ``session_cookie``): they
    # open the assignment page without the login form (see ``saturation``).
    sessions: dict[str, str] = field(default_factory=dict)
    session_cookie: str = "sessionid"
    uploads_per_minute: int = 0  # saturate: the portal's UPLOADS_PER_MINUTE_PER_STUDENT (0: none)
    # saturate: every upload's code differs (a statement appended), so that no grading reuses the
    # sandbox run of another file's identical code (grader/run_reuse.py): a class that changed the starter.
    distinct_code: bool = False

    def file_of(self, username: str, serial: int = 0) -> bytes:
        """What ``username`` uploads; with ``distinct_code``, code no other upload has (``serial``)."""
        text = self.poison_file_text if username in self.poisoners else self.file_text
        return (text + f"\nbenchmark_upload = {serial}\n" if self.distinct_code else text).encode()

    @property
    def assignment_path(self) -> str:
        return f"/courses/{self.course}/assignments/{self.assignment}/"

    @property
    def upload_path(self) -> str:
        return self.assignment_path + "upload/"


def run_plan(plan: Plan) -> dict:
    students, signed_in_s = signed_in_students(plan)
    scenario = {"idle": _idle, "burst": _burst, "flood": _flood, "training_idle": _idle,
                "training_burst": _burst}[plan.scenario]
    records = scenario(plan, students)
    return {"scenario": plan.scenario, "sign_in_s": signed_in_s, "records": [asdict(r) for r in records]}


def signed_in_students(plan: Plan) -> tuple[list[Student], float]:
    """The plan's students, each signed in with the assignment page open, and how long that took.

    Students with a session in the plan only open the assignment page; the others sign in
    through the login form. Raises ``SignInFailed``.
    """
    students = [Student(s["username"], s["password"], plan.base_url) for s in plan.students]
    started = time.monotonic()
    by_form = [student for student in students if student.username not in plan.sessions]
    with ThreadPoolExecutor(SIGN_IN_CONCURRENCY) as pool:
        list(pool.map(lambda student: student.sign_in(assignment_path=plan.assignment_path), by_form))
    by_session = [student for student in students if student.username in plan.sessions]
    for student in by_session:
        student.cookies[plan.session_cookie] = plan.sessions[student.username]
    with ThreadPoolExecutor(SIGN_IN_CONCURRENCY) as pool:
        list(pool.map(lambda student: student.open_assignment(assignment_path=plan.assignment_path), by_session))
    return students, time.monotonic() - started


def _upload_and_wait(plan: Plan, student: Student, *, clock, interval_s: float, page: str,
                     scenario: str | None = None) -> UploadRecord:
    record = UploadRecord(student=student.username, scenario=scenario or plan.scenario, started_s=clock())
    student.upload(upload_path=plan.upload_path, filename=f"{student.username}_{plan.assignment}.py",
                   content=plan.file_of(student.username), record=record, clock=clock)
    if record.outcome == "accepted":
        student.wait_for_result(record=record, posted_at=record.started_s, clock=clock, interval_s=interval_s,
                                give_up_at=record.started_s + plan.result_timeout_s, page=page,
                                feedback_marker=plan.feedback_marker)
    return record


def _idle(plan: Plan, students: list[Student]) -> list[UploadRecord]:
    """One student at a time, each waiting for their result: nothing else runs. Polls the result
    page itself, often, so the figure is the system's, not the poller's interval."""
    clock = _clock()
    return [_upload_and_wait(plan, student, clock=clock, interval_s=plan.idle_poll_interval_s, page="detail")
            for student in students]


def upload_moments(*, count: int, seconds: float, seed: int) -> list[float]:
    """When each of ``count`` students uploads: independent uniform moments in [0, ``seconds``), sorted."""
    moments = random.Random(seed)
    return sorted(moments.uniform(0, seconds) for _ in range(count))


def _burst(plan: Plan, students: list[Student]) -> list[UploadRecord]:
    """Every student uploads once at a random moment in the window, then waits like the page does."""
    offsets = upload_moments(count=len(students), seconds=plan.seconds, seed=plan.seed)
    clock = _clock()
    return _run_at(offsets, students, lambda student: _upload_and_wait(
        plan, student, clock=clock, interval_s=plan.poll_interval_s, page="status"), clock)


def _flood(plan: Plan, students: list[Student]) -> list[UploadRecord]:
    """The first student uploads every ``flood_interval_s`` while the others upload one at a time."""
    flooder, others = students[0], students[1:]
    clock = _clock()
    done = threading.Event()
    flood_records: list[UploadRecord] = []

    def flood() -> None:
        while not done.is_set():
            record = UploadRecord(student=flooder.username, scenario="flooder", started_s=clock())
            flooder.upload(upload_path=plan.upload_path, filename=f"{flooder.username}_{plan.assignment}.py",
                           content=plan.file_text.encode(), record=record, clock=clock)
            flood_records.append(record)
            done.wait(plan.flood_interval_s)

    flooding = threading.Thread(target=flood, daemon=True)
    flooding.start()
    time.sleep(2 * plan.flood_interval_s)  # the flood is going before the first honest upload
    others_records = [_upload_and_wait(plan, student, clock=clock, interval_s=0.02, page="detail",
                                       scenario="flood") for student in others]
    done.wait(max(0.0, plan.flood_min_seconds - clock()))
    done.set()
    flooding.join()
    return others_records + flood_records


def _run_at(offsets: list[float], students: list[Student], action: Callable[[Student], UploadRecord],
            clock) -> list[UploadRecord]:
    records: list[UploadRecord | None] = [None] * len(students)

    def student_thread(index: int) -> None:
        delay = offsets[index] - clock()
        if delay > 0:
            time.sleep(delay)
        try:
            records[index] = action(students[index])
        except Exception as error:  # counted as an error, never silently dropped
            records[index] = UploadRecord(student=students[index].username, scenario="burst",
                                          started_s=offsets[index], error=f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=student_thread, args=(index,), daemon=True) for index in range(len(students))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [record for record in records if record is not None]


def _clock():
    started = time.monotonic()
    return lambda: time.monotonic() - started


def main() -> None:
    # One line: the saturation mode reads its steps from the lines after it.
    plan = Plan(**json.loads(sys.stdin.readline()))
    if plan.scenario == "saturate":
        _saturate(plan)
        return
    try:
        outcome = run_plan(plan)
    except SignInFailed as error:
        outcome = {"scenario": plan.scenario, "sign_in_error": str(error), "records": []}
    json.dump(outcome, sys.stdout)


def _saturate(plan: Plan) -> None:
    from courseportal.operations.benchmark.saturation_load import SaturationRun, serve_steps

    try:
        students, signed_in_s = signed_in_students(plan)
    except SignInFailed as error:
        print(json.dumps({"sign_in_error": str(error)}), flush=True)
        return
    print(json.dumps({"ready": True, "sign_in_s": signed_in_s, "students": len(students),
                      "by_login_form": len(students) - len(plan.sessions)}), flush=True)
    run = SaturationRun(plan, students, clock=_clock(), record_type=UploadRecord)
    serve_steps(run, commands=sys.stdin, answers=sys.stdout)


if __name__ == "__main__":
    main()
