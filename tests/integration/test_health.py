"""Every service answers its `health` RPC once its container runs on its own database."""
import pytest

from services.access.service import AccessService
from services.billing.service import BillingService
from services.orders.service import OrdersService
from services.scores.service import ScoresService
from services.vouchers.service import VouchersService


@pytest.mark.parametrize("service_cls", [AccessService, OrdersService, VouchersService,
                                         ScoresService, BillingService],
                         ids=lambda cls: cls.name)
def test_health_answers_ok(service_cls, start_service, rpc):
    start_service(service_cls)

    assert getattr(rpc, service_cls.name).health() == "ok"
