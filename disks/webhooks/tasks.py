"""The worker's webhook task: thin, load the delivery and make one attempt."""

from django.tasks import task

from disks.models import WebhookDelivery
from disks.webhooks.delivery import webhook_delivery_attempt


@task()
def webhook_delivery_send_task(delivery_id: int) -> None:
    """Attempt one delivery if it is still pending; the service schedules any retry."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is not None:
        webhook_delivery_attempt(delivery=delivery)
