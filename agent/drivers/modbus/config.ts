/**
 * `device.modbus`: one Modbus TCP installation (host, port, unit id, timing) and its vendor
 * quirks as named workarounds (STYLE.md lesson 7). The register map itself is the profile's
 * `modbus` section (lib/profile/modbus-schema.ts). Defaults are applied by the loader (ajv
 * useDefaults), so a validated config carries every field.
 */
import { Type, type Static } from '@sinclair/typebox';

export const MODBUS_MAX_REGISTERS = 125;
export const MODBUS_MAX_BITS = 2000;

export const ModbusWorkarounds = Type.Object(
  {
    maxRegistersPerRequest: Type.Integer({ minimum: 1, maximum: MODBUS_MAX_REGISTERS, default: MODBUS_MAX_REGISTERS, description: 'largest register read the device accepts (words)' }),
    maxBitsPerRequest: Type.Integer({ minimum: 1, maximum: MODBUS_MAX_BITS, default: MODBUS_MAX_BITS, description: 'largest coil / discrete-input read the device accepts (bits)' }),
    maxGap: Type.Integer({ minimum: 0, maximum: MODBUS_MAX_REGISTERS, default: 16, description: 'unused registers (or bits) a merged read may span between two points; 0 = only contiguous' }),
    pauseAfterConnectMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 0, description: 'wait after (re)connecting before the first request' }),
    singleRegisterWrites: Type.Boolean({ default: false, description: 'write multi-register values one register at a time (FC6 each), for devices without FC16' }),
  },
  { additionalProperties: false, default: {} },
);
export type ModbusWorkarounds = Static<typeof ModbusWorkarounds>;

export const ModbusBackoff = Type.Object(
  {
    initialMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 1000, description: 'first wait after a device stops answering' }),
    maxMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 30_000, description: 'cap of the doubling wait' }),
  },
  { additionalProperties: false, default: {} },
);

export const ModbusDeviceConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'IP address or host name of the device or gateway' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 502, description: 'TCP port' }),
    unitId: Type.Integer({ minimum: 1, maximum: 247, default: 1, description: 'Modbus unit (slave) id' }),
    timeoutMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000, description: 'per request' }),
    retries: Type.Integer({ minimum: 0, maximum: 10, default: 1, description: 'extra attempts of a timed-out request in the same cycle' }),
    backoff: ModbusBackoff,
    maxQueue: Type.Integer({ minimum: 1, maximum: 10_000, default: 256, description: 'requests queued per endpoint (host:port) before new ones are refused (bounded queue)' }),
    workarounds: ModbusWorkarounds,
  },
  { additionalProperties: false },
);
export type ModbusDeviceConfig = Static<typeof ModbusDeviceConfig>;
