"""A result page that shows the result the moment it is stored, not at the page's next poll.

The worker announces a submission whose grading ended (``submission_settled_announce``, after its
result is committed): a short-lived list per submission on the broker. A request for the page of a
pending submission may wait for that announcement, for a bounded time, before it renders
(``submission_settled_wait``): the page opened right after an upload then usually shows the result
itself, and the page's poller asks again the moment it answers instead of every 2 s.

What keeps the waiting cheap and safe:

- a waiting request holds a web thread and a broker connection, never the database: at most
  ``RESULT_WAITERS_PER_PROCESS`` requests of a process wait at once; the next one renders at once,
  and its page polls as it did before this existed;
- the broker down or slow costs no request more than a refused connection: the page renders
  without waiting, and for a few seconds nobody tries the broker again;
- the announcement is only a wake-up call: a waiter reads the submission afresh after it, so a
  lost announcement costs the wait's length, and a stale one (the last grading's, before a regrade)
  is dropped and waited past.

A submission that trains on a GPU is never waited for: its page shows a live training curve that
the poller refreshes.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from courseportal.submissions.models import Submission
from courseportal.submissions.services.training_queue import trains_on_gpus

logger = logging.getLogger(__name__)

# The announcement outlives any wait for it; a page opened later reads the stored result anyway.
ANNOUNCEMENT_TTL_S = 60
# After the broker failed a request, nobody waits on it for this long (each try would cost a request).
BROKER_REST_S = 5.0


@dataclass(frozen=True)
class SettledWait:
    """What a wait for a pending submission came to."""

    submission: Submission  # read afresh if the request waited; the caller's object otherwise
    held: bool  # the request waited on the broker, so the page may ask again at once
    # Every waiting place of this process was taken: the server is behind, and a page that asks
    # again at the usual pace only adds to its load (see the views' poll intervals).
    busy: bool = False


def submission_settled_announce(*, submission_id: int) -> None:
    """Wake every request waiting for ``submission_id``'s page; call once its result is committed.

    A broker outage is logged, not raised: the pages find the result at their next poll.
    """
    if _broker_resting():
        return
    key = _key(submission_id)
    try:
        with _client().pipeline(transaction=False) as pipe:
            pipe.delete(key).rpush(key, 1).expire(key, ANNOUNCEMENT_TTL_S).execute()
    except (RedisError, OSError) as error:
        _broker_rests()
        logger.warning("submission %s: its result pages were not woken: %s", submission_id, error)


def submission_settled_wait(*, submission: Submission, timeout_s: float) -> SettledWait:
    """Wait up to ``timeout_s`` for pending ``submission``'s grading to end; see the module's doc."""
    if not _may_wait(submission, timeout_s):
        return SettledWait(submission=submission, held=False)
    if not _waiters().acquire(blocking=False):
        return SettledWait(submission=submission, held=False, busy=True)
    try:
        deadline = time.monotonic() + timeout_s
        key = _key(submission.pk)
        while (left := deadline - time.monotonic()) > 0:
            woken = _client().blpop([key], timeout=max(left, 0.01)) is not None
            submission.refresh_from_db()
            if not submission.is_pending:
                if woken:
                    _client().lpush(key, 1)  # another tab of the same page waits too
                break
            if woken:
                _client().delete(key)  # the last grading's (a regrade queued since): wait for this one
            else:
                break
    except (RedisError, OSError) as error:
        _broker_rests()
        logger.warning("submission %s: waiting for its result on the broker failed: %s", submission.pk, error)
        return SettledWait(submission=submission, held=False)
    finally:
        _waiters().release()
    return SettledWait(submission=submission, held=True)


def _may_wait(submission: Submission, timeout_s: float) -> bool:
    return (timeout_s > 0 and submission.is_pending and submission.status != Submission.Status.TRAINING
            and not trains_on_gpus(submission.assignment.checker_slug) and not _broker_resting())


def _key(submission_id: int) -> str:
    return f"courseportal:settled:{submission_id}"


# --- one broker client and one bound on waiters per process ---

_lock = threading.Lock()
_state: dict[str, object] = {}
_resting_until = 0.0


def _client() -> redis.Redis:
    client = _state.get("client")
    if client is None:
        with _lock:
            client = _state.get("client")
            if client is None:
                # A blocking pop holds its connection for the whole wait: the socket's timeout must
                # outlast the longest wait; connecting must fail fast (the broker down).
                client = redis.Redis.from_url(
                    settings.REDIS_URL, socket_connect_timeout=0.5,
                    socket_timeout=max(settings.RESULT_POLL_WAIT_S, settings.RESULT_PAGE_WAIT_S) + 5,
                    retry=Retry(NoBackoff(), 0), max_connections=settings.RESULT_WAITERS_PER_PROCESS + 8,
                )
                _state["client"] = client
    return client


def _waiters() -> threading.BoundedSemaphore:
    waiters = _state.get("waiters")
    if waiters is None:
        with _lock:
            waiters = _state.setdefault("waiters", threading.BoundedSemaphore(settings.RESULT_WAITERS_PER_PROCESS))
    return waiters


def _broker_resting() -> bool:
    return time.monotonic() < _resting_until


def _broker_rests() -> None:
    global _resting_until
    _resting_until = time.monotonic() + BROKER_REST_S


def reset_for_tests() -> None:
    """Forget this process's client, bound and rest (settings changed under a test)."""
    global _resting_until
    with _lock:
        client = _state.pop("client", None)
        _state.pop("waiters", None)
        _resting_until = 0.0
    if client is not None:
        client.close()
