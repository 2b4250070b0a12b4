import { describe, expect, it } from 'vitest';
import { CAPABILITIES, CAPABILITY_NAMES, NATIVE_TARGETS } from './capabilities';
import { loadSchema } from './schema';

describe('spec/app.loop.schema.json', () => {
  const schema = loadSchema() as any;

  it('names exactly the capabilities of the catalogue', () => {
    expect(Object.keys(schema.properties.capabilities.properties).sort()).toEqual(CAPABILITY_NAMES);
    expect([...schema.definitions.capabilityName.anyOf[0].enum].sort()).toEqual(CAPABILITY_NAMES);
    // Anything else must be a package of a custom native host, never loop: or wasi:.
    const host = new RegExp(schema.definitions.capabilityName.anyOf[1].pattern);
    expect([host.test("acme:greeting"), host.test("loop:gpu"), host.test("wasi:http")]).toEqual([true, false, false]);
  });

  it('allows exactly the settings each capability reads', () => {
    for (const name of CAPABILITY_NAMES) {
      const keys = Object.keys(schema.properties.capabilities.properties[name].properties).filter((k) => k !== 'provider');
      expect(keys.sort(), name).toEqual([...CAPABILITIES[name].settings].sort());
    }
  });

  it('lists the native targets packing knows', () => {
    expect(schema.properties.targets.properties.native.items.enum).toEqual([...NATIVE_TARGETS]);
  });
});
