"""Field adapters (adapter layer): Modbus TCP polling and the store-and-forward gateway agent.

The gateway agent runs beside the meters, not beside the database: it reads
meters (:mod:`~shuixiao.field.modbus` through register maps of
:mod:`~shuixiao.field.maps`, or the demo park's simulated meters), appends
every reading to a durable local buffer (:class:`Buffer`) before anything is
sent, publishes over MQTT or HTTP (:mod:`~shuixiao.field.publish`), and
removes readings only when the platform acknowledged them.  See
``docs/agent.md``.
"""

from shuixiao.field._example import example_config
from shuixiao.field._records import FieldReading, Rejected
from shuixiao.field.agent import Agent, AgentEvent, AgentStatus, Probe, agent_status, probe_meters
from shuixiao.field.buffer import AppendResult, Buffer, BufferStatus, Pending
from shuixiao.field.config import AgentConfig, read_agent_config
from shuixiao.field.maps import DataType, Point, RegisterMap, decode_registers, load_register_maps
from shuixiao.field.modbus import ModbusEndpoint, ModbusError, read_point

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentEvent",
    "AgentStatus",
    "AppendResult",
    "Buffer",
    "BufferStatus",
    "DataType",
    "FieldReading",
    "ModbusEndpoint",
    "ModbusError",
    "Pending",
    "Point",
    "Probe",
    "RegisterMap",
    "Rejected",
    "agent_status",
    "decode_registers",
    "example_config",
    "load_register_maps",
    "probe_meters",
    "read_agent_config",
    "read_point",
]
