"""The four agent types: farmer households (arrays, with a per-household view), cooperatives,
county service stations and logistics hubs."""

from agents.cooperative import Cooperative
from agents.logistics import (
    CountyHub,
    LogisticsHub,
    OverseasWarehouse,
    PickupPoint,
    ProvincialHub,
)
from agents.station import ServiceStation

__all__ = ["Cooperative", "CountyHub", "LogisticsHub", "OverseasWarehouse", "PickupPoint",
           "ProvincialHub", "ServiceStation"]
