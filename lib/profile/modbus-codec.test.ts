import { describe, expect, it } from 'vitest';
import { decodeRegisters, encodeRegisters } from './modbus-codec.js';
import { BYTE_ORDERS } from './modbus-schema.js';

describe('modbus codec', () => {
  it('encodes float32 123.456 in all four orders as the documented byte sequences', () => {
    // 123.456f = 0x42F6E979 → A=42 B=F6 C=E9 D=79
    expect(encodeRegisters(123.456, 'float32', 'ABCD')).toEqual([0x42f6, 0xe979]);
    expect(encodeRegisters(123.456, 'float32', 'CDAB')).toEqual([0xe979, 0x42f6]);
    expect(encodeRegisters(123.456, 'float32', 'BADC')).toEqual([0xf642, 0x79e9]);
    expect(encodeRegisters(123.456, 'float32', 'DCBA')).toEqual([0x79e9, 0xf642]);
  });

  it('encodes uint64 0x0102030405060708 word-swapped as GHEFCDAB', () => {
    expect(encodeRegisters(0x0102030405060708n, 'uint64', 'CDAB')).toEqual([0x0708, 0x0506, 0x0304, 0x0102]);
  });

  it('round-trips every type in every order', () => {
    const samples: [Parameters<typeof encodeRegisters>[1], number | bigint | string | boolean][] = [
      ['bool', true], ['int16', -1234], ['uint16', 65000], ['int32', -2_000_000_000], ['uint32', 4_000_000_000],
      ['float32', -0.5], ['int64', -(2n ** 62n)], ['uint64', 2n ** 63n + 5n], ['float64', Math.PI], ['string', 'UPS-Z1'],
    ];
    for (const order of BYTE_ORDERS) {
      for (const [type, v] of samples) {
        const regs = encodeRegisters(v, type, order, 4);
        expect(decodeRegisters(regs, type, order), `${type} ${order}`).toEqual(v);
      }
    }
  });

  it('refuses a value that does not fit its type', () => {
    expect(() => encodeRegisters(70000, 'uint16')).toThrow(/does not fit uint16/);
    expect(() => encodeRegisters(-1, 'uint32')).toThrow(/does not fit/);
  });
});
