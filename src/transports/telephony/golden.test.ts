import { describe, expect, it } from 'vitest';
import { ALL_FIXTURES } from './fixtures/index.js';
import {
  CARRIER_AUTH,
  CARRIER_ENDPOINTS,
  CARRIER_NAMES,
  carrierForPath,
  createSerializer,
  type CarrierName,
  type CarrierSerializer,
} from './index.js';

function run(s: CarrierSerializer, step: (typeof ALL_FIXTURES)[number]['steps'][number]): unknown {
  if ('in' in step) {
    return s.parse(step.in, step.binary ?? false);
  }
  switch (step.out) {
    case 'media':
      return s.media(step.payload);
    case 'mark':
      return s.mark(step.name);
    case 'flush':
      return s.flush();
    case 'clear':
      return s.clear();
    case 'hangup':
      return s.hangup();
  }
}

describe('golden wire fixtures', () => {
  for (const fixture of ALL_FIXTURES) {
    it(`${fixture.carrier}: ${fixture.title}`, () => {
      const s = createSerializer(fixture.carrier, fixture.options ?? {});
      expect(s.name).toBe(fixture.carrier);
      fixture.steps.forEach((step, i) => {
        const label = `step ${i}${step.note === undefined ? '' : ` (${step.note})`}`;
        // Byte-exact: strings compare as strings, buffers by content and type.
        expect(run(s, step), label).toStrictEqual(step.expect);
      });
    });
  }

  it('covers every carrier with inbound start/media and outbound media', () => {
    for (const name of CARRIER_NAMES) {
      const steps = ALL_FIXTURES.filter((f) => f.carrier === name).flatMap((f) => f.steps);
      const kinds = new Set(
        steps.flatMap((st) => ('in' in st ? st.expect.map((e) => e.kind) : [])),
      );
      expect(kinds.has('start'), name).toBe(true);
      expect(kinds.has('media'), name).toBe(true);
      expect(
        steps.some((st) => 'out' in st && st.out === 'media' && st.expect.length > 0),
        name,
      ).toBe(true);
    }
  });

  it('marks are acknowledged by the carriers that have them', () => {
    const withMarks: CarrierName[] = [
      'twilio',
      'telnyx',
      'vonage',
      'plivo',
      'exotel',
      'asterisk-ws',
    ];
    for (const name of CARRIER_NAMES) {
      const s = createSerializer(name);
      expect(s.capabilities.marks, name).toBe(withMarks.includes(name));
      const steps = ALL_FIXTURES.filter((f) => f.carrier === name).flatMap((f) => f.steps);
      const acked = steps.some((st) => 'in' in st && st.expect.some((e) => e.kind === 'mark'));
      expect(acked, name).toBe(withMarks.includes(name));
    }
  });
});

describe('registry', () => {
  it('gives every WebSocket carrier its own path under /v1/telephony', () => {
    const paths = CARRIER_NAMES.map((n) => CARRIER_ENDPOINTS[n].path).filter(
      (p): p is string => p !== undefined,
    );
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toContain('/v1/telephony/twilio');
    expect(CARRIER_ENDPOINTS.audiosocket).toEqual({ transport: 'tcp' });
    expect(CARRIER_ENDPOINTS.jambonz.subprotocol).toBe('audio.jambonz.org');
    for (const name of CARRIER_NAMES) {
      const path = CARRIER_ENDPOINTS[name].path;
      if (path !== undefined) {
        expect(carrierForPath(path)).toBe(name);
        expect(carrierForPath(`${path}/one-time-token?x=1`)).toBe(name);
      }
      expect(CARRIER_AUTH[name].kinds.length).toBeGreaterThan(0);
      expect(createSerializer(name).name).toBe(name);
    }
    expect(carrierForPath('/v1/telephony/twilioX')).toBeUndefined();
    expect(carrierForPath('/v1/sessions')).toBeUndefined();
  });
});
