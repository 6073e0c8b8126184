"""Schedules: EventBridge rules that invoke a function on a timer.

* the reminder sweep (functions/workers/reminder_sweep.py), every 5 minutes: every reminder due by
  then goes to each confirmed registrant once (lectern.reminders.sweep). Invoked directly, without
  a queue: a lost or repeated tick is harmless (the next one finds the same due reminders, the
  per-registrant claims make a repeat send nothing). Its timeout is 5 minutes — shorter than the
  15-minute claim lease, so a live sweep never loses a claim — and it stops claiming 60 s before.

Local mode mirrors this with a timer thread (local/server.py, LECTERN_REMINDER_SWEEP_SECONDS).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.functions import INDEX_ACTIONS, TABLE_ACTIONS, Access, Shared, route_group_function
from infra.staging import stage_module

REMINDER_SWEEP_HANDLER = "functions.workers.reminder_sweep.lambda_handler"
REMINDER_SWEEP_RATE = Duration.minutes(5)
REMINDER_SWEEP_TIMEOUT_SECONDS = 300
# Reads due reminders (GSI2), events, registrations (GSI1), suppression; writes claims and the
# reminder; mails (with a signed cancel link: the app secret). No bus, no files.
REMINDER_SWEEP_ACCESS = Access(
    table_actions=TABLE_ACTIONS, index_actions=INDEX_ACTIONS, mail=True, secret=True
)


class Schedules(Construct):
    def __init__(self, scope: Construct, id: str, *, shared: Shared) -> None:
        super().__init__(scope, id)
        self.reminder_sweep = route_group_function(
            self,
            "ReminderSweep",
            name="reminder-sweep",
            handler=REMINDER_SWEEP_HANDLER,
            code_dir=stage_module(REMINDER_SWEEP_HANDLER.rpartition(".")[0]),
            shared=shared,
            access=REMINDER_SWEEP_ACCESS,
            description="Lectern reminder sweep: due reminders to each confirmed registrant, once",
        )
        cfn = self.reminder_sweep.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        cfn.timeout = REMINDER_SWEEP_TIMEOUT_SECONDS  # not an API function: longer than 29 s
        self.reminder_rule = events.Rule(
            self,
            "ReminderSweepRule",
            rule_name=f"lectern-{shared.stage}-reminder-sweep",
            description="Every 5 minutes: send the reminders that are due (lectern.reminders.sweep)",
            schedule=events.Schedule.rate(REMINDER_SWEEP_RATE),
            targets=[
                targets.LambdaFunction(
                    self.reminder_sweep, retry_attempts=2, max_event_age=REMINDER_SWEEP_RATE
                )
            ],
        )

    @property
    def functions(self) -> dict[str, lambda_.Function]:
        return {"reminder-sweep": self.reminder_sweep}
