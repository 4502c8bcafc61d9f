"""The wire adapter: the only code that imports the generated client (`semphony_api`) or httpx.

`_calls` prepares every API call and parses its answer into the SDK's types, once; `_requests`
holds the request values and the steps they make up; the transports (`_transport`, and
`_bridge` for blocking steps over an async transport) send them.
"""

from semphony._wire import _calls as calls
from semphony._wire._artifacts import Downloaded
from semphony._wire._bridge import LoopBridge
from semphony._wire._requests import Call, Download, Offload, Request, Steps, one
from semphony._wire._transport import AsyncTransport, SyncTransport, TransportBase, mask_token

__all__ = [
    "AsyncTransport",
    "Call",
    "Download",
    "Downloaded",
    "LoopBridge",
    "Offload",
    "Request",
    "Steps",
    "SyncTransport",
    "TransportBase",
    "calls",
    "mask_token",
    "one",
]
