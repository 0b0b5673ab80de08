import { DataType, DataValue, StatusCodes, Variant } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { rawOf, readingOf, statusReason } from './status.js';

describe('opcua status and values', () => {
  it.each([
    [StatusCodes.Good, { raw: 7.5 }],
    [StatusCodes.UncertainSensorNotAccurate, { raw: 7.5, sourceQuality: 'uncertain' }],
    [StatusCodes.UncertainLastUsableValue, { raw: 7.5, sourceQuality: 'uncertain' }],
    [StatusCodes.BadSensorFailure, { raw: null, error: 'opcua_BadSensorFailure' }],
    [StatusCodes.BadCommunicationError, { raw: null, error: 'opcua_BadCommunicationError' }],
    [StatusCodes.BadOutOfService, { raw: null, error: 'opcua_BadOutOfService' }],
  ])('%s', (status, want) => {
    const dv = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 7.5 }), statusCode: status, sourceTimestamp: new Date(1_700_000_000_000) });
    expect(readingOf('plant', 'x', dv, 5)).toEqual({ device: 'plant', point: 'x', ts: 1_700_000_000_000, ...want });
  });

  it('maps Variant values to raw scalars; structures are parse errors', () => {
    expect(rawOf(DataType.Int64, [0x00000001, 0x00000002])).toBe(4294967298n);
    expect(rawOf(DataType.Int64, [0xffffffff, 0xffffffff])).toBe(-1n);
    expect(rawOf(DataType.UInt64, [0xffffffff, 0xffffffff])).toBe(18446744073709551615n);
    expect(rawOf(DataType.DateTime, new Date(1000))).toBe(1000);
    expect(rawOf(DataType.LocalizedText, { text: 'running', locale: 'en' })).toBe('running');
    expect(rawOf(DataType.Boolean, true)).toBe(true);
    expect(rawOf(DataType.Double, [1, 2, 3])).toBeUndefined();
    const dv = new DataValue({ value: new Variant({ dataType: DataType.Double, arrayType: 1, value: [1, 2] }), statusCode: StatusCodes.Good });
    expect(readingOf('plant', 'x', dv, 5)).toMatchObject({ raw: null, error: 'parse_error', ts: 5 });
    expect(statusReason('BadSensorFailure#Overflow')).toBe('opcua_BadSensorFailure');
  });
});
