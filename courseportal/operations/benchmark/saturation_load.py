"""The saturation mode's students: uploads arrive at a set rate, each student keeping the portal's rules.

Runs inside the load generator process (standard library only). A step is a rate and a length:
uploads are due at evenly spaced moments (``rate`` a second for ``seconds``); each goes to the
student who has been idle longest among those who may upload now, which is what a class does:

- one upload in flight per student: a student uploads again only once the page showed the last
  result (the portal would queue a second one behind the first, ``submission_enqueue``);
- at most ``uploads_per_minute`` uploads in any minute (the portal's ``UPLOADS_PER_MINUTE_PER_STUDENT``,
  counted here over a slightly longer window so that the server's clock never disagrees).

After the POST a student loads the result page the redirect names, then asks its status block
when the last answer says (at once after a request the server held, else ``PAGE_POLL_INTERVAL_S``
later), as ``portal.js`` does, until it shows the result. A due upload with no student free is
counted (``unserved``), never sent late. The step
ends once every accepted upload of it shows its result, or ``result_timeout_s`` after its POST
(then it is lost). Requests go out from a pool of threads, so a slow server delays answers, never
the schedule; ``lag`` (sent - due) shows whether this process kept up.

Protocol, one JSON object per line: the plan comes first on stdin; this process answers
``{"ready": ...}`` once the students are signed in, then runs one step per ``{"rate": r,
"seconds": s}`` line and answers with the step's outcome; ``{"stop": true}`` or the end of input ends it.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import IO, Any

# Requests in flight at once. The slowest answers under saturation take seconds; uploads due in
# the meantime must still go out on time.
REQUEST_THREADS = 64
# The portal counts the last 60 s at the moment it stores the upload; the student counts from the
# moment it sends, a little earlier, so a longer window keeps every upload within the rule.
RATE_LIMIT_WINDOW_S = 65.0


class StudentRota:
    """Who uploads next: the student idle longest who has no upload in flight and is under the limit."""

    def __init__(self, students: Iterable[Any], *, uploads_per_minute: int, window_s: float = RATE_LIMIT_WINDOW_S):
        self.uploads_per_minute = uploads_per_minute
        self.window_s = window_s
        self._idle = deque(students)
        self._sent: dict[str, deque[float]] = {student.username: deque() for student in self._idle}
        self._lock = threading.Lock()

    def take(self, now: float) -> Any | None:
        """The next student to upload at ``now`` (their upload is counted), or None if nobody may."""
        with self._lock:
            for index, student in enumerate(self._idle):
                sent = self._sent[student.username]
                while sent and sent[0] <= now - self.window_s:
                    sent.popleft()
                if not self.uploads_per_minute or len(sent) < self.uploads_per_minute:
                    del self._idle[index]
                    sent.append(now)
                    return student
        return None

    def give_back(self, student: Any) -> None:
        """``student``'s upload is settled (result shown, refused, or given up): they may upload again."""
        with self._lock:
            self._idle.append(student)


def due_moments(*, rate: float, seconds: float) -> list[float]:
    """When each upload of a step is due, from the step's start: ``rate`` a second, evenly spaced."""
    return [index / rate for index in range(max(1, round(rate * seconds)))]


class SaturationRun:
    """Runs the steps for one signed-in class (``students``: load_generator.Student objects)."""

    def __init__(self, plan, students: list, *, clock: Callable[[], float], record_type) -> None:
        self.plan = plan
        self.rota = StudentRota(students, uploads_per_minute=plan.uploads_per_minute)
        self.clock = clock
        self.record_type = record_type
        self._pool = ThreadPoolExecutor(REQUEST_THREADS, thread_name_prefix="student")
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._uploads = itertools.count()
        self._changed = threading.Condition()
        self._pending = 0
        self._records: list = []
        self._settled: set[int] = set()
        self._unserved = 0
        self._closing = False
        self._scheduler = threading.Thread(target=self._schedule_loop, name="schedule", daemon=True)
        self._scheduler.start()

    def step(self, *, number: int, rate: float, seconds: float) -> dict:
        """Run one step and return its outcome (wall-clock times, the records, uploads nobody could send)."""
        with self._changed:
            self._records, self._unserved, self._settled = [], 0, set()
        started, started_wall = self.clock(), time.time()
        for offset in due_moments(rate=rate, seconds=seconds):
            self._at(started + offset, lambda due=started + offset: self._upload_due(due))
        arrivals_end = started + seconds
        self._sleep_until(arrivals_end)
        arrivals_ended_wall = time.time()
        with self._changed:
            # Every upload is due by now; wait until each one's result is shown or given up.
            while self._pending or any(due <= arrivals_end for due, *_ in self._events):
                self._changed.wait(0.5)
            records, unserved = list(self._records), self._unserved
        # Record times are on this process's clock; ``started_s`` is the step's start on it.
        return {"step": number, "rate": rate, "seconds": seconds, "started_s": started, "started_at": started_wall,
                "arrivals_ended_at": arrivals_ended_wall, "ended_at": time.time(), "unserved": unserved,
                "records": [asdict(record) for record in records]}

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._scheduler.join()
        self._pool.shutdown(wait=True)

    # --- the schedule: one thread hands due work to the request pool ---

    def _at(self, due: float, work: Callable[[], None]) -> None:
        with self._changed:
            heapq.heappush(self._events, (due, next(self._order), work))
            self._changed.notify_all()

    def _schedule_loop(self) -> None:
        while True:
            with self._changed:
                while not self._closing and (not self._events or self._events[0][0] > self.clock()):
                    wait = self._events[0][0] - self.clock() if self._events else None
                    self._changed.wait(wait)
                if self._closing:
                    return
                _, _, work = heapq.heappop(self._events)
            work()

    def _sleep_until(self, moment: float) -> None:
        while (left := moment - self.clock()) > 0:
            time.sleep(min(left, 0.5))

    # --- one upload, from due to settled ---

    def _upload_due(self, due: float) -> None:
        now = self.clock()
        student = self.rota.take(now)
        with self._changed:
            if student is None:
                self._unserved += 1
                return
            self._pending += 1
        record = self.record_type(student=student.username, scenario="saturate", started_s=now, scheduled_s=due)
        self._pool.submit(self._guarded, self._upload, student, record)

    def _guarded(self, work, student, record, **arguments) -> None:
        # An exception in a pool thread would vanish with the upload still pending: the step would
        # never end. It is the upload's error instead.
        try:
            work(student, record, **arguments)
        except Exception as error:
            record.outcome, record.error = "error", f"{type(error).__name__}: {error}"
            self._settle(student, record)

    def _upload(self, student, record) -> None:
        record.started_s = self.clock()  # when the POST really went out
        plan = self.plan
        student.upload(upload_path=plan.upload_path, filename=f"{student.username}_{plan.assignment}.py",
                       content=plan.file_of(student.username, next(self._uploads)), record=record,
                       clock=self.clock)
        if record.outcome != "accepted":
            self._settle(student, record)
            return
        # The browser follows the redirect to the result page, which may show the result already.
        self._look(student, record, page="detail")

    def _look(self, student, record, *, page: str) -> None:
        asked = self.clock()
        done = student.look_for_result(record=record, posted_at=record.started_s, clock=self.clock, page=page)
        record.page_seconds.append(round(self.clock() - asked, 4))
        if done or self.clock() > record.started_s + self.plan.result_timeout_s:
            self._settle(student, record)
        else:
            self._at(self.clock() + record.next_poll_after(self.plan.poll_interval_s),
                     lambda: self._pool.submit(self._guarded, self._look, student, record, page="status"))

    def _settle(self, student, record) -> None:
        with self._changed:
            if id(record) in self._settled:
                return
            self._settled.add(id(record))
        self.rota.give_back(student)
        with self._changed:
            self._records.append(record)
            self._pending -= 1
            self._changed.notify_all()


def serve_steps(run: SaturationRun, *, commands: IO[str], answers: IO[str]) -> None:
    """Run one step per command line until ``stop`` or the end of input, answering each with a line."""
    for number, line in enumerate(commands, start=1):
        command = json.loads(line)
        if command.get("stop"):
            break
        outcome = run.step(number=number, rate=float(command["rate"]), seconds=float(command["seconds"]))
        answers.write(json.dumps(outcome) + "\n")
        answers.flush()
    run.close()
