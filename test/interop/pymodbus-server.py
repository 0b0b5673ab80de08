#!/usr/bin/python3
"""Interop fixture: a Modbus TCP server run with Debian's python3-pymodbus (3.0), an
implementation we did not write. Its register layout comes ONLY from a dcim profile YAML; the raw
values come from a values YAML; registers are encoded with pymodbus' own BinaryPayloadBuilder
(not our codec). Binds 127.0.0.1 on the given port (0 = any free port) and prints `PORT <n>`.

usage: /usr/bin/python3 test/interop/pymodbus-server.py --profile P.yaml --values V.yaml [--port 0]
"""
import argparse
import asyncio
import signal
import sys

import yaml
from pymodbus.constants import Endian
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server.async_io import ModbusTcpServer

# Byte order within a word, word order: dcim ABCD/CDAB/BADC/DCBA in pymodbus terms.
ORDERS = {
    "ABCD": (Endian.Big, Endian.Big),
    "CDAB": (Endian.Big, Endian.Little),
    "BADC": (Endian.Little, Endian.Big),
    "DCBA": (Endian.Little, Endian.Little),
}
SIZE = 1024


def encode(point, raw, default_order):
    byteorder, wordorder = ORDERS[point.get("order", default_order)]
    b = BinaryPayloadBuilder(byteorder=byteorder, wordorder=wordorder)
    t = point["type"]
    if t == "bool":
        b.add_16bit_uint(1 if raw else 0)
    elif t == "string":
        text = str(raw).encode("ascii").ljust(point["length"] * 2, b"\0")
        b.add_string(text)
    else:
        add = {
            "int16": b.add_16bit_int, "uint16": b.add_16bit_uint,
            "int32": b.add_32bit_int, "uint32": b.add_32bit_uint, "float32": b.add_32bit_float,
            "int64": b.add_64bit_int, "uint64": b.add_64bit_uint, "float64": b.add_64bit_float,
        }[t]
        add(raw)
    return b.to_registers()


def build_context(profile, values):
    section = profile["modbus"]
    order = section.get("order", "ABCD")
    tables = {"coil": [False] * SIZE, "discrete": [False] * SIZE, "holding": [0] * SIZE, "input": [0] * SIZE}
    for point in section["points"]:
        name = point["name"]
        if name not in values:
            sys.exit(f"values file has no raw value for point {name}")
        raw = values[name]["raw"]
        table = tables[point["table"]]
        if point["table"] in ("coil", "discrete"):
            table[point["address"]] = bool(raw)
        else:
            for i, reg in enumerate(encode(point, raw, order)):
                table[point["address"] + i] = reg
    slave = ModbusSlaveContext(
        co=ModbusSequentialDataBlock(0, tables["coil"]),
        di=ModbusSequentialDataBlock(0, tables["discrete"]),
        hr=ModbusSequentialDataBlock(0, tables["holding"]),
        ir=ModbusSequentialDataBlock(0, tables["input"]),
        zero_mode=True,
    )
    return ModbusServerContext(slaves=slave, single=True)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", required=True)
    ap.add_argument("--values", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    with open(args.profile, encoding="utf-8") as f:
        profile = yaml.safe_load(f)
    with open(args.values, encoding="utf-8") as f:
        values = yaml.safe_load(f)["values"]
    server = ModbusTcpServer(build_context(profile, values), address=("127.0.0.1", args.port))
    task = asyncio.ensure_future(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    await stop
    await server.server_close()
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
