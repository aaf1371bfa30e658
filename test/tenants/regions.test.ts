import { describe, expect, it } from 'vitest';
import { configForCluster, regionClusters } from '../../tenants/plan/index.ts';
import { loadTenantSpecFile } from '../../tenants/definition/index.ts';

const rides = loadTenantSpecFile('tenants/ride-safety.yaml');

describe('a multi-region spec split per cluster', () => {
  it('applies central first, then the edges in spec order', () => {
    expect(regionClusters(rides).map((c) => c.cluster)).toEqual(['central', 'edge-nyc', 'edge-sfo', 'edge-lon']);
  });

  it('puts on central every namespace with only the topics that live there', () => {
    const central = configForCluster(rides, 'central');
    expect(central.namespaces.map((n) => n.region)).toEqual(['edge-nyc', 'edge-sfo', 'edge-lon', 'central']);
    const nycOnCentral = central.namespaces.find((n) => n.region === 'edge-nyc');
    expect(nycOnCentral?.topics.map((t) => t.kind).sort()).toEqual(['audit', 'events', 'labels', 'predictions', 'review']);
    expect(central.namespaces.find((n) => n.region === 'central')?.topics).toHaveLength(11);
  });

  it('puts on an edge its own namespace whole and only the models of central', () => {
    const nyc = configForCluster(rides, 'edge-nyc');
    expect(nyc.namespaces.map((n) => n.region)).toEqual(['edge-nyc', 'central']);
    expect(nyc.namespaces.find((n) => n.region === 'edge-nyc')?.topics).toHaveLength(11);
    expect(nyc.namespaces.find((n) => n.region === 'central')?.topics.map((t) => t.kind)).toEqual(['models']);
  });
});
