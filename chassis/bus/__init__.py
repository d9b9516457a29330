"""The bus port (facts travel as events) and its adapters: Kafka for local/cluster, memory for embedded."""

from chassis.bus.port import Bus, BusConsumer, BusMessage

__all__ = ["Bus", "BusConsumer", "BusMessage"]
