"""The commented example configuration ``shuixiao agent example-config`` prints (demo park)."""

from __future__ import annotations

from typing import Final

__all__ = ["EXAMPLE_METERS", "example_config"]

EXAMPLE_METERS: Final = ("FT-1001", "FT-2001", "FI-3101", "PT-3301", "LT-3401")
"""Meters of the demo steel works (``ronghu-steel``) the example reads."""

_ZH: Final = """\
# shuixiao 网关代理配置（示范园区：岳阳荣湖钢铁）。说明见 docs/agent.md。
# 运行：shuixiao agent run --config agent.yaml     状态：shuixiao agent status --config agent.yaml
gateway: gw-ronghu-01            # 网关编号（签名批次的设备号）
enterprise: ronghu-steel         # 企业编号（平台模型中的 id）
interval: 10s                    # 采集周期：秒数，或 30s、15min、1h

buffer:
  directory: ./agent-buffer      # 本地缓存（SQLite）：读数先落盘，平台确认后才删除
  capacity: 2000000              # 最多缓存的读数条数；满后拒收新读数并告警

publisher:
  batch_size: 500                # 每条消息（或每个 HTTP 请求）的读数条数
  mqtt:                          # 由 shuixiao ingest mqtt 接收
    host: 127.0.0.1
    port: 1883
    prefix: shuixiao/v1
    # username: gw-ronghu-01
    # password_env: SHUIXIAO_AGENT_MQTT_PASSWORD   # 口令从环境变量读取，不写入文件
    # tls: {ca_file: ca.crt, cert_file: gw.crt, key_file: gw.key}
  # http:                        # 或者经 HTTP 上报（与 mqtt 二选一）
  #   url: https://platform.example.cn
  #   token_env: SHUIXIAO_AGENT_TOKEN              # 设备令牌

backoff: {initial: 1s, maximum: 5min, factor: 2}    # 发送失败后指数退避（带随机抖动）

# signing:                       # 用设备私钥（Ed25519）签名批次，就地上链存证
#   key_file: device.key

demo:                            # 示范园区的模拟计量器具（与 shuixiao demo build 相同的种子）
  seed: 2025
  start: 2025-01-01
  days: 365
  speed: 90                      # 模拟时间流速：每秒 90 秒，即每 10 秒一组 15 分钟读数

meters:
{meters}
  # Modbus TCP 计量器具：设备与寄存器映射（shuixiao/data/modbus_maps.yaml）
  # - id: FT-9001
  #   unit: m³/h                 # 可选：上报单位（默认为映射中的单位）
  #   modbus: {device: gw-rs485-1, model: siemens-sitrans-fm-mag6000, point: flow}

# devices:
#   gw-rs485-1: {host: 192.168.10.20, port: 502, unit: 1, timeout: 3s, retries: 1}
"""

_EN: Final = """\
# shuixiao gateway agent configuration (demo park: Yueyang Ronghu steel works). See docs/agent.md.
# Run: shuixiao agent run --config agent.yaml     Status: shuixiao agent status --config agent.yaml
gateway: gw-ronghu-01            # gateway id (the device id of signed batches)
enterprise: ronghu-steel         # enterprise id in the platform's model
interval: 10s                    # polling interval: seconds, or 30s, 15min, 1h

buffer:
  directory: ./agent-buffer      # local buffer (SQLite): readings are on disk before they are sent
  capacity: 2000000              # most readings buffered; when full, new readings are refused (warned)

publisher:
  batch_size: 500                # readings per message (or per HTTP request)
  mqtt:                          # read by shuixiao ingest mqtt
    host: 127.0.0.1
    port: 1883
    prefix: shuixiao/v1
    # username: gw-ronghu-01
    # password_env: SHUIXIAO_AGENT_MQTT_PASSWORD   # the password comes from the environment
    # tls: {ca_file: ca.crt, cert_file: gw.crt, key_file: gw.key}
  # http:                        # or post over HTTP (instead of mqtt)
  #   url: https://platform.example.cn
  #   token_env: SHUIXIAO_AGENT_TOKEN              # the device token

backoff: {initial: 1s, maximum: 5min, factor: 2}    # exponential backoff with jitter after a failed send

# signing:                       # sign batches with the device key (Ed25519): notarised at the source
#   key_file: device.key

demo:                            # the demo park's simulated meters (same seed as shuixiao demo build)
  seed: 2025
  start: 2025-01-01
  days: 365
  speed: 90                      # simulated seconds per second: a 15-minute reading every 10 s

meters:
{meters}
  # A Modbus TCP meter: a device and a register map (shuixiao/data/modbus_maps.yaml)
  # - id: FT-9001
  #   unit: m³/h                 # optional: the unit sent (default: the map's)
  #   modbus: {device: gw-rs485-1, model: siemens-sitrans-fm-mag6000, point: flow}

# devices:
#   gw-rs485-1: {host: 192.168.10.20, port: 502, unit: 1, timeout: 3s, retries: 1}
"""


def example_config(language: str = "zh") -> str:
    """Return the commented example configuration for the demo park, in ``language`` ('zh' or 'en').

    Examples
    --------
    >>> "enterprise: ronghu-steel" in example_config("en")
    True
    """
    meters = "\n".join("  - {id: " + meter + ", demo: {}}" for meter in EXAMPLE_METERS)
    return (_EN if language == "en" else _ZH).replace("{meters}", meters)
