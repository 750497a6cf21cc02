"""Order history as a plain WSGI app answers it: the yardstick bench/order_history.py sets
beside the gateway. One process reads the access and orders databases directly (no bus,
no RPC), with the checks the access service makes (a live session, the portal terms,
this year's access to the organization, a complete profile) and the JSON of
`GET /api/organizations/{id}/orders` for the current academic year. Read-only.

    gunicorn -w 2 bench.plain_orders_app:app   (in the sandbox's environment)
"""
import json

from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from gateway.errors import response_for
from services.access.accounts import current_account
from services.access.organizations import authorize
from services.common.clock import Clock
from services.common.config import database_url, load_config
from services.common.database import make_engine
from services.common.errors import ClepError
from services.orders.ordering import order_history

config = load_config()
clock = Clock.from_config(config)
# made in each gunicorn worker (no --preload), so no connection crosses a fork
access_db = make_engine(database_url(config, "access"))
orders_db = make_engine(database_url(config, "orders"))
urls = Map([Rule("/api/organizations/<int:org_id>/orders", endpoint="orders")])


def bearer_token(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else None


def list_orders(request, org_id):
    with Session(access_db) as session:
        account = current_account(session, clock, bearer_token(request))
        authorize(session, clock, account, org_id)
    with Session(orders_db) as session:
        orders = order_history(session, clock, org_id, clock.academic_year())
    for order in orders:
        order["vouchers_csv_url"] = "/api/organizations/{}/orders/{}/vouchers.csv".format(
            org_id, order["id"])
    return {"orders": orders}


def app(environ, start_response):
    try:
        _endpoint, args = urls.bind_to_environ(environ).match()
        response = Response(json.dumps(list_orders(Request(environ), **args), default=str),
                            mimetype="application/json")
    except ClepError as error:  # the gateway's error table and body
        response = response_for(error)
    except HTTPException as error:  # no such route or method
        response = error
    return response(environ, start_response)
