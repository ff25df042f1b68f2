"""``manage.py benchmark``: measure grading, uploads, a deadline burst and the gradebook on a throwaway stack."""

from __future__ import annotations

import argparse
import sys

from django.core.management.base import BaseCommand, CommandError

from courseportal.operations.benchmark.figures import report_json, report_text
from courseportal.operations.benchmark.run import BenchmarkOptions, benchmark_run
from courseportal.operations.benchmark.saturation import QUICK, SaturationOptions, step_line
from courseportal.operations.benchmark.stack import StackFailed


class Command(BaseCommand):
    # The checks would create MEDIA_ROOT under the development state; the benchmark's own processes
    # run them (migrate) or their own (the worker's sandbox check) on the throwaway state.
    requires_system_checks: list[str] = []
    help = ("Start the real stack on temporary state and measure the sandbox, grading lec2_hw1, upload -> "
            "result, a deadline burst and the gradebook. Never touches the development data.")

    def add_arguments(self, parser):
        defaults = BenchmarkOptions()
        parser.add_argument("--students", type=int, default=defaults.students,
                            help="students in the deadline burst (default %(default)s)")
        parser.add_argument("--seconds", type=float, default=defaults.seconds,
                            help="the burst's window: every student uploads once within it (default %(default)s)")
        parser.add_argument("--runs", type=int, default=defaults.runs,
                            help="runs per median for the grading and gradebook figures (default %(default)s)")
        parser.add_argument("--idle-uploads", type=int, default=defaults.idle_uploads,
                            help="uploads, one at a time, for the idle upload -> result figures")
        parser.add_argument("--poison", type=int, default=defaults.poison, metavar="N",
                            help="also run the burst again with N poisoned uploads (each from its own student: the "
                                 "outside review's crafted lec2_hw1 answers) mixed in; report the others' time to "
                                 "result next to the burst's")
        parser.add_argument("--flood", action="store_true",
                            help="also measure fairness: one student floods uploads while others upload")
        saturation = defaults.saturation
        parser.add_argument("--saturate", action="store_true",
                            help="instead of the other measurements, raise the arrival rate step by step until the "
                                 "service cannot keep up: per step results/s, time to result, where the time went "
                                 "and CPU per upload by part")
        parser.add_argument("--quick", action="store_true",
                            help=f"with --saturate: a small run to prove the mode works ({QUICK.students} students, "
                                 f"{','.join(f'{rate:g}' for rate in QUICK.rates)} uploads/s for "
                                 f"{QUICK.step_seconds:g} s each); its figures mean little")
        parser.add_argument("--saturate-rates", type=_rates, default=saturation.rates, metavar="R,R,...",
                            help="uploads per second of each step, in order (default "
                                 f"{','.join(f'{rate:g}' for rate in saturation.rates)})")
        parser.add_argument("--step-seconds", type=float, default=saturation.step_seconds,
                            help="how long each step's uploads arrive (default %(default)s)")
        parser.add_argument("--saturate-students", type=int, default=saturation.students,
                            help="the class that uploads again and again within the portal's rules "
                                 "(default %(default)s)")
        parser.add_argument("--distinct-code", action="store_true",
                            help="with --saturate: every upload's code differs (a line appended), so each grading "
                                 "builds the model in the sandbox; by default a class uploads the starter's code "
                                 "with their answers, and a worker builds it once (grader/run_reuse.py)")
        parser.add_argument("--gradebook-students", type=int, default=defaults.gradebook_students,
                            help="students in the generated gradebook (also measured at half the size)")
        parser.add_argument("--gradebook-assignments", type=int, default=defaults.gradebook_assignments)
        parser.add_argument("--gradebook-submissions", type=int, default=defaults.gradebook_submissions,
                            help="graded submissions per student and assignment")
        parser.add_argument("--concurrency", type=int, default=defaults.concurrency,
                            help="grading processes in the worker (default %(default)s)")
        parser.add_argument("--result-timeout", type=float, default=defaults.result_timeout_s,
                            help="seconds after its upload a result may take before it counts as lost")
        parser.add_argument("--database-url", default=None,
                            help="an EMPTY database to fill (default: a temporary SQLite file)")
        parser.add_argument("--keep", action="store_true", help="keep the temporary state and logs")
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
        parser.add_argument("--training", action="store_true",
                            help="also measure lec2_hw3 training: pre-check, time to result, overhead, a burst")
        parser.add_argument("--training-students", type=int, default=defaults.training_students,
                            help="students in the training burst (default %(default)s)")
        parser.add_argument("--training-seconds", type=float, default=defaults.training_window_s,
                            help="the training burst's window (default %(default)s)")
        parser.add_argument("--training-epochs", type=int, default=defaults.training_epochs,
                            help="epochs the burst's file trains; 0 for the starter as given (default %(default)s)")

    def handle(self, *args, **options):
        if options["quick"] and not options["saturate"]:
            raise CommandError("--quick is a small saturation run: give it with --saturate.")
        if options["quick"]:
            options.update(saturate_rates=QUICK.rates, step_seconds=QUICK.step_seconds,
                           saturate_students=QUICK.students)
        if options["distinct_code"] and not options["saturate"]:
            raise CommandError("--distinct-code changes the saturation's uploads: give it with --saturate.")
        if options["saturate"] and (options["step_seconds"] <= 0 or options["saturate_students"] < 1):
            raise CommandError("--step-seconds must be above 0 and --saturate-students at least 1.")
        if options["students"] < 1 or options["seconds"] <= 0 or options["runs"] < 1 or options["poison"] < 0:
            raise CommandError("--students and --runs must be at least 1, --seconds above 0, --poison 0 or more.")
        chosen = BenchmarkOptions(
            students=options["students"], seconds=options["seconds"], runs=options["runs"],
            idle_uploads=options["idle_uploads"], flood=options["flood"], poison=options["poison"],
            gradebook_students=options["gradebook_students"],
            gradebook_assignments=options["gradebook_assignments"],
            gradebook_submissions=options["gradebook_submissions"], concurrency=options["concurrency"],
            result_timeout_s=options["result_timeout"], database_url=options["database_url"], keep=options["keep"],
            training=options["training"], training_students=options["training_students"],
            training_window_s=options["training_seconds"], training_epochs=options["training_epochs"],
            saturate=options["saturate"],
            saturation=SaturationOptions(rates=options["saturate_rates"], step_seconds=options["step_seconds"],
                                         students=options["saturate_students"],
                                         result_timeout_s=options["result_timeout"],
                                         distinct_code=options["distinct_code"]),
        )
        try:
            figures = benchmark_run(chosen, say=lambda line: self.stderr.write(f"benchmark: {line}"))
        except (StackFailed, RuntimeError) as error:
            raise CommandError(f"the benchmark could not finish: {error}") from None
        self.stdout.write(report_json(figures) if options["json"] else report_text(figures))
        if not options["json"] and figures.get("saturation_steps"):
            self.stdout.write("\nsaturation steps, one by one:\n" + "\n".join(map(step_line, figures["saturation_steps"])))
        if any(figures.get(name) for name in ("burst_lost", "burst_errors", "poison_others_lost", "poison_unfinished",
                                              "training_burst_lost", "training_burst_errors", "saturation_lost",
                                              "saturation_errors")):
            sys.exit(3)


def _rates(text: str) -> tuple[float, ...]:
    try:
        rates = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give uploads per second separated by commas, e.g. 5,10,20") from None
    if not rates or any(rate <= 0 for rate in rates):
        raise argparse.ArgumentTypeError(f"{text!r}: every rate must be above 0")
    return rates
