"""Separate queues: long bulk work never starves beat's sweeps or the notices."""

from django.conf import settings

from config.celery import app

BULK = [
    "vouchers.batch_run",
    "vouchers.freeze_marks",
    "compensation.population_import_run",
    "compensation.dry_run_execute",
]
NOTICES = ["notifications.dispatch", "notifications.campaign_build", "notifications.redispatch"]


def _queue(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_bulk_work_sweeps_and_notices_each_have_their_own_queue():
    assert {_queue(name) for name in BULK} == {settings.BULK_QUEUE}
    assert {_queue(name) for name in NOTICES} == {settings.NOTIFICATIONS_QUEUE}
    assert _queue("config.ping") == settings.CELERY_TASK_DEFAULT_QUEUE
    queues = [
        settings.BULK_QUEUE,
        settings.SWEEPS_QUEUE,
        settings.NOTIFICATIONS_QUEUE,
        settings.CELERY_TASK_DEFAULT_QUEUE,
    ]
    assert len(set(queues)) == 4


def test_every_project_task_has_a_queue_chosen_for_it():
    # A task left on the default queue by omission waits behind whatever else lands there.
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert "vouchers.freeze_marks" in ours
    unrouted = [n for n in ours if n not in settings.CELERY_TASK_ROUTES and n != "config.ping"]
    assert unrouted == []


def test_every_periodic_task_goes_to_the_sweeps_or_the_notices_queue_never_behind_bulk_work():
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        queue = entry.get("options", {}).get("queue") or _queue(entry["task"])
        assert queue in {settings.SWEEPS_QUEUE, settings.NOTIFICATIONS_QUEUE}, name
        # A sweep that waits longer than its period is dropped, not piled up.
        assert entry["options"]["expires"] <= entry["schedule"], name


def test_a_killed_workers_messages_are_not_needed_for_recovery_within_the_hour():
    # The sweeps recover from the database; the visibility timeout only has to outlast the
    # longest task and its retry delay (tests/config/test_celery.py), not be an hour.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility < 3600
    assert settings.VOUCHERS_REDISPATCH_STALE_SECONDS + settings.VOUCHERS_REDISPATCH_EVERY < 120
    assert settings.NOTIFICATIONS_SENDING_LEASE <= 60
