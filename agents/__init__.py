"""The four agent types: farmer households (the vectorised set :class:`Households`, and the
per-agent reference :class:`FarmerHousehold`), cooperatives, county service stations and
logistics hubs. Agents hold their state and their own rules; the model (``model.model``) wires
them and never the other way round."""

from agents.cooperative import Cooperative
from agents.farmers import Households, HouseholdView
from agents.logistics import (
    CountyHub,
    LogisticsHub,
    OverseasWarehouse,
    PickupPoint,
    ProvincialHub,
)
from agents.station import ServiceStation

__all__ = ["Cooperative", "CountyHub", "HouseholdView", "Households", "LogisticsHub",
           "OverseasWarehouse", "PickupPoint", "ProvincialHub", "ServiceStation"]
